"""The public read side's use cases: a page of approved threads, one comment, a status poll."""

from __future__ import annotations

from typing import Any

from mizan.service.crypto import Keys
from mizan.service.db import aware, decode_cursor, encode_cursor
from mizan.service.errors import ValidationFailed
from mizan.service.http.payload import strict_int
from mizan.service.policy import reason_category
from mizan.service.publishing.repository import PublicRepository
from mizan.service.publishing.schemas import PublicCommentOut

# The same wording as the intake's field errors: one message for "see the fields".
MSG_FIELDS = "The comment could not be accepted: see the fields."

_public = PublicCommentOut()


def public_dict(row: Any) -> dict[str, Any]:
    """A comment as readers may see it."""
    out: dict[str, Any] = _public.dump(
        {
            "id": row.id,
            "parent_id": row.parent_id,
            "author_name": row.author_name,
            "author_url": row.author_url,
            "body": row.body,
            # SQLite hands back naive UTC datetimes: every public time says its zone.
            "created_at": aware(row.created_at),
        }
    )
    return out


class Publishing:
    """What readers and authors may read back."""

    def __init__(self, repo: PublicRepository, keys: Keys) -> None:
        self.repo = repo
        self.keys = keys

    def thread_page(self, post_id: str, raw_limit: str, cursor: str | None) -> dict[str, Any]:
        """Approved threads of a post, oldest first, with their replies and the next cursor."""
        limit = strict_int(raw_limit, 1, 100)
        if limit is None:
            raise ValidationFailed(
                MSG_FIELDS, fields={"limit": ["Must be a whole number between 1 and 100."]}
            )
        after = None
        if cursor:
            after = decode_cursor(cursor)
            if after is None:
                raise ValidationFailed(MSG_FIELDS, fields={"cursor": ["Invalid cursor."]})
        roots, replies, more = self.repo.public_threads(post_id, after, limit)
        children: dict[str, list[dict[str, Any]]] = {}
        for r in replies:
            children.setdefault(r.root_id, []).append(public_dict(r))
        threads = []
        for root in roots:
            item = public_dict(root)
            item["replies"] = children.get(root.id, [])
            threads.append(item)
        return {
            "post_id": post_id,
            "comments": threads,
            "next_cursor": encode_cursor(roots[-1].created_at, roots[-1].id) if more else None,
        }

    def receipt_valid(self, comment_id: str, receipt: str | None) -> bool:
        """Whether `receipt` is the author's receipt for this comment."""
        return (
            receipt is not None
            and len(comment_id) <= 64
            and self.keys.check_receipt(comment_id, receipt)
        )

    def status(self, comment_id: str) -> dict[str, Any] | None:
        """The author's view of their comment: its status and a reason category, never the rule."""
        found = self.repo.status_with_reasons(comment_id)
        if found is None:
            return None
        status, reasons, row = found
        # The author's own words come back with the receipt, so the page that holds it (the
        # widget, after a plain form's redirect) can show the comment while it waits.
        return {
            "id": comment_id,
            "status": status,
            "reason_category": reason_category(status, reasons),
            "post_id": row.post_id,
            "parent_id": row.parent_id,
            "author_name": row.author_name,
            "body": row.body,
            "created_at": aware(row.created_at).isoformat(),
        }

    def comment(self, comment_id: str) -> dict[str, Any] | None:
        """A published comment, or None."""
        row = self.repo.public_comment(comment_id)
        return None if row is None else public_dict(row)
