"""What the parts of the moderation desk share: roles, transitions, settings, the actor, helpers."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher

from mizan.service.config import DeskSettings, Settings
from mizan.service.crypto import Keys
from mizan.service.db import aware
from mizan.service.desk.repository import ModerationRepository
from mizan.service.errors import (
    MizanError,
)
from mizan.service.tables import Comment, Decision

log = logging.getLogger("mizan.moderation")

ROLES = ("moderator", "admin")
LANGS = ("ar", "en")
QUEUE_STATUSES = ("held", "spam", "reported", "approved", "rejected")
ACTIONS = ("approve", "reject", "spam", "not_spam", "restore")
REJECT_REASONS = ("abusive", "hate", "spam", "off_topic", "personal_data", "other")
REPORT_REASONS = ("spam", "abusive", "off_topic", "other")
SORTS = ("oldest", "newest", "uncertain")

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


def article_groups(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group queue items by article (post id), groups in order of their first item.

    Items keep the order they came in. A group's title and URL are those given with its most
    recent comment that has one, since a site may rename an article after it is published.
    """
    groups: dict[str, dict[str, Any]] = {}
    for item in items:
        group = groups.setdefault(
            item["post_id"],
            {"post_id": item["post_id"], "article_url": None, "article_title": None, "items": []},
        )
        group["items"].append(item)
    for group in groups.values():
        latest = sorted(group["items"], key=lambda i: i.get("created_at") or "", reverse=True)
        for key in ("article_url", "article_title"):
            group[key] = next((i[key] for i in latest if i.get(key)), None)
    return list(groups.values())


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


# A link as a reader would see it: a scheme or www., or a bare domain with a common ending.
_LINK = re.compile(
    r"(?i)(?:https?://|www\.)[^\s<>\"']+"
    r"|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|info|biz|xyz|top|site|online|shop"
    r"|ly|me|io|co|ru|tk)\b(?:/[^\s<>\"']*)?"
)
_PHONE = re.compile(r"(?<![\w+])\+?\d[\d\s.-]{6,}\d(?!\w)")
# Reasons that are about the links in a comment.
_LINK_CODES = ("too_many_links", "blocked_domain")


def link_spans(text: str) -> list[list[int]]:
    """Where the links are in a comment, as [start, end] character ranges."""
    return [[m.start(), m.end()] for m in _LINK.finditer(text or "")]


def why_spans(reasons: Sequence[Any], text: str) -> list[dict[str, Any]]:
    """The ranges to highlight: the reasons' own spans, and links or phones a reason is about."""
    rs = [r for r in reasons or [] if isinstance(r, dict)]
    about_links = any(
        r.get("code") in _LINK_CODES or "link" in (r.get("signals") or ()) for r in rs
    )
    if about_links:
        rs = [*rs, {"code": "link", "spans": link_spans(text)}]
    if any("phone" in (r.get("signals") or ()) for r in rs):
        phones = [[m.start(), m.end()] for m in _PHONE.finditer(text or "")]
        rs = [*rs, {"code": "phone", "spans": phones}]
    return reason_spans(rs, len(text or ""))


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


class DeskBase:
    """State every part of the desk shares: settings, the desk repository, the keys."""

    settings: Settings
    repo: ModerationRepository
    keys: Keys
    conf: DeskSettings

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
        self.conf = desk_settings or settings.desk
