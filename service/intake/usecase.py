"""Use cases of the service: no Flask here, only settings, repository, keys and the queue."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError

from mizan.service.config import Settings
from mizan.service.crypto import Keys, token_urlsafe
from mizan.service.db import DecisionRecord, utcnow
from mizan.service.errors import Unavailable, ValidationFailed
from mizan.service.intake.repository import Repository
from mizan.service.intake.schemas import article_link
from mizan.service.queue import TaskSender

log = logging.getLogger("mizan.domain")

POLICY_VERSION_INTAKE = "intake-1"


@dataclass(frozen=True, slots=True)
class RequestMeta:
    """What the server records about a submission besides the form fields."""

    ip: str | None
    user_agent: str | None
    referrer: str | None
    accept_language: str | None
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class Accepted:
    id: str
    status: str
    receipt: str


def new_comment_id() -> str:
    """Opaque, non-sequential id (96 random bits, URL-safe)."""
    return token_urlsafe(12)


def _clip(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None


class Service:
    """The service's use cases over one database, one key set and one task sender."""

    def __init__(self, settings: Settings, repo: Repository, keys: Keys, sender: TaskSender):
        self.settings = settings
        self.repo = repo
        self.keys = keys
        self.sender = sender

    @classmethod
    def from_settings(cls, settings: Settings, pool_size: int = 2) -> Service:
        """A Service with its own engine and sender (a worker process, the CLI)."""
        from mizan.service.db import make_engine
        from mizan.service.queue import make_sender

        return cls(
            settings,
            Repository(make_engine(settings.database_url, pool_size)),
            Keys(settings.secret_key),
            make_sender(settings.broker_url),
        )

    def submit_comment(
        self, data: dict[str, Any], meta: RequestMeta, *, honeypot_filled: bool = False
    ) -> Accepted:
        """Validate references, store the comment as pending, queue it after the commit."""
        root_id = None
        parent_id = data.get("parent_id")
        extra = None
        try:
            if parent_id is not None:
                parent = self.repo.parent_info(parent_id)
                if parent is None or parent.status != "approved":
                    raise ValidationFailed(
                        "The comment could not be accepted: see the fields.",
                        fields={
                            "parent_id": ["The parent comment does not exist or is not published."]
                        },
                    )
                if parent.post_id != data["post_id"]:
                    raise ValidationFailed(
                        "The comment could not be accepted: see the fields.",
                        fields={"parent_id": ["The parent comment belongs to another article."]},
                    )
                root_id = parent.root_id or parent_id
            # Intake rules (service/intake_rules.py): closed posts 403, flood 429, repeats 409.
            rules = getattr(self, "intake_rules", None)
            if rules is None:
                from mizan.service.intake.rules import IntakeRules

                rules = self.intake_rules = IntakeRules.for_service(self)
            extra = rules.check(data, meta)
            now = utcnow()
            comment_id = new_comment_id()
            email = data["author_email"].strip()
            status = "spam" if honeypot_filled else "pending"
            row = {
                "id": comment_id,
                "post_id": data["post_id"],
                "permalink": article_link(data.get("permalink")),
                "article_url": article_link(data.get("article_url") or data.get("permalink")),
                "article_title": data.get("title"),
                "parent_id": parent_id,
                "root_id": root_id,
                "section": data.get("section"),
                "author_name": data["author_name"],
                "author_url": data.get("author_url"),
                "author_email_enc": self.keys.encrypt(email),
                "author_email_hash": self.keys.lookup_hash("email", email),
                "ip_enc": self.keys.encrypt(meta.ip),
                "ip_hash": self.keys.lookup_hash("ip", meta.ip),
                "user_agent": _clip(meta.user_agent, 500),
                "referrer": _clip(meta.referrer, 2000),
                "accept_language": _clip(meta.accept_language, 200),
                "body": data["body"],
                "status": status,
                "created_at": now,
                "updated_at": now,
                "decided_at": now if honeypot_filled else None,
                "enqueued_at": None if honeypot_filled else now,
                "metadata_erased_at": None,
            }
            row.update(extra.columns)
            decision = None
            if honeypot_filled:
                decision = DecisionRecord(
                    comment_id=comment_id,
                    outcome="spam",
                    decided_by="intake",
                    scores={},
                    reasons=[{"code": "honeypot"}],
                    model_version=None,
                    policy_version=POLICY_VERSION_INTAKE,
                )
            self.repo.insert_comment(row, decision)
        except DBAPIError as exc:
            if extra is not None:
                extra.undo()
            log.warning("database unavailable at intake: %s", type(exc.orig or exc).__name__)
            raise Unavailable(
                "The service is temporarily unavailable; try again shortly.", retry_after=5
            ) from None
        if not honeypot_filled:
            self._enqueue([comment_id], meta.request_id)
        return Accepted(comment_id, "pending", self.keys.receipt(comment_id))

    def _enqueue(self, ids: list[str], request_id: str | None) -> bool:
        # After the commit: a broker outage leaves the comment pending for the sweep, never lost.
        try:
            self.sender.send_score(ids, request_id)
            return True
        except Exception as exc:  # noqa: BLE001 - any broker failure is handled the same way
            log.warning("could not queue %d comment(s): %s", len(ids), type(exc).__name__)
            return False

    def requeue_stale(self) -> int:
        """Re-queue comments left pending too long; returns how many were sent."""
        cutoff = utcnow() - timedelta(seconds=self.settings.pending_requeue_seconds)
        ids = self.repo.stale_pending(cutoff)
        sent = 0
        for start in range(0, len(ids), 50):
            chunk = ids[start : start + 50]
            if not self._enqueue(chunk, None):
                break
            self.repo.mark_enqueued(chunk, utcnow())
            sent += len(chunk)
        return sent

    def erase_expired_metadata(self) -> int:
        """Erase IP and user agent past the retention period."""
        return self.repo.erase_private_metadata(
            utcnow() - timedelta(days=self.settings.retention_days)
        )
