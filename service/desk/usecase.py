"""Use cases of the moderation desk: accounts, the queue, actions, audit, reports, feedback, stats.

No Flask here: the API and the web desk call these, and they raise the typed errors of
`service.errors` (plus `Unauthorized`), which only the API layer turns into responses.
"""

from __future__ import annotations

import csv
import hashlib
import ipaddress
import logging
import os
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from mizan.service.config import Settings, env_int
from mizan.service.crypto import Keys
from mizan.service.db import aware, decode_cursor, encode_cursor, utcnow
from mizan.service.desk.repository import ModerationRepository, Plan, ReportOutcome
from mizan.service.errors import (
    Conflict,
    Forbidden,
    MizanError,
    NotFound,
    TooManyRequests,
    ValidationFailed,
)
from mizan.service.policy import BAN_KINDS, WORD_LISTS
from mizan.service.tables import Comment, Decision

log = logging.getLogger("mizan.moderation")

ROLES = ("moderator", "admin")
LANGS = ("ar", "en")
QUEUE_STATUSES = ("held", "spam", "reported", "approved", "rejected")
ACTIONS = ("approve", "reject", "spam", "not_spam", "restore")
REJECT_REASONS = ("abusive", "hate", "spam", "off_topic", "personal_data", "other")
REPORT_REASONS = ("spam", "abusive", "off_topic", "other")
SORTS = ("oldest", "newest")

# Which statuses each action may start from, and where it leads ("restore" undoes instead).
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "approve": (frozenset({"held", "spam", "reported", "rejected"}), "approved"),
    "reject": (frozenset({"held", "spam", "reported", "approved"}), "rejected"),
    "spam": (frozenset({"held", "reported", "approved", "rejected"}), "spam"),
    "not_spam": (frozenset({"spam"}), "approved"),
    "restore": (frozenset({"approved", "rejected", "spam", "held", "reported"}), None),
}

MSG_LOGIN = "Wrong email or password."
MSG_AUTH = "Log in or send a valid API token."
MSG_FIELDS = "The request could not be processed: see the fields."

_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
# A hash of a fixed password, verified when the account does not exist so timing reveals nothing.
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class Unauthorized(MizanError):
    code, status = "unauthorized", 401


@dataclass(frozen=True)
class DeskSettings:
    """The desk's own settings, read from MIZAN_* variables and validated when the app starts."""

    report_threshold: int = 3
    reports_per_ip_hour: int = 10
    reports_per_comment_hour: int = 200
    login_max_failures: int = 5
    login_window_seconds: int = 900
    session_hours: int = 12

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DeskSettings:
        env = os.environ if env is None else env
        return cls(
            report_threshold=env_int(env, "MIZAN_REPORT_THRESHOLD", 3, 1, 1000),
            reports_per_ip_hour=env_int(env, "MIZAN_REPORTS_PER_IP_HOUR", 10, 1, 10_000),
            reports_per_comment_hour=env_int(
                env, "MIZAN_REPORTS_PER_COMMENT_HOUR", 200, 1, 100_000
            ),
            login_max_failures=env_int(env, "MIZAN_LOGIN_MAX_FAILURES", 5, 1, 1000),
            login_window_seconds=env_int(env, "MIZAN_LOGIN_WINDOW_SECONDS", 900, 10, 86_400),
            session_hours=env_int(env, "MIZAN_SESSION_HOURS", 12, 1, 720),
        )


@dataclass(frozen=True, slots=True)
class Actor:
    """A logged-in moderator or admin (id None: the command line)."""

    id: int | None
    email: str
    role: str
    lang: str
    session_epoch: int = 0

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mask_email(email: str | None) -> str | None:
    """s•••@e•••.org: enough to tell two authors apart at a glance, not to read the address."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.partition("@")
    host, _, tld = domain.rpartition(".")
    return f"{local[:1]}•••@{(host or tld)[:1]}•••.{tld if host else ''}".rstrip(".")


def guess_lang(text: str) -> str:
    return "ar" if _ARABIC.search(text or "") else "en"


def _fold(text: str) -> str:
    try:
        from mizan.models.normalize import fold
    except ImportError:  # pragma: no cover - the models package ships with the service
        return " ".join(text.lower().split())
    return fold(text)


def _shingles(text: str) -> set[str]:
    s = " ".join(_fold(text).split())
    if len(s) < 4:
        return {s}
    return {s[i : i + 3] for i in range(len(s) - 2)}


def near_duplicate_groups(
    items: Sequence[tuple[str, str]], threshold: float = 0.8
) -> list[list[str]]:
    """Group ids whose texts share at least `threshold` of their character 3-grams (Jaccard)."""
    parent = {cid: cid for cid, _ in items}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    sh = [(cid, _shingles(text)) for cid, text in items]
    for i in range(len(sh)):
        a_id, a = sh[i]
        for j in range(i + 1, len(sh)):
            b_id, b = sh[j]
            if not a or not b:
                continue
            inter = len(a & b)
            if inter and inter / len(a | b) >= threshold:
                parent[find(a_id)] = find(b_id)
    groups: dict[str, list[str]] = {}
    for cid, _ in items:
        groups.setdefault(find(cid), []).append(cid)
    return [g for g in groups.values() if len(g) > 1]


def reason_spans(reasons: Sequence[Any], length: int) -> list[dict[str, Any]]:
    """The character spans a decision's reasons point at, clipped to the text and merged."""
    spans = []
    for r in reasons or []:
        if not isinstance(r, dict):
            continue
        raw = []
        if isinstance(r.get("span"), list | tuple):
            raw.append(r["span"])
        for s in r.get("spans") or []:
            if isinstance(s, list | tuple):
                raw.append(s)
            elif isinstance(s, dict) and isinstance(s.get("span"), list | tuple):
                raw.append(s["span"])
        for s in raw:
            if len(s) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in s):
                continue
            start, end = max(0, s[0]), min(length, s[1])
            if start < end:
                spans.append({"start": start, "end": end, "code": str(r.get("code", ""))[:40]})
    spans.sort(key=lambda s: (s["start"], -s["end"]))
    merged: list[dict[str, Any]] = []
    for s in spans:
        if merged and s["start"] < merged[-1]["end"]:
            merged[-1]["end"] = max(merged[-1]["end"], s["end"])
            continue
        merged.append(dict(s))
    return merged


def segments(text: str, spans: Sequence[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """Split text into (piece, highlight code or None) for rendering highlighted spans as text."""
    out, pos = [], 0
    for s in spans:
        if s["start"] > pos:
            out.append((text[pos : s["start"]], None))
        out.append((text[s["start"] : s["end"]], s["code"] or "match"))  # type: ignore[arg-type]
        pos = s["end"]
    if pos < len(text):
        out.append((text[pos:], None))
    return out  # type: ignore[return-value]


def _iso(value: datetime | None) -> str | None:
    value = aware(value)
    return value.isoformat() if value else None


class Desk:
    """The moderation desk's use cases over the desk repository and the service's keys."""

    def __init__(
        self,
        settings: Settings,
        repo: ModerationRepository,
        keys: Keys,
        desk_settings: DeskSettings | None = None,
    ) -> None:
        self.settings = settings
        self.repo = repo
        self.keys = keys
        self.conf = desk_settings or DeskSettings.from_env()

    # --- accounts -----------------------------------------------------------------------------
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

    # --- the queue ----------------------------------------------------------------------------
    def queue(
        self,
        status: str = "held",
        *,
        post_id: str | None = None,
        q: str | None = None,
        sort: str = "oldest",
        cursor: str | None = None,
        limit: int = 50,
    ) -> dict[str, Any]:
        """A page of the queue with scores, reasons, spans, author history and duplicate groups."""
        problems = {}
        if status not in QUEUE_STATUSES:
            problems["status"] = [f"Must be one of: {', '.join(QUEUE_STATUSES)}."]
        if sort not in SORTS:
            problems["sort"] = [f"Must be one of: {', '.join(SORTS)}."]
        if not 1 <= limit <= 100:
            problems["limit"] = ["Must be a whole number between 1 and 100."]
        after = None
        if cursor:
            after = decode_cursor(cursor)
            if after is None:
                problems["cursor"] = ["Invalid cursor."]
        if problems:
            raise ValidationFailed(MSG_FIELDS, fields=problems)
        rows, more = self.repo.queue_page(
            status, post_id or None, (q or "").strip() or None, sort == "newest", after, limit
        )
        items = self._items(rows)
        groups = near_duplicate_groups([(i["id"], i["body"]) for i in items])
        by_id = {i["id"]: i for i in items}
        out_groups = []
        for n, ids in enumerate(groups, 1):
            gid = f"d{n}"
            for cid in ids:
                by_id[cid]["duplicate_group"] = gid
            out_groups.append({"id": gid, "comment_ids": ids})
        return {
            "status": status,
            "comments": items,
            "duplicate_groups": out_groups,
            "counts": self.counts(),
            "next_cursor": encode_cursor(rows[-1].created_at, rows[-1].id) if more else None,
        }

    def counts(self) -> dict[str, int]:
        counts = self.repo.queue_counts()
        return {s: counts.get(s, 0) for s in QUEUE_STATUSES}

    def _items(self, rows: Sequence[Any]) -> list[dict[str, Any]]:
        ids = [r.id for r in rows]
        autos = self.repo.automatic_decisions(ids)
        history = self.repo.author_history(r.author_email_hash for r in rows)
        reports = self.repo.report_summary(ids)
        items = []
        for r in rows:
            d = autos.get(r.id)
            reasons = list(d.reasons or []) if d else []
            email = self.keys.decrypt(r.author_email_enc)
            hist = history.get(r.author_email_hash, {})
            rep = reports.get(r.id, {})
            items.append(
                {
                    "id": r.id,
                    "post_id": r.post_id,
                    "permalink": r.permalink,
                    "parent_id": r.parent_id,
                    "section": r.section,
                    "status": r.status,
                    "body": r.body,
                    "created_at": _iso(r.created_at),
                    "decided_at": _iso(r.decided_at),
                    "author": {
                        "name": r.author_name,
                        "url": r.author_url,
                        "email_masked": mask_email(email),
                        "history": {
                            s: hist.get(s, 0)
                            for s in ("approved", "rejected", "spam", "held", "reported")
                        },
                    },
                    "scores": dict(d.scores or {}) if d else {},
                    "reasons": reasons,
                    "spans": reason_spans(reasons, len(r.body)),
                    "decided_by": d.decided_by if d else None,
                    "model_version": d.model_version if d else None,
                    "reports": {"count": sum(rep.values()), "reasons": rep},
                    "duplicate_group": None,
                }
            )
        return items

    def comment_detail(self, comment_id: str) -> dict[str, Any]:
        """One comment with its decisions, reader reports and audit entries."""
        row = self.repo.comment(comment_id)
        if row is None:
            raise NotFound("Not found.")
        item = self._items([row])[0]
        item["decisions"] = [
            {
                "id": d.id,
                "kind": d.kind,
                "outcome": d.outcome,
                "from_status": d.from_status,
                "decided_by": d.decided_by,
                "actor": d.actor,
                "scores": d.scores,
                "reasons": d.reasons,
                "model_version": d.model_version,
                "policy_version": d.policy_version,
                "created_at": _iso(d.created_at),
            }
            for d in self.repo.decisions_for(comment_id)
        ]
        item["reader_reports"] = [
            {"reason": r.reason, "note": r.note, "created_at": _iso(r.created_at)}
            for r in self.repo.reports_for(comment_id)
        ]
        entries, _ = self.repo.audit_page(
            comment_id=comment_id, actor_id=None, action=None, before_id=None, limit=100
        )
        item["audit"] = [audit_dict(e) for e in entries]
        return item

    def reveal_email(self, actor: Actor, comment_id: str, request_id: str | None = None) -> str:
        """The author's email in clear; every reveal is audited."""
        row = self.repo.comment(comment_id)
        if row is None:
            raise NotFound("Not found.")
        email = self.keys.decrypt(row.author_email_enc)
        if email is None:
            raise Conflict("The email of this comment cannot be read with the current key.")
        self.repo.audit(
            {
                "actor_id": actor.id,
                "actor": actor.email,
                "action": "reveal_email",
                "comment_id": comment_id,
                "from_status": row.status,
                "to_status": row.status,
                "reason": None,
                "detail": {},
                "request_id": request_id,
            }
        )
        return email

    # --- actions ------------------------------------------------------------------------------
    def act(
        self,
        actor: Actor,
        comment_id: str,
        action: str,
        reason: str | None = None,
        note: str | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """Apply one action to one comment in one transaction; raise on an illegal transition."""
        self._check_action(action, reason)
        done = self.repo.transition(
            comment_id, self._planner(actor, action, reason, note, request_id)
        )
        if done is None:
            raise NotFound("Not found.")
        comment, plan = done
        return {
            "id": comment_id,
            "action": action,
            "from_status": plan.decision["from_status"],
            "status": comment.status,
        }

    def act_many(
        self,
        actor: Actor,
        ids: Sequence[str],
        action: str,
        reason: str | None = None,
        note: str | None = None,
        request_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Apply an action to each comment, each in its own transaction; report each outcome."""
        self._check_action(action, reason)
        results = []
        for cid in dict.fromkeys(ids):
            try:
                results.append(
                    {**self.act(actor, cid, action, reason, note, request_id), "ok": True}
                )
            except (NotFound, Conflict) as exc:
                results.append(
                    {
                        "id": cid,
                        "action": action,
                        "ok": False,
                        "error": {"code": exc.code, "message": exc.message},
                    }
                )
        return results

    @staticmethod
    def _check_action(action: str, reason: str | None) -> None:
        if action not in ACTIONS:
            raise ValidationFailed(
                MSG_FIELDS, fields={"action": [f"Must be one of: {', '.join(ACTIONS)}."]}
            )
        if action == "reject" and reason not in REJECT_REASONS:
            raise ValidationFailed(
                MSG_FIELDS, fields={"reason": [f"Must be one of: {', '.join(REJECT_REASONS)}."]}
            )
        if action != "reject" and reason is not None and reason not in REJECT_REASONS:
            raise ValidationFailed(
                MSG_FIELDS, fields={"reason": [f"Must be one of: {', '.join(REJECT_REASONS)}."]}
            )

    def _planner(
        self,
        actor: Actor,
        action: str,
        reason: str | None,
        note: str | None,
        request_id: str | None,
    ) -> Callable[[Comment, list[Decision]], Plan]:
        def plan_for(comment: Comment, history: list[Decision]) -> Plan:
            allowed, to = TRANSITIONS[action]
            frm = comment.status
            if action == "restore":
                to = _restore_target(comment, history)
            if frm not in allowed or to is None or to == frm:
                raise Conflict(
                    f"Cannot {action.replace('_', ' ')} a comment that is {frm}.",
                    fields={"status": [frm]},
                )
            auto = next((d for d in history if d.kind == "automatic"), None)
            decision: dict[str, Any] = {
                "kind": "moderator",
                "outcome": to,
                "from_status": frm,
                "decided_by": "moderator",
                "actor": actor.email[:100],
                "scores": {},
                "reasons": [
                    {
                        "code": "moderator",
                        "action": action,
                        **({"reason": reason} if reason else {}),
                    }
                ],
                "model_version": None,
                "policy_version": None,
                "applied": True,
            }
            audit = {
                "actor_id": actor.id,
                "actor": actor.email,
                "action": action,
                "reason": reason,
                "detail": {"note": note} if note else {},
                "request_id": request_id,
            }
            examples = (
                [] if action == "restore" else _examples(comment, auto, action, reason, actor)
            )
            return Plan(to_status=to, decision=decision, audit=audit, examples=examples)

        return plan_for

    # --- bans, posts, word lists --------------------------------------------------------------
    def ban(
        self,
        actor: Actor,
        kind: str,
        *,
        comment_id: str | None = None,
        value: str | None = None,
        days: int | None = None,
        note: str | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """Ban an author's email, IP or network (from a comment or a given value), with expiry."""
        if kind not in BAN_KINDS:
            raise ValidationFailed(
                MSG_FIELDS, fields={"kind": [f"Must be one of: {', '.join(BAN_KINDS)}."]}
            )
        if (comment_id is None) == (value is None):
            raise ValidationFailed(
                MSG_FIELDS, fields={"comment_id": ["Give either comment_id or value."]}
            )
        value_hash = network = None
        comment = None
        if comment_id is not None:
            comment = self.repo.comment(comment_id)
            if comment is None:
                raise NotFound("Not found.")
            if kind == "email":
                value_hash = comment.author_email_hash
            else:
                ip = self.keys.decrypt(comment.ip_enc)
                if ip is None:
                    raise Conflict("This comment's address is no longer stored.")
                if kind == "ip":
                    value_hash = comment.ip_hash
                else:
                    addr = ipaddress.ip_address(ip)
                    network = str(
                        ipaddress.ip_network(
                            f"{ip}/{24 if addr.version == 4 else 64}", strict=False
                        )
                    )
        else:
            value = value.strip()  # type: ignore[union-attr]
            try:
                if kind == "email":
                    if "@" not in value or len(value) > 254:
                        raise ValueError
                    value_hash = self.keys.lookup_hash("email", value)
                elif kind == "ip":
                    value_hash = self.keys.lookup_hash("ip", str(ipaddress.ip_address(value)))
                else:
                    net = ipaddress.ip_network(value, strict=False)
                    if net.prefixlen < (8 if net.version == 4 else 32):
                        raise ValueError
                    network = str(net)
            except ValueError:
                raise ValidationFailed(
                    MSG_FIELDS, fields={"value": [f"Not a valid {kind} for a ban."]}
                ) from None
        expires = utcnow() + timedelta(days=days) if days else None
        ban_id = self.repo.add_ban(
            {
                "kind": kind,
                "value_hash": value_hash,
                "network": network,
                "note": (note or None) and note[:500],
                "created_by": actor.email[:100],
                "expires_at": expires,
            },
            {
                "actor_id": actor.id,
                "actor": actor.email,
                "action": "ban",
                "comment_id": comment_id,
                "from_status": comment.status if comment else None,
                "to_status": comment.status if comment else None,
                "reason": kind,
                "detail": {"kind": kind, "expires_at": _iso(expires), "network": network},
                "request_id": request_id,
            },
        )
        return {
            "id": ban_id,
            "kind": kind,
            "network": network,
            "expires_at": _iso(expires),
            "comment_id": comment_id,
        }

    def bans(self) -> list[dict[str, Any]]:
        return [
            {
                "id": b.id,
                "kind": b.kind,
                "network": b.network,
                "note": b.note,
                "created_by": b.created_by,
                "created_at": _iso(b.created_at),
                "expires_at": _iso(b.expires_at),
            }
            for b in self.repo.bans()
        ]

    def lift_ban(self, actor: Actor, ban_id: int, request_id: str | None = None) -> None:
        ok = self.repo.lift_ban(
            ban_id,
            {
                "actor_id": actor.id,
                "actor": actor.email,
                "action": "unban",
                "comment_id": None,
                "from_status": None,
                "to_status": None,
                "reason": None,
                "detail": {"ban_id": ban_id},
                "request_id": request_id,
            },
        )
        if not ok:
            raise NotFound("Not found.")

    def post_settings(self, post_id: str) -> dict[str, Any]:
        row = self.repo.post_setting(post_id)
        return {
            "post_id": post_id,
            "comments_closed": bool(row.comments_closed) if row else False,
            "premoderation": bool(row.premoderation) if row else False,
        }

    def set_post(
        self,
        actor: Actor,
        post_id: str,
        *,
        comments_closed: bool | None = None,
        premoderation: bool | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """Close comments or switch pre-moderation on one post."""
        values = {
            k: v
            for k, v in (("comments_closed", comments_closed), ("premoderation", premoderation))
            if v is not None
        }
        if not values:
            raise ValidationFailed(
                MSG_FIELDS, fields={"_schema": ["Give comments_closed or premoderation."]}
            )
        self.repo.save_post_setting(
            post_id,
            values,
            actor.email,
            {
                "actor_id": actor.id,
                "actor": actor.email,
                "action": "post_settings",
                "comment_id": None,
                "from_status": None,
                "to_status": None,
                "reason": None,
                "detail": {},
                "request_id": request_id,
            },
        )
        return self.post_settings(post_id)

    def word_terms(self) -> list[dict[str, Any]]:
        return [
            {
                "id": t.id,
                "term": t.term,
                "list": t.list,
                "action": t.action,
                "created_by": t.created_by,
                "created_at": _iso(t.created_at),
            }
            for t in self.repo.word_terms()
        ]

    def add_term(
        self,
        actor: Actor,
        term: str,
        list_name: str,
        action: str | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        term = (term or "").strip()
        if list_name not in WORD_LISTS:
            raise ValidationFailed(MSG_FIELDS, fields={"list": ["Must be blocked or watched."]})
        action = action or WORD_LISTS[list_name][0]
        if action not in WORD_LISTS[list_name]:
            raise ValidationFailed(
                MSG_FIELDS,
                fields={"action": [f"Must be one of: {', '.join(WORD_LISTS[list_name])}."]},
            )
        folded = _fold(term).strip()
        if not term or not folded or len(term) > 200:
            raise ValidationFailed(
                MSG_FIELDS, fields={"term": ["Must be between 1 and 200 characters."]}
            )
        term_id = self.repo.add_word_term(
            {
                "term": term,
                "folded": folded[:200],
                "list": list_name,
                "action": action,
                "created_by": actor.email[:100],
            },
            {
                "actor_id": actor.id,
                "actor": actor.email,
                "action": "word_add",
                "comment_id": None,
                "from_status": None,
                "to_status": None,
                "reason": list_name,
                "detail": {"term": term, "list": list_name, "action": action},
                "request_id": request_id,
            },
        )
        if term_id is None:
            raise Conflict("This term is already on the list.")
        return {"id": term_id, "term": term, "list": list_name, "action": action}

    def remove_term(self, actor: Actor, term_id: int, request_id: str | None = None) -> None:
        def audit_for(row: Any) -> dict[str, Any]:
            return {
                "actor_id": actor.id,
                "actor": actor.email,
                "action": "word_remove",
                "comment_id": None,
                "from_status": None,
                "to_status": None,
                "reason": row.list,
                "detail": {"term": row.term, "list": row.list},
                "request_id": request_id,
            }

        if not self.repo.remove_word_term(term_id, audit_for):
            raise NotFound("Not found.")

    # --- audit --------------------------------------------------------------------------------
    def audit(
        self,
        *,
        comment_id: str | None = None,
        actor_id: int | None = None,
        action: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> dict[str, Any]:
        before = None
        if cursor:
            if not cursor.isdigit():
                raise ValidationFailed(MSG_FIELDS, fields={"cursor": ["Invalid cursor."]})
            before = int(cursor)
        if not 1 <= limit <= 200:
            raise ValidationFailed(
                MSG_FIELDS, fields={"limit": ["Must be a whole number between 1 and 200."]}
            )
        rows, more = self.repo.audit_page(
            comment_id=comment_id, actor_id=actor_id, action=action, before_id=before, limit=limit
        )
        return {
            "entries": [audit_dict(e) for e in rows],
            "next_cursor": str(rows[-1].id) if more and rows else None,
        }

    # --- reader reports -----------------------------------------------------------------------
    def report(
        self, comment_id: str, reason: str, note: str | None, ip: str | None
    ) -> ReportOutcome:
        """A reader's report; rate-limited per address and per comment."""
        reporter = self.keys.lookup_hash("ip", ip or "unknown") or ""
        hour_ago = utcnow() - timedelta(hours=1)
        if (
            self.repo.reports_since(reporter_hash=reporter, since=hour_ago)
            >= self.conf.reports_per_ip_hour
        ):
            raise TooManyRequests("Too many reports; try again later.", retry_after=3600)
        if (
            self.repo.reports_since(comment_id=comment_id, since=hour_ago)
            >= self.conf.reports_per_comment_hour
        ):
            raise TooManyRequests("Too many reports; try again later.", retry_after=3600)
        outcome = self.repo.add_report(
            comment_id, reason, note, reporter, self.conf.report_threshold
        )
        if outcome is None:
            raise NotFound("Not found.")
        if outcome.moved:
            log.info("comment moved to the reported queue after %d reports", outcome.reports)
        return outcome

    # --- learning from moderators -------------------------------------------------------------
    def export_feedback(self, out: str | os.PathLike[str]) -> int:
        """Write moderators' labelled examples as the CSV `mizan train --feedback` reads."""
        rows = [e for e in self.repo.training_examples() if e.task in ("spam", "abuse")]
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["text", "label", "task", "lang", "source", "weight"])
            for e in rows:
                writer.writerow(
                    [
                        e.text,
                        e.label,
                        e.task,
                        (e.meta or {}).get("lang", ""),
                        "mizan-moderators",
                        f"{e.weight:g}",
                    ]
                )
        return len(rows)

    # --- stats --------------------------------------------------------------------------------
    def stats(self, days: int = 30) -> dict[str, Any]:
        """Per model version and day: automatic outcomes and moderators' agreement with them."""
        if not 1 <= days <= 365:
            raise ValidationFailed(
                MSG_FIELDS, fields={"days": ["Must be a whole number between 1 and 365."]}
            )
        since = (utcnow() - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
        auto: dict[str, tuple[str, str, str]] = {}
        final: dict[str, str] = {}
        for cid, kind, outcome, version, created, _id in self.repo.decisions_since(since):
            if kind == "automatic":
                auto[cid] = (outcome, version or "none", aware(created).date().isoformat())
            else:
                final[cid] = outcome  # ordered by id: the last moderator decision wins
        buckets: dict[tuple[str, str], dict[str, Any]] = {}
        for cid, (outcome, version, day) in auto.items():
            b = buckets.setdefault((version, day), _bucket(version, day))
            b["decisions"] += 1
            b["outcomes"][outcome] = b["outcomes"].get(outcome, 0) + 1
            later = final.get(cid)
            if later is not None:
                b["reviewed"] += 1
                b["moderator_outcomes"][later] = b["moderator_outcomes"].get(later, 0) + 1
            if outcome == "approved" and later is not None:
                b["auto_approve"]["reviewed"] += 1
                b["auto_approve"]["agreed"] += later == "approved"
            if outcome == "spam" and later is not None:
                b["auto_spam"]["reviewed"] += 1
                b["auto_spam"]["agreed"] += later != "approved"
            if outcome == "held" and later is not None:
                b["held_resolved"][later] = b["held_resolved"].get(later, 0) + 1
        rows = sorted(buckets.values(), key=lambda b: (b["day"], b["model_version"]))
        totals: dict[str, dict[str, Any]] = {}
        for b in rows:
            for key in ("auto_approve", "auto_spam"):
                b[key]["precision"] = _ratio(b[key]["agreed"], b[key]["reviewed"])
            t = totals.setdefault(b["model_version"], _bucket(b["model_version"], None))
            t["decisions"] += b["decisions"]
            t["reviewed"] += b["reviewed"]
            for key in ("outcomes", "moderator_outcomes", "held_resolved"):
                for k, v in b[key].items():
                    t[key][k] = t[key].get(k, 0) + v
            for key in ("auto_approve", "auto_spam"):
                t[key]["reviewed"] += b[key]["reviewed"]
                t[key]["agreed"] += b[key]["agreed"]
        for t in totals.values():
            t.pop("day")
            for key in ("auto_approve", "auto_spam"):
                t[key]["precision"] = _ratio(t[key]["agreed"], t[key]["reviewed"])
        return {
            "since": since.date().isoformat(),
            "days": rows,
            "models": sorted(totals.values(), key=lambda t: t["model_version"]),
            "active_model": self.repo.active_model_version(),
        }


def _bucket(version: str, day: str | None) -> dict[str, Any]:
    return {
        "model_version": version,
        "day": day,
        "decisions": 0,
        "outcomes": {},
        "reviewed": 0,
        "moderator_outcomes": {},
        "held_resolved": {},
        "auto_approve": {"reviewed": 0, "agreed": 0},
        "auto_spam": {"reviewed": 0, "agreed": 0},
    }


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _restore_target(comment: Comment, history: list[Decision]) -> str | None:
    """The status before the latest action not yet undone (moderator action or reports move)."""
    stack = []  # type: ignore[var-annotated]
    for d in history:
        if d.kind not in ("moderator", "reports"):
            continue
        first = (d.reasons or [{}])[0] if d.kind == "moderator" else {}
        if isinstance(first, dict) and first.get("action") == "restore":
            if stack:
                stack.pop()
        else:
            stack.append(d)
    if not stack or stack[-1].outcome != comment.status:
        return None  # nothing to undo, or the comment moved since
    target = stack[-1].from_status
    return target if target in QUEUE_STATUSES else None


def _examples(
    comment: Comment, auto: Decision | None, action: str, reason: str | None, actor: Actor
) -> list[dict[str, Any]]:
    """The labelled examples one moderator decision teaches."""
    auto_outcome = auto.outcome if auto else None
    if action in ("approve", "not_spam"):
        labels = [("spam", 0)] if action == "not_spam" else [("spam", 0), ("abuse", 0)]
        disagrees = auto_outcome in ("spam", "rejected")
    elif action == "spam" or (action == "reject" and reason == "spam"):
        labels, disagrees = [("spam", 1)], auto_outcome == "approved"
    elif action == "reject" and reason in ("abusive", "hate"):
        labels, disagrees = [("abuse", 1)], auto_outcome == "approved"
    else:  # off-topic, personal data, other: kept as a record, teaches neither head
        labels, disagrees = [(None, None)], False  # type: ignore[list-item]
    meta = {
        "post_id": comment.post_id,
        "section": comment.section,
        "parent_id": comment.parent_id,
        "author_name": comment.author_name,
        "author_url": comment.author_url,
        "created_at": _iso(comment.created_at),
        "accept_language": comment.accept_language,
        "status_before": comment.status,
        "lang": guess_lang(comment.body),
        "automatic": (
            {"outcome": auto.outcome, "scores": auto.scores, "model_version": auto.model_version}
            if auto
            else None
        ),
    }
    return [
        {
            "text": comment.body,
            "task": task,
            "label": label,
            "action": action,
            "reason": reason,
            "weight": 2.0 if disagrees else 1.0,
            "meta": meta,
            "moderator_id": actor.id,
        }
        for task, label in labels
    ]


def audit_dict(e: Any) -> dict[str, Any]:
    return {
        "id": e.id,
        "actor": e.actor,
        "actor_id": e.actor_id,
        "action": e.action,
        "comment_id": e.comment_id,
        "from_status": e.from_status,
        "to_status": e.to_status,
        "reason": e.reason,
        "detail": e.detail or {},
        "request_id": e.request_id,
        "created_at": _iso(e.created_at),
    }


__all__ = ["Actor", "Desk", "DeskSettings", "Forbidden", "Unauthorized", "mask_email"]
