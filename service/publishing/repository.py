"""The public read side's queries: approved threads, one approved comment, a status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, or_, select

from mizan.service.tables import Comment, Decision

PUBLIC_COLUMNS = (
    Comment.id,
    Comment.parent_id,
    Comment.root_id,
    Comment.author_name,
    Comment.author_url,
    Comment.body,
    Comment.created_at,
)


class PublicRepository:
    """Read-only access to what readers and authors may see."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def status_with_reasons(self, comment_id: str) -> tuple[str, list, Any] | None:
        """A comment's status, the reasons of the decision that applies to it now, and what its
        author wrote (status, post_id, parent_id, author_name, body, created_at)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    Comment.status,
                    Comment.post_id,
                    Comment.parent_id,
                    Comment.author_name,
                    Comment.body,
                    Comment.created_at,
                ).where(Comment.id == comment_id)
            ).first()
            if row is None:
                return None
            status = row.status
            reasons = conn.execute(
                select(Decision.reasons)
                .where(Decision.comment_id == comment_id, Decision.applied.is_(True))
                .order_by(Decision.id.desc())
                .limit(1)
            ).scalar()
        return status, reasons or [], row

    def public_comment(self, comment_id: str) -> Any:
        stmt = select(*PUBLIC_COLUMNS).where(Comment.id == comment_id, Comment.status == "approved")
        with self.engine.connect() as conn:
            return conn.execute(stmt).first()

    def public_threads(
        self, post_id: str, after: tuple[datetime, str] | None, limit: int
    ) -> tuple[Any, Any, bool]:
        """Approved thread roots of a post, oldest first, and every approved reply in them."""
        stmt = select(*PUBLIC_COLUMNS).where(
            Comment.post_id == post_id, Comment.status == "approved", Comment.parent_id.is_(None)
        )
        if after is not None:
            created, cid = after
            stmt = stmt.where(
                or_(
                    Comment.created_at > created,
                    and_(Comment.created_at == created, Comment.id > cid),
                )
            )
        stmt = stmt.order_by(Comment.created_at, Comment.id).limit(limit + 1)
        with self.engine.connect() as conn:
            roots = conn.execute(stmt).all()
            more = len(roots) > limit
            roots = roots[:limit]
            replies = []  # type: ignore[var-annotated]
            if roots:
                replies = conn.execute(  # type: ignore[assignment]
                    select(*PUBLIC_COLUMNS)
                    .where(
                        Comment.root_id.in_([r.id for r in roots]),
                        Comment.status == "approved",
                        Comment.post_id == post_id,
                    )
                    .order_by(Comment.created_at, Comment.id)
                ).all()
        return roots, replies, more
