"""The queue: what waits for a moderator, counts, one comment in detail, revealing an email."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mizan.service.db import decode_cursor, encode_cursor
from mizan.service.desk.common import (
    MSG_FIELDS,
    QUEUE_STATUSES,
    SORTS,
    Actor,
    DeskBase,
    _iso,
    audit_dict,
    mask_email,
    near_duplicate_groups,
    why_spans,
)
from mizan.service.errors import (
    Conflict,
    NotFound,
    ValidationFailed,
)
from mizan.service.policy import PolicyConfig

# Statuses of an author's comments that "approve and trust" approves.
WAITING = ("held", "spam", "reported")
AUTHOR_COMMENTS = 200
# How many of the oldest comments of a queue "most uncertain first" looks at.
UNCERTAIN_SCAN = 2000


class Queue(DeskBase):
    """The queue: what waits for a moderator, counts, one comment in detail, revealing an email."""

    # --- the queue -------------------------------------------------------------------------------
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
        search = (q or "").strip() or None
        if sort == "uncertain":
            offset = int(cursor.partition(".")[0]) if cursor and cursor[:1].isdigit() else 0
            rows, more = self._most_uncertain(status, post_id or None, search, offset, limit)
            next_cursor = f"{offset + limit}.u" if more else None
        else:
            rows, more = self.repo.queue_page(
                status, post_id or None, search, sort == "newest", after, limit
            )
            next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
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
            "next_cursor": next_cursor,
        }

    def _most_uncertain(
        self, status: str, post_id: str | None, q: str | None, offset: int, limit: int
    ) -> tuple[list[Any], bool]:
        """The queue ordered by how close each comment's scores came to a threshold.

        Those are the comments the model was least sure of: a moderator's decision on them
        settles the most, and they make the best retraining examples. Comments without scores
        (held by a rule alone) come last, oldest first. Sorted in memory over the oldest
        UNCERTAIN_SCAN comments of the queue.
        """
        rows, _ = self.repo.queue_page(status, post_id, q, False, None, UNCERTAIN_SCAN)
        autos = self.repo.automatic_decisions([r.id for r in rows])
        config = PolicyConfig.from_settings(self.settings)
        model_thresholds = self.repo.active_model_thresholds()

        def distance(row: Any) -> float:
            d = autos.get(row.id)
            scores = (d.scores or {}) if d else {}
            t = config.thresholds(model_thresholds, row.section)
            gaps = []
            if isinstance(scores.get("spam"), int | float):
                gaps += [abs(scores["spam"] - t[k]) for k in ("spam", "hold_spam_unsupported")]
            if isinstance(scores.get("abuse"), int | float):
                gaps += [abs(scores["abuse"] - t[k]) for k in ("approve_abuse", "reject_abuse")]
            return min(gaps) if gaps else float("inf")

        ordered = sorted(rows, key=lambda r: (distance(r), r.created_at, r.id))
        page = ordered[offset : offset + limit]
        return page, len(ordered) > offset + limit

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
                    "article_url": r.article_url,
                    "article_title": r.article_title,
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
                    "spans": why_spans(reasons, r.body),
                    "decided_by": d.decided_by if d else None,
                    "auto_outcome": d.outcome if d else None,
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

    def author(self, comment_id: str, limit: int = AUTHOR_COMMENTS) -> dict[str, Any]:
        """The author of a comment: their comments (by the email's keyed hash) and decisions.

        The email stays masked here; revealing it is its own audited action.
        """
        row = self.repo.comment(comment_id)
        if row is None:
            raise NotFound("Not found.")
        rows = self.repo.comments_by_author(row.author_email_hash, limit)
        items = self._items(rows)
        me = next((i for i in items if i["id"] == comment_id), None) or self._items([row])[0]
        waiting = [i["id"] for i in items if i["status"] in WAITING]
        return {
            "comment_id": comment_id,
            "author": me["author"],
            "comments": items,
            "waiting": waiting,
        }

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
