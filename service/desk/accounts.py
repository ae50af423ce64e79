"""Accounts and sessions: moderators, passwords, login limits, API tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError

from mizan.service.db import utcnow
from mizan.service.desk.common import (
    _DUMMY_HASH,
    LANGS,
    MSG_FIELDS,
    MSG_LOGIN,
    ROLES,
    Actor,
    DeskBase,
    Unauthorized,
    _hasher,
    _iso,
    hash_token,
)
from mizan.service.errors import (
    Conflict,
    NotFound,
    TooManyRequests,
    ValidationFailed,
)


class Accounts(DeskBase):
    """Accounts and sessions: moderators, passwords, login limits, API tokens."""

    # --- accounts --------------------------------------------------------------------------------
    def add_user(self, email: str, role: str, password: str, lang: str = "ar") -> int:
        """Create a moderator or admin account with an argon2 password hash."""
        email = email.strip().lower()
        problems: dict[str, list[str]] = {}
        if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
            problems["email"] = ["Not a valid email address."]
        if role not in ROLES:
            problems["role"] = [f"Must be one of: {', '.join(ROLES)}."]
        if len(password) < 12:
            problems["password"] = ["Must be at least 12 characters."]
        if lang not in LANGS:
            problems["lang"] = ["Must be ar or en."]
        if problems:
            raise ValidationFailed(MSG_FIELDS, fields=problems)
        mid = self.repo.create_moderator(email, role, _hasher.hash(password), lang)
        if mid is None:
            raise Conflict("An account with this email already exists.")
        return mid

    def set_password(self, email: str, password: str) -> None:
        mod = self.repo.moderator_by_email(email.strip().lower())
        if mod is None:
            raise NotFound("Not found.")
        if len(password) < 12:
            raise ValidationFailed(
                MSG_FIELDS, fields={"password": ["Must be at least 12 characters."]}
            )
        self.repo.set_password(mod.id, _hasher.hash(password))

    def _limits(self, email: str, ip: str | None) -> list[tuple[str, int]]:
        """Rate-limit keys and their limits for one login attempt.

        The tight limit is per account and address, so an anonymous caller elsewhere cannot lock
        a moderator out; an address trying many accounts, and an account tried from many
        addresses, meet wider limits (a slower back-off that still stops spraying).
        """
        most = self.conf.login_max_failures
        user = (self.keys.lookup_hash("moderator", email) or "")[:40]
        addr = (self.keys.lookup_hash("ip", ip) or "")[:40] if ip else "none"
        return [
            (f"login:{user}:{addr[:16]}", most),
            (f"login-ip:{addr}", most * 4),
            (f"login-user:{user}", most * 10),
        ]

    def authenticate(self, email: str, password: str, ip: str | None) -> Actor:
        """Check a password; failed attempts are rate-limited per account and address."""
        email = (email or "").strip().lower()
        window = timedelta(seconds=self.conf.login_window_seconds)
        since = utcnow() - window
        limits = self._limits(email, ip)
        # Count the attempt before checking the password: concurrent attempts then each see the
        # others, so a burst cannot get more than the limit past this check.
        attempt = [self.repo.add_event(key, prune_before=since) for key, _ in limits]
        for key, most in limits:
            n, oldest = self.repo.count_events(key, since)
            if n > most:
                # A refused attempt tries no password, so it need not count (and cannot
                # stretch the lockout).
                self.repo.delete_events(attempt)
                wait = int(((oldest or utcnow()) + window - utcnow()).total_seconds()) + 1
                raise TooManyRequests(
                    "Too many failed logins; try again later.", retry_after=max(1, wait)
                )
        mod = self.repo.moderator_by_email(email) if email else None
        ok = False
        try:
            ok = _hasher.verify(mod.password_hash if mod else _DUMMY_HASH, password or "")
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or mod is None or not mod.active:
            raise Unauthorized(MSG_LOGIN)
        self.repo.delete_events(attempt)
        if _hasher.check_needs_rehash(mod.password_hash):
            self.repo.update_moderator(mod.id, password_hash=_hasher.hash(password))
        self.repo.update_moderator(mod.id, last_login_at=utcnow())
        self.repo.clear_events(limits[0][0])
        return Actor(mod.id, mod.email, mod.role, mod.lang, mod.session_epoch)

    def end_sessions(self, actor: Actor) -> None:
        """Log out everywhere: every session cookie of the account stops working at once."""
        if actor.id is not None:
            self.repo.end_sessions(actor.id)

    def actor(self, moderator_id: int, session_epoch: int | None = None) -> Actor | None:
        """The account behind a session, if it is still active and the session not ended."""
        mod = self.repo.moderator(moderator_id)
        if mod is None or not mod.active:
            return None
        if session_epoch is not None and session_epoch != mod.session_epoch:
            return None
        return Actor(mod.id, mod.email, mod.role, mod.lang, mod.session_epoch)

    def actor_for_token(self, token: str) -> Actor | None:
        if not token or len(token) > 200:
            return None
        mod = self.repo.moderator_for_token(hash_token(token))
        if mod is None:
            return None
        return Actor(mod.id, mod.email, mod.role, mod.lang, mod.session_epoch)

    def set_lang(self, actor: Actor, lang: str) -> None:
        if lang not in LANGS:
            raise ValidationFailed(MSG_FIELDS, fields={"lang": ["Must be ar or en."]})
        self.repo.update_moderator(actor.id, lang=lang)  # type: ignore[arg-type]

    def create_token(self, email: str, name: str) -> tuple[str, str]:
        """A new personal API token (shown once) and its printable prefix."""
        mod = self.repo.moderator_by_email(email.strip().lower())
        if mod is None:
            raise NotFound("Not found.")
        token = "mzn_" + secrets.token_urlsafe(32)
        prefix = token[:12]
        self.repo.create_token(mod.id, (name or "api")[:100], hash_token(token), prefix)
        return token, prefix

    def revoke_token(self, prefix: str) -> int:
        return self.repo.revoke_token(prefix=prefix)

    # --- the accounts page (admins) --------------------------------------------------------------
    def accounts(self) -> list[dict[str, Any]]:
        """Every account with its API tokens (prefixes only: a token is shown once, at creation)."""
        tokens: dict[int, list[dict[str, Any]]] = {}
        for t in self.repo.tokens():
            tokens.setdefault(t.moderator_id, []).append(
                {
                    "id": t.id,
                    "name": t.name,
                    "prefix": t.prefix,
                    "created_at": _iso(t.created_at),
                    "last_used_at": _iso(t.last_used_at),
                    "revoked_at": _iso(t.revoked_at),
                }
            )
        return [
            {
                "id": m.id,
                "email": m.email,
                "role": m.role,
                "lang": m.lang,
                "active": bool(m.active),
                "created_at": _iso(m.created_at),
                "last_login_at": _iso(m.last_login_at),
                "tokens": tokens.get(m.id, []),
            }
            for m in self.repo.list_moderators()
        ]

    def _account_audit(
        self, actor: Actor, action: str, detail: dict[str, Any], rid: str | None
    ) -> None:
        self.repo.audit(
            {
                "actor_id": actor.id,
                "actor": actor.email,
                "action": action,
                "comment_id": None,
                "from_status": None,
                "to_status": None,
                "reason": None,
                "detail": detail,
                "request_id": rid,
            }
        )

    def create_account(
        self,
        actor: Actor,
        email: str,
        role: str,
        lang: str,
        password: str,
        request_id: str | None = None,
    ) -> int:
        """An admin adds an account (audited)."""
        mid = self.add_user(email, role, password, lang)
        self._account_audit(
            actor, "account_add", {"account_id": mid, "role": role, "lang": lang}, request_id
        )
        return mid

    def update_account(
        self,
        actor: Actor,
        account_id: int,
        *,
        role: str | None = None,
        active: bool | None = None,
        request_id: str | None = None,
    ) -> None:
        """Change an account's role or switch it off (its sessions and tokens stop at once)."""
        mod = self.repo.moderator(account_id)
        if mod is None:
            raise NotFound("Not found.")
        if role is not None and role not in ROLES:
            raise ValidationFailed(
                MSG_FIELDS, fields={"role": [f"Must be one of: {', '.join(ROLES)}."]}
            )
        if account_id == actor.id and (active is False or (role and role != "admin")):
            raise Conflict("Admins cannot disable or demote their own account.")
        values: dict[str, Any] = {}
        if role is not None and role != mod.role:
            values["role"] = role
        if active is not None and active != bool(mod.active):
            values["active"] = active
            values["session_epoch"] = mod.session_epoch + 1
        if not values:
            return
        self.repo.update_moderator(account_id, **values)
        detail = {"account_id": account_id, "account": mod.email}
        detail.update({k: v for k, v in values.items() if k in ("role", "active")})
        self._account_audit(actor, "account_update", detail, request_id)

    def reset_password(self, actor: Actor, account_id: int, request_id: str | None = None) -> str:
        """A new random password for an account, shown once; its sessions end (audited)."""
        mod = self.repo.moderator(account_id)
        if mod is None:
            raise NotFound("Not found.")
        password = secrets.token_urlsafe(12)
        self.repo.set_password(account_id, _hasher.hash(password))
        self._account_audit(
            actor, "password_reset", {"account_id": account_id, "account": mod.email}, request_id
        )
        return password

    def revoke_token_id(self, actor: Actor, token_id: int, request_id: str | None = None) -> None:
        """Revoke one API token by its id (audited)."""
        if not self.repo.revoke_token(token_id=token_id):
            raise NotFound("Not found.")
        self._account_audit(actor, "token_revoke", {"token_id": token_id}, request_id)
