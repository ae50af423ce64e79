"""Accounts and sessions: moderators, passwords, login limits, API tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

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

    def _limit_keys(self, email: str, ip: str | None) -> list[str]:
        keys = ["login-user:" + (self.keys.lookup_hash("moderator", email) or "")[:48]]
        if ip:
            keys.append("login-ip:" + (self.keys.lookup_hash("ip", ip) or "")[:48])
        return keys

    def authenticate(self, email: str, password: str, ip: str | None) -> Actor:
        """Check a password; failed attempts per account and per address are rate-limited."""
        email = (email or "").strip().lower()
        window = timedelta(seconds=self.conf.login_window_seconds)
        since = utcnow() - window
        keys = self._limit_keys(email, ip)
        for key in keys:
            n, oldest = self.repo.count_events(key, since)
            if n >= self.conf.login_max_failures:
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
            for key in keys:
                self.repo.add_event(key, prune_before=since)
            raise Unauthorized(MSG_LOGIN)
        if _hasher.check_needs_rehash(mod.password_hash):
            self.repo.update_moderator(mod.id, password_hash=_hasher.hash(password))
        self.repo.update_moderator(mod.id, last_login_at=utcnow())
        self.repo.clear_events(keys[0])
        return Actor(mod.id, mod.email, mod.role, mod.lang, mod.session_epoch)

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
