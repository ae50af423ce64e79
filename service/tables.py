"""SQLAlchemy 2 ORM tables; the same definitions run on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

STATUSES = ("pending", "approved", "held", "spam", "rejected", "reported")
DECIDED_BY = ("model", "rule", "moderator", "intake", "failure")


class Base(DeclarativeBase):
    pass


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    post_id: Mapped[str] = mapped_column(String(200))
    permalink: Mapped[str | None] = mapped_column(String(2000))
    # The article as the site named it: its URL (the permalink field, a site template or the
    # full Referer) and title (the form's `title`, the widget's data-title), for moderators.
    article_url: Mapped[str | None] = mapped_column(String(2000))
    article_title: Mapped[str | None] = mapped_column(String(300))
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
    # Keyed hash of the signed first-party browser token (trusted-author rule); never the token.
    browser_token_hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_comments_post_status_created", "post_id", "status", "created_at"),
        Index(
            "ix_comments_email_token_status", "author_email_hash", "browser_token_hash", "status"
        ),
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
        # the desk's stats and the public sync read decisions by time window
        Index("ix_decisions_created", "created_at"),
        Index(
            "uq_decisions_one_automatic",
            "comment_id",
            unique=True,
            sqlite_where=text("kind = 'automatic'"),
            postgresql_where=text("kind = 'automatic'"),
        ),
    )


class WordTerm(Base):
    """A moderator-edited term: list "blocked" (reject or spam) or "watched" (hold)."""

    __tablename__ = "word_terms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    term: Mapped[str] = mapped_column(String(200))
    # models.normalize.fold(term): what matching uses; unique per list.
    folded: Mapped[str] = mapped_column(String(200))
    list: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("folded", "list", name="uq_word_terms_folded_list"),)


class BlockedDomain(Base):
    __tablename__ = "blocked_domains"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    domain: Mapped[str] = mapped_column(String(253))
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("domain", name="uq_blocked_domains_domain"),)


class AuthorBan(Base):
    """A ban on an email or IP (stored as the keyed lookup hash) or on a CIDR network."""

    __tablename__ = "author_bans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # "email" | "ip" | "network"
    value_hash: Mapped[str | None] = mapped_column(String(64))
    network: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_author_bans_kind_hash", "kind", "value_hash"),)


class PostSetting(Base):
    """Per-post switches: comments closed (intake 403) and pre-moderation (everything held)."""

    __tablename__ = "post_settings"

    post_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    comments_closed: Mapped[bool] = mapped_column(default=False)
    premoderation: Mapped[bool] = mapped_column(default=False)
    updated_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- the moderation desk (migration 0003) ---------------------------------------------------------
# A reader report can move an approved comment to this status (it then leaves the public list).
DESK_STATUSES = ("held", "spam", "reported", "approved", "rejected")


class Moderator(Base):
    """A desk account (role "moderator" or "admin"); the password is stored as an argon2 hash."""

    __tablename__ = "moderators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    lang: Mapped[str] = mapped_column(String(2), default="ar")
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped to end every session of the account (password change, deactivation).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("email", name="uq_moderators_email"),)


class ApiToken(Base):
    """A personal API token; only its SHA-256 is stored, so a leaked table grants nothing."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    moderator_id: Mapped[int] = mapped_column(ForeignKey("moderators.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("token_hash", name="uq_api_tokens_hash"),)


class AuditEntry(Base):
    """Who did what to which comment (or list, ban, post, model), from which status to which."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(32))
    comment_id: Mapped[str | None] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_audit_log_created", "created_at"),
        Index("ix_audit_log_comment", "comment_id"),
    )


class ReaderReport(Base):
    """One reader's report of a comment; one per reader (keyed IP hash) and comment."""

    __tablename__ = "reader_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    comment_id: Mapped[str] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(500))
    reporter_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("comment_id", "reporter_hash", name="uq_reader_reports_comment_reporter"),
        Index("ix_reader_reports_reporter_created", "reporter_hash", "created_at"),
    )


class TrainingExample(Base):
    """A moderator's decision as a labelled example: the text as submitted, label, moderator."""

    __tablename__ = "training_examples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    comment_id: Mapped[str] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    decision_id: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # task "spam" or "abuse" with label 0/1; None for decisions that teach no head (off-topic).
    task: Mapped[str | None] = mapped_column(String(8))
    label: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    weight: Mapped[float] = mapped_column(default=1.0)
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    moderator_id: Mapped[int | None] = mapped_column(Integer)
    # A later decision on the same comment supersedes this one.
    superseded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_training_examples_comment", "comment_id"),
        Index("ix_training_examples_created", "created_at"),
    )


class ModelVersion(Base):
    """A classifier version known to the service; at most one is active at a time."""

    __tablename__ = "model_versions"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # "shipped" | "data_dir"
    thresholds: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(default=False)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    activated_by: Mapped[str | None] = mapped_column(String(254))

    __table_args__ = (
        Index(
            "uq_model_versions_one_active",
            "active",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )


class RateEvent(Base):
    """Counted events for rate limits kept in the database (failed logins, reader reports)."""

    __tablename__ = "rate_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_rate_events_key_created", "key", "created_at"),)


# --- integrations: Akismet-compatible sites, webhooks (migration 20261130_sites_webhooks) -------
class Site(Base):
    """A site calling the Akismet-compatible API; only the SHA-256 of its key is stored."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    origin: Mapped[str] = mapped_column(String(300))
    key_hash: Mapped[str] = mapped_column(String(64))
    key_prefix: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("name", name="uq_sites_name"),
        UniqueConstraint("key_hash", name="uq_sites_key_hash"),
    )


class SiteCheck(Base):
    """One comment-check answered for a site: the comment it recorded and what was answered."""

    __tablename__ = "site_checks"

    guid: Mapped[str] = mapped_column(String(40), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    comment_id: Mapped[str] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    # Keyed hash of (author, text): how submit-spam / submit-ham find the comment again.
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_site_checks_site_content", "site_id", "content_hash"),)


class WebhookEndpoint(Base):
    """An admin-registered URL that receives signed comment events."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list] = mapped_column(JSON, default=list)
    # The signing secret, encrypted at rest (it must be readable to sign each delivery).
    secret_enc: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(default=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# The reader's own words in a webhook body (a comment.published event's "comment" object
# carries them): the payload builder adds them, an erasure takes them out again.
WEBHOOK_READER_FIELDS = ("author_name", "author_url", "body")


class WebhookDelivery(Base):
    """One event for one endpoint: the exact body sent, and how its attempts went."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    # The decision and comment of a comment.* event; None for queue.backlog.
    decision_id: Mapped[int | None] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(32))
    comment_id: Mapped[str | None] = mapped_column(String(24))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint(
            "endpoint_id", "decision_id", "event", name="uq_webhook_deliveries_decision"
        ),
        Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
    )


class WebhookCursor(Base):
    """How far the decisions table has been turned into webhook events."""

    __tablename__ = "webhook_cursor"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_decision_id: Mapped[int] = mapped_column(Integer, default=0)


class WebhookAlert(Base):
    """Whether an alert (queue.backlog) is on, so its event goes out once per crossing."""

    __tablename__ = "webhook_alerts"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    active: Mapped[bool] = mapped_column(default=False)
    crossings: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
