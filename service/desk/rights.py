"""Readers' data rights: export everything stored for one email address, or erase it.

The address is looked up by its keyed hash, as intake stored it (trimmed, lower-case). Export is
JSON with the comments (text, article, name, website, IP and user agent while still kept),
their decisions and report counts, and bans on the address. Erasure either deletes the comments
or keeps each as "removed by request": text replaced, name, website, email, IP, user agent,
referrer and browser token wiped, the email hash replaced by a random value that links nothing.
Both are audited by count, never with the address.
"""

from __future__ import annotations

import secrets
from typing import Any

from mizan.service.db import utcnow
from mizan.service.desk.common import MSG_FIELDS, Actor, DeskBase, _iso
from mizan.service.errors import ValidationFailed

ERASE_MODES = ("remove", "delete")
# What a comment kept after erasure says, in both languages (the public list shows it).
REMOVED_BODY = "حُذف هذا التعليق بطلب من كاتبه · This comment was removed at its author's request."
REMOVED_NAME = "—"


def _check_email(email: str) -> str:
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254:
        raise ValidationFailed(MSG_FIELDS, fields={"email": ["Not a valid email address."]})
    return email


class Rights(DeskBase):
    """Readers' data rights: export and erasure for one email address (admins)."""

    def _audit(self, actor: Actor, action: str, detail: dict[str, Any], rid: str | None) -> dict:
        return {
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

    def export_reader(
        self, actor: Actor, email: str, request_id: str | None = None
    ) -> dict[str, Any]:
        """Everything stored for one email address, as JSON-ready data (audited)."""
        email = _check_email(email)
        data = self.repo.reader_data(self.keys.lookup_hash("email", email) or "")
        comments = []
        for c in data["comments"]:
            comments.append(
                {
                    "id": c.id,
                    "post_id": c.post_id,
                    "permalink": c.permalink,
                    "article_url": c.article_url,
                    "article_title": c.article_title,
                    "parent_id": c.parent_id,
                    "section": c.section,
                    "author_name": c.author_name,
                    "author_url": c.author_url,
                    "author_email": self.keys.decrypt(c.author_email_enc),
                    "body": c.body,
                    "status": c.status,
                    "created_at": _iso(c.created_at),
                    "decided_at": _iso(c.decided_at),
                    "ip": self.keys.decrypt(c.ip_enc),
                    "user_agent": c.user_agent,
                    "referrer": c.referrer,
                    "accept_language": c.accept_language,
                    "metadata_erased_at": _iso(c.metadata_erased_at),
                    "decisions": [
                        {
                            "outcome": d.outcome,
                            "decided_by": d.decided_by,
                            "reasons": d.reasons,
                            "created_at": _iso(d.created_at),
                        }
                        for d in data["decisions"].get(c.id, [])
                    ],
                    "reader_reports": data["reports"].get(c.id, 0),
                }
            )
        self.repo.audit(self._audit(actor, "data_export", {"comments": len(comments)}, request_id))
        return {
            "email": email,
            "exported_at": _iso(utcnow()),
            "comments": comments,
            "bans": [
                {
                    "kind": b.kind,
                    "note": b.note,
                    "created_at": _iso(b.created_at),
                    "expires_at": _iso(b.expires_at),
                }
                for b in data["bans"]
            ],
            "training_examples": data["examples"],
        }

    def erase_reader(
        self, actor: Actor, email: str, mode: str, request_id: str | None = None
    ) -> dict[str, Any]:
        """Erase everything stored for one email address: comments removed or deleted."""
        email = _check_email(email)
        if mode not in ERASE_MODES:
            raise ValidationFailed(
                MSG_FIELDS, fields={"mode": [f"Must be one of: {', '.join(ERASE_MODES)}."]}
            )
        removed, deleted = self.repo.erase_reader(
            self.keys.lookup_hash("email", email) or "",
            mode == "delete",
            {
                "body": REMOVED_BODY,
                "author_name": REMOVED_NAME,
                "author_url": None,
                "author_email_enc": "",
                "author_email_hash": "erased:" + secrets.token_hex(16),
                "ip_enc": None,
                "ip_hash": None,
                "user_agent": None,
                "referrer": None,
                "accept_language": None,
                "browser_token_hash": None,
            },
            {
                "kind": "moderator",
                "outcome": "rejected",
                "decided_by": "moderator",
                "actor": actor.email[:100],
                "scores": {},
                "reasons": [{"code": "erased", "action": "data_erase"}],
                "model_version": None,
                "policy_version": None,
                "applied": True,
            },
            self._audit(actor, "data_erase", {"mode": mode}, request_id),
        )
        return {"mode": mode, "removed": removed, "deleted": deleted}
