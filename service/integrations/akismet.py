"""The Akismet REST API 1.1, served by Mizan: sites and keys, comment-check, submit-spam/ham.

No Flask here (see akismet_api.py for the HTTP side). A site's key is shown once and only its
SHA-256 is stored. Each checked comment is stored for the site like any other comment (email and
IP encrypted, keyed hashes beside them) and decided in the request by the same policy as the
workers, so the desk, the statistics and retraining see it. submit-spam and submit-ham are a
moderator's feedback: they go through the desk's actions, which record the decision, the audit
entry and the labelled training examples that `mizan feedback export` writes.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mizan.service.config import Settings
from mizan.service.crypto import Keys, token_urlsafe
from mizan.service.db import DecisionRecord, aware, utcnow
from mizan.service.desk import Actor, Desk
from mizan.service.errors import Conflict, NotFound, ValidationFailed
from mizan.service.intake import article_link
from mizan.service.integrations.repository import IntegrationRepository
from mizan.service.integrations.scoring import InProcessDecider
from mizan.service.policy import PendingComment
from mizan.service.queue import TaskSender
from mizan.service.tables import Site

log = logging.getLogger("mizan.akismet")

# What the answers say (https://akismet.com/developers/): exactly these bodies.
VALID, INVALID = "valid", "invalid"
SPAM, HAM = "true", "false"
THANKS = "Thanks for making the web a better place."

KEY_PATTERN = re.compile(r"^mz[0-9a-f]{32}$")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# Spam found by these rules is certain enough to say "discard" (Akismet's pro tip).
_BLATANT = frozenset({"banned_author", "blocked_term", "blocked_domain", "duplicate", "honeypot"})
POLICY_VERSION_FEEDBACK = "akismet-feedback-1"


class AkismetError(Exception):
    """A documented error answer: the body, `X-akismet-debug-help` and `X-akismet-error`."""

    def __init__(self, help_text: str, code: str, retry_after: int | None = None) -> None:
        super().__init__(help_text)
        self.help_text = help_text
        self.code = code
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class CheckResult:
    spam: bool
    discard: bool
    guid: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    """A site key: lower-case letters and digits only, so it also works as a host name label
    (clients of the first API version put the key in front of the host: KEY.rest.akismet.com)."""
    return "mz" + secrets.token_hex(16)


def _origin(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _clip(value: str | None, limit: int) -> str | None:
    value = (value or "").strip()
    return value[:limit] if value else None


def _http_url(value: str | None, limit: int) -> str | None:
    value = (value or "").strip()
    if not value or len(value) > limit:
        return None
    return value if _origin(value) else None


class Akismet:
    """Sites, keys, checks and feedback over the integrations repository."""

    def __init__(
        self,
        settings: Settings,
        repo: IntegrationRepository,
        keys: Keys,
        sender: TaskSender | None = None,
        desk: Desk | None = None,
        decider: InProcessDecider | None = None,
    ) -> None:
        self.settings = settings
        self.repo = repo
        self.keys = keys
        self.sender = sender
        self.desk = desk
        self.decider = decider
        self._sites: dict[str, tuple[float, Site | None]] = {}
        self._sites_lock = threading.Lock()

    def warm(self) -> None:
        """Have this process load its classifier in the background, if it has not yet."""
        if self.decider is not None:
            self.decider.warm()

    # --- sites ----------------------------------------------------------------------------------
    def add_site(self, name: str, origin: str, created_by: str | None) -> tuple[str, Site]:
        """Register a site; returns its key (shown once) and the site."""
        errors: dict[str, list[str]] = {}
        if not NAME_PATTERN.match(name or ""):
            errors["name"] = ["1-100 letters, digits, dots, dashes or underscores."]
        clean = _origin(origin or "")
        if clean is None or len(clean) > 300:
            errors["origin"] = ["An http(s) origin, such as https://news.example."]
        if errors:
            raise ValidationFailed("The site could not be added: see the fields.", fields=errors)
        key = new_key()
        assert clean is not None
        site_id = self.repo.create_site(name, clean, hash_key(key), key[:10], created_by)
        if site_id is None:
            raise Conflict("A site with this name exists.", fields={"name": ["Already taken."]})
        site = next(s for s in self.repo.sites() if s.id == site_id)
        return key, site

    def revoke_site(self, name: str) -> None:
        if not self.repo.revoke_site(name):
            raise NotFound("No live site with this name.")
        with self._sites_lock:
            self._sites.clear()

    def sites(self) -> list[dict[str, Any]]:
        stats = self.repo.site_stats()  # checks, and how many are not published now
        return [
            {
                "id": s.id,
                "name": s.name,
                "origin": s.origin,
                "key_prefix": s.key_prefix,
                "created_at": aware(s.created_at),
                "last_used_at": aware(s.last_used_at),
                "revoked": s.revoked_at is not None,
                **stats.get(s.id, {"checks": 0, "spam": 0}),
            }
            for s in self.repo.sites()
        ]

    def site_for_key(self, key: str | None) -> Site | None:
        """The live site of this key (cached a few seconds per process), or None."""
        if not key or not KEY_PATTERN.match(key):
            return None
        digest = hash_key(key)
        now = time.monotonic()
        with self._sites_lock:
            hit = self._sites.get(digest)
        if hit is not None and now - hit[0] < 5.0:
            return hit[1]
        site = self.repo.site_for_key(digest)
        with self._sites_lock:
            if len(self._sites) > 1000:
                self._sites.clear()
            self._sites[digest] = (now, site)
        return site

    # --- the comment --------------------------------------------------------------------------
    def _content_hash(self, data: dict[str, str]) -> str:
        author = (data.get("comment_author") or "").strip()
        body = (data.get("comment_content") or "").strip()
        return self.keys.lookup_hash("akismet", f"{author}\n{body}") or ""

    def _row(self, site: Site, data: dict[str, str], status: str) -> dict[str, Any]:
        now = utcnow()
        body = data.get("comment_content") or ""
        if len(body) > self.settings.max_body_chars:
            raise AkismetError(
                f"comment_content is longer than {self.settings.max_body_chars} characters.",
                "comment_content_too_long",
            )
        email = (data.get("comment_author_email") or "").strip()[:254]
        ip = _clip(data.get("user_ip"), 64)
        permalink = article_link(_http_url(data.get("permalink"), 2000))
        # The article: its permalink (or the site's front page) on this site.
        post_id = f"{site.name}:{urlsplit(permalink).path if permalink else '/'}"[:200]
        referrer = _http_url(data.get("referrer"), 2000)
        return {
            "id": token_urlsafe(12),
            "post_id": post_id,
            "permalink": permalink,
            # the desk shows the article by it (Akismet sends no title)
            "article_url": permalink,
            "parent_id": None,
            "root_id": None,
            "section": None,
            "author_name": _clip(data.get("comment_author"), 245) or "-",
            "author_url": _http_url(data.get("comment_author_url"), 200),
            "author_email_enc": self.keys.encrypt(email),
            "author_email_hash": self.keys.lookup_hash("email", email),
            "ip_enc": self.keys.encrypt(ip),
            "ip_hash": self.keys.lookup_hash("ip", ip),
            "user_agent": _clip(data.get("user_agent"), 500),
            # Only the origin and path: a query string can identify a reader.
            "referrer": (
                f"{_origin(referrer)}{urlsplit(referrer).path or '/'}" if referrer else None
            ),
            "accept_language": _clip(data.get("blog_lang"), 200),
            "body": body,
            "status": status,
            "created_at": now,
            "updated_at": now,
            "decided_at": None,
            "enqueued_at": now,
            "metadata_erased_at": None,
            "browser_token_hash": None,
        }

    def check(self, site: Site, data: dict[str, str], request_id: str | None) -> CheckResult:
        """Decide the comment within the deadline, then store it for the site with its
        decision (one transaction); without a decision in time, store it pending and queue it."""
        deadline = time.monotonic() + self.settings.integrations.akismet_timeout
        row = self._row(site, data, "pending")
        guid = token_urlsafe(18)
        check = {
            "guid": guid,
            "site_id": site.id,
            "comment_id": row["id"],
            "content_hash": self._content_hash(data),
            "created_at": row["created_at"],
        }
        pending = PendingComment(
            id=row["id"],
            post_id=row["post_id"],
            section=None,
            author_url=row["author_url"],
            author_email_hash=row["author_email_hash"],
            ip_enc=row["ip_enc"],
            ip_hash=row["ip_hash"],
            browser_token_hash=None,
            body=row["body"],
            created_at=row["created_at"],
        )
        outcome = self.decider.decide(pending, deadline) if self.decider else None
        if outcome is None:
            self.repo.record_check(row, check, None)
            if self.sender is not None:
                try:  # the workers decide it (the sweep would, a little later)
                    self.sender.send_score([row["id"]], request_id)
                except Exception as exc:  # noqa: BLE001 - the sweep re-queues it
                    log.warning("could not queue an undecided check: %s", type(exc).__name__)
            raise AkismetError(
                "Mizan could not decide in time; hold the comment for moderation and check it "
                "again later.",
                "timeout",
                retry_after=5,
            )
        row.update(status=outcome.status, decided_at=utcnow(), enqueued_at=None)
        self.repo.record_check(row, check, outcome.record)
        if outcome.record.decided_by == "failure":
            # No usable model: the comment waits for a moderator, and the client holds it too.
            raise AkismetError(
                "Mizan has no usable classifier; hold the comment for moderation.", "no_model"
            )
        spam = outcome.status != "approved"
        return CheckResult(spam, spam and self._blatant(outcome.record), guid)

    def _blatant(self, record: DecisionRecord) -> bool:
        if record.outcome != "spam":
            return False
        first = (record.reasons or [{}])[0]
        code = first.get("code") if isinstance(first, dict) else None
        if code in _BLATANT:
            return True
        score = (record.scores or {}).get("spam")
        return (
            code == "spam_score"
            and isinstance(score, int | float)
            and score >= self.settings.integrations.akismet_discard_spam
        )

    # --- feedback -----------------------------------------------------------------------------
    def submit(self, site: Site, data: dict[str, str], spam: bool) -> None:
        """A site's moderator says the comment is spam (or not): the desk's action on it."""
        if self.desk is None:  # pragma: no cover - wired in create_app
            raise RuntimeError("no desk")
        actor = Actor(id=None, email=f"site:{site.name}"[:100], role="moderator", lang="en")
        comment_id = self.repo.find_check(site.id, self._content_hash(data), data.get("guid"))
        if comment_id is None:
            # Never checked here (or checked before the site used Mizan): record it with the
            # verdict, so retraining still learns from it.
            row = self._row(site, data, "held")
            row["decided_at"] = row["created_at"]
            self.repo.record_untested(
                row,
                DecisionRecord(
                    comment_id=row["id"],
                    outcome="held",
                    decided_by="intake",
                    scores={},
                    reasons=[{"code": "akismet_feedback", "site": site.name}],
                    model_version=None,
                    policy_version=POLICY_VERSION_FEEDBACK,
                ),
            )
            comment_id = row["id"]
        status = self.repo.comment_status(comment_id)
        if spam:
            action = None if status == "spam" else "spam"
        else:
            action = {"spam": "not_spam", "approved": None}.get(status or "", "approve")
        if action is None:
            return  # already where the site says it belongs
        try:
            self.desk.act(actor, comment_id, action)
        except (Conflict, NotFound) as exc:
            log.info("feedback not applied: %s", exc.message)
