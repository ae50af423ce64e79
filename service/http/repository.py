"""The read-only queries of the ops endpoints (readiness, /metrics): the only SQL in http/."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select, text

from mizan.service.tables import Comment, Decision


def ping(engine: Engine) -> None:
    """One round trip to the database."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1")).scalar()


def decision_totals(conn: Connection, before: datetime) -> Sequence[Any]:
    """(outcome, decided_by, count, max id) of the decisions made before `before`."""
    return conn.execute(
        select(Decision.outcome, Decision.decided_by, func.count(), func.max(Decision.id))
        .where(Decision.created_at < before)
        .group_by(Decision.outcome, Decision.decided_by)
    ).all()


def decisions_after(conn: Connection, after_id: int, before: datetime, limit: int) -> Sequence[Any]:
    """Decisions with an id above `after_id` made before `before`, with their comment's time."""
    return conn.execute(
        select(
            Decision.id,
            Decision.outcome,
            Decision.decided_by,
            Decision.kind,
            Decision.created_at,
            Comment.created_at,
        )
        .join(Comment, Comment.id == Decision.comment_id)
        .where(Decision.id > after_id, Decision.created_at < before)
        .order_by(Decision.id)
        .limit(limit)
    ).all()


def pending_and_model(engine: Engine) -> tuple[int, datetime | None, str | None]:
    """Pending comments, the oldest one's time, and the model version of the latest decision."""
    with engine.connect() as conn:
        n, oldest = conn.execute(
            select(func.count(), func.min(Comment.created_at)).where(Comment.status == "pending")
        ).one()
        version = conn.execute(
            select(Decision.model_version)
            .where(Decision.decided_by == "model", Decision.model_version.is_not(None))
            .order_by(Decision.id.desc())
            .limit(1)
        ).scalar()
    return n, oldest, version


def held_backlog(engine: Engine) -> tuple[int, datetime | None]:
    """Comments held for a moderator, and when the oldest of them was posted."""
    with engine.connect() as conn:
        n, oldest = conn.execute(
            select(func.count(), func.min(Comment.created_at)).where(Comment.status == "held")
        ).one()
    return int(n), oldest
