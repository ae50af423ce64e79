"""SQLAlchemy 2 ORM tables; the same definitions run on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

STATUSES = ("pending", "approved", "held", "spam", "rejected")
DECIDED_BY = ("model", "rule", "moderator", "intake", "failure")


class Base(DeclarativeBase):
    pass


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    post_id: Mapped[str] = mapped_column(String(200))
    permalink: Mapped[str | None] = mapped_column(String(2000))
    parent_id: Mapped[str | None] = mapped_column(String(24))
    # The thread's first comment, so a post's page reads each thread with one query.
    root_id: Mapped[str | None] = mapped_column(String(24))
    section: Mapped[str | None] = mapped_column(String(100))
    author_name: Mapped[str] = mapped_column(String(245))
    author_url: Mapped[str | None] = mapped_column(String(200))
    # Private: encrypted at rest, with keyed hashes beside them for equality look-ups.
    author_email_enc: Mapped[str] = mapped_column(Text)
    author_email_hash: Mapped[str] = mapped_column(String(64))
    ip_enc: Mapped[str | None] = mapped_column(Text)
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    referrer: Mapped[str | None] = mapped_column(String(2000))
    accept_language: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    metadata_erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_comments_post_status_created", "post_id", "status", "created_at"),
        Index("ix_comments_status_created", "status", "created_at"),
        Index("ix_comments_root", "root_id"),
        Index("ix_comments_email_hash_created", "author_email_hash", "created_at"),
        Index("ix_comments_ip_hash_created", "ip_hash", "created_at"),
    )


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    comment_id: Mapped[str] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    # "automatic" decisions (intake, rules, model, failure policy) happen exactly once per comment;
    # moderators may decide as often as they like.
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    decided_by: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(100))
    scores: Mapped[dict] = mapped_column(JSON, default=dict)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    model_version: Mapped[str | None] = mapped_column(String(64))
    policy_version: Mapped[str | None] = mapped_column(String(64))
    applied: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_decisions_comment", "comment_id"),
        Index(
            "uq_decisions_one_automatic",
            "comment_id",
            unique=True,
            sqlite_where=text("kind = 'automatic'"),
            postgresql_where=text("kind = 'automatic'"),
        ),
    )
