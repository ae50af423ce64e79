"""Database access for the moderation desk: accounts, queue, actions, audit, reports, models."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, Text, and_, cast, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mizan.service.db import aware, utcnow
from mizan.service.tables import (
    WEBHOOK_READER_FIELDS,
    ApiToken,
    AuditEntry,
    AuthorBan,
    BlockedDomain,
    Comment,
    Decision,
    ModelVersion,
    Moderator,
    PostSetting,
    RateEvent,
    ReaderReport,
    TrainingExample,
    WebhookDelivery,
    WordTerm,
)


def _scrub_webhook_bodies(session: Session, ids: list[str]) -> None:
    """Take the erased comments' text and name out of the webhook bodies kept for them.

    A delivery stores the exact body it sends; a published event's body holds the comment's
    text, name and website.  Those fields leave every stored body of these comments, and such
    a delivery that has not gone out yet never will (``failed``, "erased")."""
    rows = session.execute(
        select(WebhookDelivery.id, WebhookDelivery.payload, WebhookDelivery.status).where(
            WebhookDelivery.comment_id.in_(ids)
        )
    ).all()
    for delivery_id, body, status in rows:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        comment = data.get("comment") if isinstance(data, dict) else None
        if not isinstance(comment, dict):
            continue
        if not any(k in comment for k in WEBHOOK_READER_FIELDS):
            continue
        for k in WEBHOOK_READER_FIELDS:
            comment.pop(k, None)
        comment["erased"] = True
        values: dict = {"payload": json.dumps(data, ensure_ascii=False, separators=(",", ":"))}
        if status == "pending":
            values.update(status="failed", next_attempt_at=None, last_error="erased")
        session.execute(
            update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(**values)
        )


@dataclass(slots=True)
class Plan:
    """What one moderator action does to a comment, decided inside the row's transaction."""

    to_status: str
    decision: dict
    audit: dict
    examples: list[dict] = field(default_factory=list)
    # Training examples of earlier decisions on this comment no longer count.
    supersede: bool = True


@dataclass(frozen=True, slots=True)
class ReportOutcome:
    counted: bool
    reports: int
    moved: bool


class ModerationRepository:
    """Statements for the desk's tables; every method is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    # --- accounts -----------------------------------------------------------------------------
    def create_moderator(self, email: str, role: str, password_hash: str, lang: str) -> int | None:
        """Insert an account; None when the email is taken."""
        try:
            with self.engine.begin() as conn:
                return conn.execute(
                    insert(Moderator).returning(Moderator.id),
                    {
                        "email": email,
                        "role": role,
                        "password_hash": password_hash,
                        "lang": lang,
                        "active": True,
                        "session_epoch": 0,
                        "created_at": utcnow(),
                    },
                ).scalar_one()
        except IntegrityError:
            return None

    def moderator(self, moderator_id: int) -> Moderator | None:
        with Session(self.engine, expire_on_commit=False) as session:
            return session.get(Moderator, moderator_id)

    def moderator_by_email(self, email: str) -> Moderator | None:
        stmt = select(Moderator).where(Moderator.email == email)
        with Session(self.engine, expire_on_commit=False) as session:
            return session.scalars(stmt).first()

    def list_moderators(self) -> list[Moderator]:
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(select(Moderator).order_by(Moderator.id)))

    def update_moderator(self, moderator_id: int, **values) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(Moderator).where(Moderator.id == moderator_id).values(**values))

    def set_password(self, moderator_id: int, password_hash: str) -> None:
        """Store a new hash and end every session of the account."""
        with self.engine.begin() as conn:
            conn.execute(
                update(Moderator)
                .where(Moderator.id == moderator_id)
                .values(password_hash=password_hash, session_epoch=Moderator.session_epoch + 1)
            )

    # --- API tokens ---------------------------------------------------------------------------
    def create_token(self, moderator_id: int, name: str, token_hash: str, prefix: str) -> int:
        with self.engine.begin() as conn:
            return conn.execute(
                insert(ApiToken).returning(ApiToken.id),
                {
                    "moderator_id": moderator_id,
                    "name": name,
                    "token_hash": token_hash,
                    "prefix": prefix,
                    "created_at": utcnow(),
                },
            ).scalar_one()

    def moderator_for_token(self, token_hash: str) -> Moderator | None:
        """The active account owning a live token; marks the token used (at most once a minute)."""
        now = utcnow()
        stmt = (
            select(Moderator, ApiToken.id, ApiToken.last_used_at)
            .join(ApiToken, ApiToken.moderator_id == Moderator.id)
            .where(
                ApiToken.token_hash == token_hash,
                ApiToken.revoked_at.is_(None),
                Moderator.active.is_(True),
            )
        )
        with Session(self.engine, expire_on_commit=False) as session:
            row = session.execute(stmt).first()
            if row is None:
                return None
            mod, token_id, last = row
            last = aware(last)
            if last is None or (now - last).total_seconds() > 60:
                session.execute(
                    update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
                )
                session.commit()
            return mod

    def tokens(self, moderator_id: int | None = None) -> list[ApiToken]:
        stmt = select(ApiToken).order_by(ApiToken.id)
        if moderator_id is not None:
            stmt = stmt.where(ApiToken.moderator_id == moderator_id)
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(stmt))

    def revoke_token(self, token_id: int | None = None, prefix: str | None = None) -> int:
        """Revoke by id or by the printed prefix; returns how many were revoked."""
        stmt = update(ApiToken).where(ApiToken.revoked_at.is_(None))
        if token_id is not None:
            stmt = stmt.where(ApiToken.id == token_id)
        elif prefix:
            stmt = stmt.where(ApiToken.prefix == prefix)
        else:
            return 0
        with self.engine.begin() as conn:
            return conn.execute(stmt.values(revoked_at=utcnow())).rowcount

    # --- rate limits --------------------------------------------------------------------------
    def count_events(self, key: str, since: datetime) -> tuple[int, datetime | None]:
        """How many events under `key` since `since`, and the oldest of them."""
        stmt = select(func.count(), func.min(RateEvent.created_at)).where(
            RateEvent.key == key, RateEvent.created_at >= since
        )
        with self.engine.connect() as conn:
            n, oldest = conn.execute(stmt).one()
        return int(n), aware(oldest)

    def add_event(self, key: str, prune_before: datetime | None = None) -> int:
        """Record one event under `key` (committed at once) and return its id."""
        with self.engine.begin() as conn:
            event_id = conn.execute(
                insert(RateEvent).returning(RateEvent.id), {"key": key, "created_at": utcnow()}
            ).scalar_one()
            if prune_before is not None:
                conn.execute(
                    delete(RateEvent).where(
                        RateEvent.key == key, RateEvent.created_at < prune_before
                    )
                )
        return int(event_id)

    def delete_events(self, ids: list[int]) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(RateEvent).where(RateEvent.id.in_(ids)))

    def end_sessions(self, moderator_id: int) -> None:
        """End every desk session of the account (cookies signed before now stop working)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(Moderator)
                .where(Moderator.id == moderator_id)
                .values(session_epoch=Moderator.session_epoch + 1)
            )

    def clear_events(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(RateEvent).where(RateEvent.key == key))

    # --- the queue ----------------------------------------------------------------------------
    def queue_page(
        self,
        status: str,
        post_id: str | None,
        q: str | None,
        newest: bool,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> tuple[list[Comment], bool]:
        stmt = select(Comment).where(Comment.status == status)
        if post_id:
            stmt = stmt.where(Comment.post_id == post_id)
        if q:
            escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = "%" + escaped + "%"
            stmt = stmt.where(
                or_(
                    func.lower(Comment.body).like(pattern, escape="\\"),
                    func.lower(Comment.author_name).like(pattern, escape="\\"),
                )
            )
        if after is not None:
            created, cid = after
            if newest:
                stmt = stmt.where(
                    or_(
                        Comment.created_at < created,
                        and_(Comment.created_at == created, Comment.id < cid),
                    )
                )
            else:
                stmt = stmt.where(
                    or_(
                        Comment.created_at > created,
                        and_(Comment.created_at == created, Comment.id > cid),
                    )
                )
        order = (
            (Comment.created_at.desc(), Comment.id.desc())
            if newest
            else (Comment.created_at, Comment.id)
        )
        stmt = stmt.order_by(*order).limit(limit + 1)
        with Session(self.engine, expire_on_commit=False) as session:
            rows = list(session.scalars(stmt))
        return rows[:limit], len(rows) > limit

    def queue_counts(self) -> dict[str, int]:
        stmt = select(Comment.status, func.count()).group_by(Comment.status)
        with self.engine.connect() as conn:
            return {s: int(n) for s, n in conn.execute(stmt)}

    def automatic_decisions(self, ids: Sequence[str]) -> dict[str, Decision]:
        if not ids:
            return {}
        stmt = select(Decision).where(
            Decision.comment_id.in_(list(ids)), Decision.kind == "automatic"
        )
        with Session(self.engine, expire_on_commit=False) as session:
            return {d.comment_id: d for d in session.scalars(stmt)}

    def author_history(self, email_hashes: Iterable[str]) -> dict[str, dict[str, int]]:
        hashes = sorted(set(email_hashes))
        if not hashes:
            return {}
        stmt = (
            select(Comment.author_email_hash, Comment.status, func.count())
            .where(Comment.author_email_hash.in_(hashes))
            .group_by(Comment.author_email_hash, Comment.status)
        )
        out: dict[str, dict[str, int]] = {h: {} for h in hashes}
        with self.engine.connect() as conn:
            for h, status, n in conn.execute(stmt):
                out[h][status] = int(n)
        return out

    def report_summary(self, ids: Sequence[str]) -> dict[str, dict[str, int]]:
        if not ids:
            return {}
        stmt = (
            select(ReaderReport.comment_id, ReaderReport.reason, func.count())
            .where(ReaderReport.comment_id.in_(list(ids)))
            .group_by(ReaderReport.comment_id, ReaderReport.reason)
        )
        out: dict[str, dict[str, int]] = {}
        with self.engine.connect() as conn:
            for cid, reason, n in conn.execute(stmt):
                out.setdefault(cid, {})[reason] = int(n)
        return out

    def comments_by_author(self, email_hash: str, limit: int) -> list[Comment]:
        """An author's comments (by the email's keyed hash), newest first."""
        stmt = (
            select(Comment)
            .where(Comment.author_email_hash == email_hash)
            .order_by(Comment.created_at.desc(), Comment.id.desc())
            .limit(limit)
        )
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(stmt))

    def reports_for(self, comment_id: str) -> list[ReaderReport]:
        stmt = (
            select(ReaderReport)
            .where(ReaderReport.comment_id == comment_id)
            .order_by(ReaderReport.id)
        )
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(stmt))

    def comment(self, comment_id: str) -> Comment | None:
        with Session(self.engine, expire_on_commit=False) as session:
            return session.get(Comment, comment_id)

    def decisions_for(self, comment_id: str) -> list[Decision]:
        stmt = select(Decision).where(Decision.comment_id == comment_id).order_by(Decision.id)
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(stmt))

    # --- actions ------------------------------------------------------------------------------
    def transition(
        self, comment_id: str, plan_for: Callable[[Comment, list[Decision]], Plan]
    ) -> tuple[Comment, Plan] | None:
        """Lock the comment, let `plan_for` decide, then apply decision, examples and audit.

        One transaction: the status change, the decision, the training examples and the audit
        entry are written together or not at all. None when the comment does not exist.
        `plan_for` raises (a domain error) to refuse an illegal transition.
        """
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            stmt = select(Comment).where(Comment.id == comment_id)
            if self.postgres:
                stmt = stmt.with_for_update()
            comment = session.scalars(stmt).first()
            if comment is None:
                return None
            history = list(
                session.scalars(
                    select(Decision).where(Decision.comment_id == comment_id).order_by(Decision.id)
                )
            )
            plan = plan_for(comment, history)
            now = utcnow()
            from_status = comment.status
            res = session.execute(
                update(Comment)
                .where(Comment.id == comment_id, Comment.status == from_status)
                .values(status=plan.to_status, updated_at=now, decided_at=now)
            )
            if res.rowcount != 1:  # type: ignore[attr-defined]  # pragma: no cover - only reachable without row locks
                raise RuntimeError("comment changed during the action")
            decision_id = session.execute(
                insert(Decision).returning(Decision.id),
                {
                    **plan.decision,
                    "comment_id": comment_id,
                    "from_status": from_status,
                    "created_at": now,
                },
            ).scalar_one()
            if plan.supersede:
                session.execute(
                    update(TrainingExample)
                    .where(
                        TrainingExample.comment_id == comment_id,
                        TrainingExample.superseded.is_(False),
                    )
                    .values(superseded=True)
                )
            for ex in plan.examples:
                session.execute(
                    insert(TrainingExample),
                    {
                        **ex,
                        "comment_id": comment_id,
                        "decision_id": decision_id,
                        "superseded": False,
                        "created_at": now,
                    },
                )
            session.execute(
                insert(AuditEntry),
                {
                    **plan.audit,
                    "comment_id": comment_id,
                    "from_status": from_status,
                    "to_status": plan.to_status,
                    "created_at": now,
                },
            )
            comment.status = plan.to_status
        return comment, plan

    # --- audit --------------------------------------------------------------------------------
    def audit(self, entry: dict) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(AuditEntry), {"created_at": utcnow(), "detail": {}, **entry})

    def audit_page(
        self,
        *,
        comment_id: str | None,
        actor_id: int | None,
        action: str | None,
        before_id: int | None,
        limit: int,
    ) -> tuple[list[AuditEntry], bool]:
        stmt = select(AuditEntry)
        if comment_id:
            stmt = stmt.where(AuditEntry.comment_id == comment_id)
        if actor_id is not None:
            stmt = stmt.where(AuditEntry.actor_id == actor_id)
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        if before_id is not None:
            stmt = stmt.where(AuditEntry.id < before_id)
        stmt = stmt.order_by(AuditEntry.id.desc()).limit(limit + 1)
        with Session(self.engine, expire_on_commit=False) as session:
            rows = list(session.scalars(stmt))
        return rows[:limit], len(rows) > limit

    # --- bans, post settings, word lists (the policy engineer's tables) -----------------------
    def add_ban(self, row: dict, audit: dict) -> int:
        with self.engine.begin() as conn:
            ban_id = conn.execute(
                insert(AuthorBan).returning(AuthorBan.id), {**row, "created_at": utcnow()}
            ).scalar_one()
            conn.execute(
                insert(AuditEntry),
                {
                    **audit,
                    "detail": {**audit.get("detail", {}), "ban_id": ban_id},
                    "created_at": utcnow(),
                },
            )
        return ban_id

    def bans(self, include_expired: bool = False) -> list[AuthorBan]:
        stmt = select(AuthorBan).order_by(AuthorBan.id.desc())
        if not include_expired:
            stmt = stmt.where(or_(AuthorBan.expires_at.is_(None), AuthorBan.expires_at > utcnow()))
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(stmt))

    def lift_ban(self, ban_id: int, audit: dict) -> bool:
        """End a ban now (kept for the record); False when unknown or already over."""
        now = utcnow()
        with self.engine.begin() as conn:
            res = conn.execute(
                update(AuthorBan)
                .where(
                    AuthorBan.id == ban_id,
                    or_(AuthorBan.expires_at.is_(None), AuthorBan.expires_at > now),
                )
                .values(expires_at=now)
            )
            if res.rowcount != 1:
                return False
            conn.execute(insert(AuditEntry), {**audit, "created_at": now})
        return True

    def post_setting(self, post_id: str) -> PostSetting | None:
        with Session(self.engine, expire_on_commit=False) as session:
            return session.get(PostSetting, post_id)

    def save_post_setting(self, post_id: str, values: dict, actor: str, audit: dict) -> PostSetting:
        now = utcnow()
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            stmt = select(PostSetting).where(PostSetting.post_id == post_id)
            if self.postgres:
                stmt = stmt.with_for_update()
            row = session.scalars(stmt).first()
            before = None
            if row is None:
                row = PostSetting(
                    post_id=post_id,
                    comments_closed=False,
                    premoderation=False,
                    updated_by=actor[:100],
                    updated_at=now,
                )
                session.add(row)
            else:
                before = {
                    "comments_closed": row.comments_closed,
                    "premoderation": row.premoderation,
                }
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_by, row.updated_at = actor[:100], now
            session.add(
                AuditEntry(
                    **{
                        **audit,
                        "detail": {
                            **audit.get("detail", {}),
                            "post_id": post_id,
                            "before": before,
                            "after": dict(values),
                        },
                        "created_at": now,
                    }
                )
            )
        return row

    def word_terms(self) -> list[WordTerm]:
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(select(WordTerm).order_by(WordTerm.list, WordTerm.term)))

    def add_word_term(self, row: dict, audit: dict) -> int | None:
        """Insert a term; None when the list already holds it (after folding)."""
        try:
            with self.engine.begin() as conn:
                term_id = conn.execute(
                    insert(WordTerm).returning(WordTerm.id), {**row, "created_at": utcnow()}
                ).scalar_one()
                conn.execute(insert(AuditEntry), {**audit, "created_at": utcnow()})
                return term_id
        except IntegrityError:
            return None

    def remove_word_term(self, term_id: int, audit_for: Callable[[WordTerm], dict]) -> bool:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            row = session.get(WordTerm, term_id)
            if row is None:
                return False
            session.add(AuditEntry(**{**audit_for(row), "created_at": utcnow()}))
            session.delete(row)
        return True

    # --- blocked domains ----------------------------------------------------------------------
    def blocked_domains(self) -> list[BlockedDomain]:
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(select(BlockedDomain).order_by(BlockedDomain.domain)))

    def add_blocked_domain(self, domain: str, actor: str, audit: dict) -> int | None:
        """Insert a domain; None when it is already blocked."""
        try:
            with self.engine.begin() as conn:
                domain_id = conn.execute(
                    insert(BlockedDomain).returning(BlockedDomain.id),
                    {"domain": domain, "created_by": actor[:100], "created_at": utcnow()},
                ).scalar_one()
                conn.execute(insert(AuditEntry), {**audit, "created_at": utcnow()})
                return domain_id
        except IntegrityError:
            return None

    def remove_blocked_domain(self, domain_id: int, audit_for: Callable[[str], dict]) -> bool:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            row = session.get(BlockedDomain, domain_id)
            if row is None:
                return False
            session.add(AuditEntry(**{**audit_for(row.domain), "created_at": utcnow()}))
            session.delete(row)
        return True

    def blocked_domain_decisions(self, since: datetime) -> list[tuple[list, datetime]]:
        """(reasons, created_at) of automatic decisions since `since` that name a blocked domain."""
        stmt = select(Decision.reasons, Decision.created_at).where(
            Decision.kind == "automatic",
            Decision.created_at >= since,
            cast(Decision.reasons, Text).like('%"blocked_domain"%'),
        )
        with self.engine.connect() as conn:
            return [(r or [], aware(at)) for r, at in conn.execute(stmt)]

    # --- readers' data rights ------------------------------------------------------------------
    def reader_data(self, email_hash: str) -> dict:
        """Everything stored under one email's keyed hash: comments with their decisions and
        report counts, bans on the address, and how many training examples came from them."""
        with Session(self.engine, expire_on_commit=False) as session:
            comments = list(
                session.scalars(
                    select(Comment)
                    .where(Comment.author_email_hash == email_hash)
                    .order_by(Comment.created_at, Comment.id)
                )
            )
            ids = [c.id for c in comments]
            decisions: dict[str, list[Decision]] = {}
            reports: dict[str, int] = {}
            examples = 0
            if ids:
                for d in session.scalars(
                    select(Decision).where(Decision.comment_id.in_(ids)).order_by(Decision.id)
                ):
                    decisions.setdefault(d.comment_id, []).append(d)
                for cid, n in session.execute(
                    select(ReaderReport.comment_id, func.count())
                    .where(ReaderReport.comment_id.in_(ids))
                    .group_by(ReaderReport.comment_id)
                ):
                    reports[cid] = int(n)
                examples = int(
                    session.execute(
                        select(func.count())
                        .select_from(TrainingExample)
                        .where(TrainingExample.comment_id.in_(ids))
                    ).scalar_one()
                )
            bans = list(
                session.scalars(
                    select(AuthorBan).where(
                        AuthorBan.kind == "email", AuthorBan.value_hash == email_hash
                    )
                )
            )
        return {
            "comments": comments,
            "decisions": decisions,
            "reports": reports,
            "examples": examples,
            "bans": bans,
        }

    def erase_reader(
        self, email_hash: str, delete_rows: bool, removed: dict, decision: dict, audit: dict
    ) -> tuple[int, int]:
        """Erase one email's comments in one transaction: delete them, or keep them with the
        `removed` values (text and every personal field replaced). A comment that others'
        replies hang on is kept as removed even when deleting. Training examples made from
        them are deleted; a removed comment still waiting for a moderator is rejected with
        `decision`. Returns (removed, deleted)."""
        now = utcnow()
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            stmt = select(Comment.id, Comment.status).where(Comment.author_email_hash == email_hash)
            if self.postgres:
                stmt = stmt.with_for_update()
            rows = {cid: status for cid, status in session.execute(stmt)}
            ids = list(rows)
            to_delete: list[str] = []
            if delete_rows and ids:
                others = or_(Comment.parent_id.in_(ids), Comment.root_id.in_(ids))
                anchored = set(
                    session.scalars(select(Comment.parent_id).where(others, Comment.id.not_in(ids)))
                ) | set(
                    session.scalars(select(Comment.root_id).where(others, Comment.id.not_in(ids)))
                )
                to_delete = [cid for cid in ids if cid not in anchored]
            to_remove = [cid for cid in ids if cid not in set(to_delete)]
            if ids:
                session.execute(delete(TrainingExample).where(TrainingExample.comment_id.in_(ids)))
                _scrub_webhook_bodies(session, ids)
            if to_delete:
                session.execute(delete(Decision).where(Decision.comment_id.in_(to_delete)))
                session.execute(delete(ReaderReport).where(ReaderReport.comment_id.in_(to_delete)))
                session.execute(delete(Comment).where(Comment.id.in_(to_delete)))
            if to_remove:
                session.execute(
                    update(Comment)
                    .where(Comment.id.in_(to_remove))
                    .values(**removed, metadata_erased_at=now, updated_at=now)
                )
                waiting = [
                    c for c in to_remove if rows[c] in ("pending", "held", "spam", "reported")
                ]
                if waiting:
                    session.execute(
                        update(Comment)
                        .where(Comment.id.in_(waiting))
                        .values(status="rejected", decided_at=now)
                    )
                    for cid in waiting:
                        session.execute(
                            insert(Decision),
                            {
                                **decision,
                                "comment_id": cid,
                                "from_status": rows[cid],
                                "created_at": now,
                            },
                        )
            session.execute(
                insert(AuditEntry),
                {
                    **audit,
                    "detail": {
                        **audit.get("detail", {}),
                        "removed": len(to_remove),
                        "deleted": len(to_delete),
                    },
                    "created_at": now,
                },
            )
        return len(to_remove), len(to_delete)

    # --- reader reports -----------------------------------------------------------------------
    def reports_since(
        self, *, reporter_hash: str | None = None, comment_id: str | None = None, since: datetime
    ) -> int:
        stmt = (
            select(func.count()).select_from(ReaderReport).where(ReaderReport.created_at >= since)
        )
        if reporter_hash is not None:
            stmt = stmt.where(ReaderReport.reporter_hash == reporter_hash)
        if comment_id is not None:
            stmt = stmt.where(ReaderReport.comment_id == comment_id)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def add_report(
        self, comment_id: str, reason: str, note: str | None, reporter_hash: str, threshold: int
    ) -> ReportOutcome | None:
        """Record a report of a published comment; move it to `reported` at the threshold.

        None when the comment is not public (not found for readers).
        """
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                status = conn.execute(
                    select(Comment.status).where(Comment.id == comment_id)
                ).scalar()
                if status not in ("approved", "reported"):
                    return None
                conn.execute(
                    insert(ReaderReport),
                    {
                        "comment_id": comment_id,
                        "reason": reason,
                        "note": note,
                        "reporter_hash": reporter_hash,
                        "created_at": now,
                    },
                )
                n = int(
                    conn.execute(
                        select(func.count())
                        .select_from(ReaderReport)
                        .where(ReaderReport.comment_id == comment_id)
                    ).scalar_one()
                )
                moved = False
                if status == "approved" and n >= threshold:
                    res = conn.execute(
                        update(Comment)
                        .where(
                            Comment.id == comment_id,
                            Comment.status == "approved",
                        )
                        .values(status="reported", updated_at=now)
                    )
                    moved = res.rowcount == 1
                    if moved:
                        conn.execute(
                            insert(Decision),
                            {
                                "comment_id": comment_id,
                                "kind": "reports",
                                "outcome": "reported",
                                "from_status": "approved",
                                "decided_by": "readers",
                                "actor": None,
                                "scores": {},
                                "reasons": [
                                    {"code": "reader_reports", "reports": n, "threshold": threshold}
                                ],
                                "model_version": None,
                                "policy_version": None,
                                "applied": True,
                                "created_at": now,
                            },
                        )
                        conn.execute(
                            insert(AuditEntry),
                            {
                                "actor_id": None,
                                "actor": "readers",
                                "action": "reported",
                                "comment_id": comment_id,
                                "from_status": "approved",
                                "to_status": "reported",
                                "reason": "reader_reports",
                                "detail": {"reports": n, "threshold": threshold},
                                "request_id": None,
                                "created_at": now,
                            },
                        )
                return ReportOutcome(True, n, moved)
        except IntegrityError:
            # This reader already reported this comment: accepted, not counted twice.
            return ReportOutcome(False, -1, False)

    # --- learning from moderators -------------------------------------------------------------
    def training_examples(self, include_superseded: bool = False) -> list[TrainingExample]:
        stmt = select(TrainingExample).order_by(TrainingExample.id)
        if not include_superseded:
            stmt = stmt.where(TrainingExample.superseded.is_(False))
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(stmt))

    # --- model versions -----------------------------------------------------------------------
    def upsert_model_version(self, version: str, source: str, thresholds: dict) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.get(ModelVersion, version)
            if row is None:
                session.add(
                    ModelVersion(
                        version=version,
                        source=source,
                        thresholds=thresholds,
                        active=False,
                        registered_at=utcnow(),
                    )
                )
            else:
                row.source, row.thresholds = source, thresholds

    def model_versions(self) -> list[ModelVersion]:
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(select(ModelVersion).order_by(ModelVersion.registered_at)))

    def activate_model(self, version: str, actor: str, audit: dict) -> str | None:
        """Make `version` the only active one; returns the version active before."""
        now = utcnow()
        with self.engine.begin() as conn:
            before = conn.execute(
                select(ModelVersion.version).where(ModelVersion.active.is_(True))
            ).scalar()
            conn.execute(
                update(ModelVersion).where(ModelVersion.active.is_(True)).values(active=False)
            )
            conn.execute(
                update(ModelVersion)
                .where(ModelVersion.version == version)
                .values(active=True, activated_at=now, activated_by=actor)
            )
            conn.execute(
                insert(AuditEntry),
                {**audit, "detail": {"version": version, "previous": before}, "created_at": now},
            )
        return before

    def active_model_thresholds(self) -> dict | None:
        """The thresholds shipped with the active model version (None when none is active)."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(ModelVersion.thresholds).where(ModelVersion.active.is_(True))
            ).scalar()

    def active_model_version(self) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(ModelVersion.version).where(ModelVersion.active.is_(True))
            ).scalar()

    # --- stats --------------------------------------------------------------------------------
    def comment_days(self, since: datetime) -> list[tuple[datetime, str]]:
        """(created_at, status) of the comments created since `since`."""
        stmt = select(Comment.created_at, Comment.status).where(Comment.created_at >= since)
        with self.engine.connect() as conn:
            return [(aware(at), status) for at, status in conn.execute(stmt)]

    def report_times(self, since: datetime) -> list[datetime]:
        stmt = select(ReaderReport.created_at).where(ReaderReport.created_at >= since)
        with self.engine.connect() as conn:
            return [aware(at) for (at,) in conn.execute(stmt)]

    def status_changes(self, since: datetime) -> list[tuple]:
        """Every status change of the comments that were held at some point since `since`.

        (comment_id, comment created_at, outcome, applied, reasons, decided at) ordered by
        decision id: enough to replay which comments were held at any moment of the window.
        """
        touched = select(Decision.comment_id).where(Decision.created_at >= since)
        held_now = select(Comment.id).where(Comment.status == "held")
        stmt = (
            select(
                Decision.comment_id,
                Comment.created_at,
                Decision.outcome,
                Decision.applied,
                Decision.reasons,
                Decision.created_at,
            )
            .join(Comment, Comment.id == Decision.comment_id)
            .where(or_(Decision.comment_id.in_(touched), Decision.comment_id.in_(held_now)))
            .order_by(Decision.id)
        )
        with self.engine.connect() as conn:
            return [
                (cid, aware(created), outcome, applied, reasons, aware(at))
                for cid, created, outcome, applied, reasons, at in conn.execute(stmt)
            ]

    def oldest_held(self) -> datetime | None:
        """When the oldest comment still held was posted (None: the queue is empty)."""
        with self.engine.connect() as conn:
            return aware(
                conn.execute(
                    select(func.min(Comment.created_at)).where(Comment.status == "held")
                ).scalar()
            )

    def decisions_since(self, since: datetime) -> list[tuple]:
        """(comment_id, kind, outcome, model_version, created_at, id) of decisions since `since`."""
        auto = select(Decision.comment_id).where(
            Decision.kind == "automatic", Decision.created_at >= since
        )
        stmt = (
            select(
                Decision.comment_id,
                Decision.kind,
                Decision.outcome,
                Decision.model_version,
                Decision.created_at,
                Decision.id,
            )
            .where(Decision.comment_id.in_(auto), Decision.kind.in_(("automatic", "moderator")))
            .order_by(Decision.id)
        )
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(stmt)]
