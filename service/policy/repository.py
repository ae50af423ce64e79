"""Database access for the moderation policy: it reads word lists, bans, post settings and
author history, and records a batch of decisions.

The desk's repository writes the lists, bans and post settings (with their audit entries);
this one only reads them. The batch methods exist for the worker: one claim query, one query
per kind of history and one transaction to record a whole batch of decisions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.engine import Connection

from mizan.service.db import DecisionRecord, aware, decision_row, utcnow
from mizan.service.tables import AuthorBan, BlockedDomain, Comment, Decision, PostSetting, WordTerm

WORD_LISTS = {"blocked": ("reject", "spam"), "watched": ("hold",)}
BAN_KINDS = ("email", "ip", "network")


@dataclass(frozen=True, slots=True)
class PendingComment:
    """What the policy needs to know about one pending comment (private values stay hashed)."""

    id: str
    post_id: str
    section: str | None
    author_url: str | None
    author_email_hash: str
    ip_enc: str | None
    ip_hash: str | None
    browser_token_hash: str | None
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Term:
    id: int
    term: str
    folded: str
    list: str
    action: str


@dataclass(frozen=True, slots=True)
class Ban:
    id: int
    kind: str
    value_hash: str | None
    network: str | None


@dataclass(frozen=True, slots=True)
class PostPolicy:
    comments_closed: bool = False
    premoderation: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """A decision to record and the status the comment gets (they differ only in shadow mode)."""

    record: DecisionRecord
    status: str


_PENDING_COLUMNS = (
    Comment.id,
    Comment.post_id,
    Comment.section,
    Comment.author_url,
    Comment.author_email_hash,
    Comment.ip_enc,
    Comment.ip_hash,
    Comment.browser_token_hash,
    Comment.body,
    Comment.created_at,
)


def _pending(row) -> PendingComment:
    return PendingComment(*row[:-1], aware(row[-1]))  # type: ignore[call-arg]


class PolicyRepository:
    """Statements over one engine for the policy's data."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    # --- word lists -------------------------------------------------------------------------
    def terms(self) -> list[Term]:
        stmt = select(WordTerm.id, WordTerm.term, WordTerm.folded, WordTerm.list, WordTerm.action)
        with self.engine.connect() as conn:
            return [Term(*r) for r in conn.execute(stmt.order_by(WordTerm.id))]

    # --- blocked domains --------------------------------------------------------------------
    def blocked_domains(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(BlockedDomain.domain)).scalars())

    # --- bans -------------------------------------------------------------------------------
    def active_bans(self) -> list[Ban]:
        now = utcnow()
        stmt = select(
            AuthorBan.id,
            AuthorBan.kind,
            AuthorBan.value_hash,
            AuthorBan.network,
            AuthorBan.expires_at,
        )
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return [Ban(*r[:4]) for r in rows if r[4] is None or aware(r[4]) > now]

    # --- post settings ----------------------------------------------------------------------
    def post_policies(self, post_ids: Iterable[str]) -> dict[str, PostPolicy]:
        """Settings of the given posts; posts without a row are open and not pre-moderated."""
        ids = sorted(set(post_ids))
        if not ids:
            return {}
        stmt = select(
            PostSetting.post_id, PostSetting.comments_closed, PostSetting.premoderation
        ).where(PostSetting.post_id.in_(ids))
        with self.engine.connect() as conn:
            found = {r[0]: PostPolicy(bool(r[1]), bool(r[2])) for r in conn.execute(stmt)}
        return {pid: found.get(pid, PostPolicy()) for pid in ids}

    # --- author history ---------------------------------------------------------------------
    def approved_counts(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Approved comments per (email hash, browser token hash): the trusted-author rule."""
        pairs = {p for p in pairs if p[0] and p[1]}
        if not pairs:
            return {}
        emails = sorted({p[0] for p in pairs})
        tokens = sorted({p[1] for p in pairs})
        stmt = (
            select(Comment.author_email_hash, Comment.browser_token_hash, func.count())
            .where(
                Comment.author_email_hash.in_(emails),
                Comment.browser_token_hash.in_(tokens),
                Comment.status == "approved",
            )
            .group_by(Comment.author_email_hash, Comment.browser_token_hash)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return {(r[0], r[1]): int(r[2]) for r in rows if (r[0], r[1]) in pairs}  # type: ignore[misc]

    def recent_counts(self, column: str, hashes: Iterable[str], since: datetime) -> dict[str, int]:
        """Comments per email or IP hash created since `since` (the soft flood limit)."""
        col = {"email": Comment.author_email_hash, "ip": Comment.ip_hash}[column]
        hashes = sorted({h for h in hashes if h})
        if not hashes:
            return {}
        stmt = (
            select(col, func.count())
            .where(col.in_(hashes), Comment.created_at >= since)
            .group_by(col)
        )
        with self.engine.connect() as conn:
            return {r[0]: int(r[1]) for r in conn.execute(stmt)}  # type: ignore[misc]

    # --- deciding a batch -------------------------------------------------------------------
    def decide_batch(
        self,
        ids: Sequence[str],
        limit: int,
        decide: Callable[[list[PendingComment]], list[Outcome]],
    ) -> list[str]:
        """Claim the pending comments among `ids` plus the oldest other pending ones (up to
        `limit`), let `decide` turn them into outcomes, and record them; returns the ids decided.

        On PostgreSQL the rows are locked with FOR UPDATE SKIP LOCKED for the whole batch, so two
        workers never score the same comment. On SQLite (one writer) the claim is a plain read and
        the write a second short transaction. Either way the conditional UPDATE (status still
        pending) and the unique index on automatic decisions keep every decision exactly-once.
        """
        if self.postgres:
            with self.engine.begin() as conn:
                batch = self._claim(conn, ids, limit, lock=True)
                if not batch:
                    return []
                return self._record(conn, decide(batch))
        with self.engine.connect() as conn:
            batch = self._claim(conn, ids, limit, lock=False)
            conn.rollback()
        if not batch:
            return []
        outcomes = decide(batch)
        with self.engine.begin() as conn:
            return self._record(conn, outcomes)

    def _claim(
        self, conn: Connection, ids: Sequence[str], limit: int, lock: bool
    ) -> list[PendingComment]:
        ids = list(dict.fromkeys(ids))[:limit]
        out: list[PendingComment] = []
        if ids:
            stmt = select(*_PENDING_COLUMNS).where(Comment.id.in_(ids), Comment.status == "pending")
            if lock:
                stmt = stmt.with_for_update(skip_locked=True, of=Comment)
            out = [_pending(r) for r in conn.execute(stmt)]
        room = limit - len(out)
        if room > 0:
            seen = {c.id for c in out}
            stmt = (
                select(*_PENDING_COLUMNS)
                .where(Comment.status == "pending")
                .order_by(Comment.created_at)
                .limit(room + len(ids))
            )
            if lock:
                stmt = stmt.with_for_update(skip_locked=True, of=Comment)
            for r in conn.execute(stmt):
                if r[0] not in seen and len(out) < limit:
                    out.append(_pending(r))
        out.sort(key=lambda c: (c.created_at, c.id))
        return out

    def _record(self, conn: Connection, outcomes: Sequence[Outcome]) -> list[str]:
        now = utcnow()
        by_status: dict[str, list[str]] = {}
        for o in outcomes:
            by_status.setdefault(o.status, []).append(o.record.comment_id)
        done: set[str] = set()
        for status, cids in by_status.items():
            res = conn.execute(
                update(Comment)
                .where(Comment.id.in_(cids), Comment.status == "pending")
                .values(status=status, decided_at=now, updated_at=now)
                .returning(Comment.id)
            )
            done.update(res.scalars())
        rows = [
            decision_row(o.record, "pending", now) for o in outcomes if o.record.comment_id in done
        ]
        if rows:
            conn.execute(insert(Decision), rows)
        return [o.record.comment_id for o in outcomes if o.record.comment_id in done]


def since(seconds: float) -> datetime:
    return utcnow() - timedelta(seconds=seconds)
