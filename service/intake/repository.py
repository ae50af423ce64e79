"""The only module that talks to the database: small, explicit statements per use case."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from mizan.service.db import DecisionRecord, decision_row, utcnow
from mizan.service.tables import Comment, Decision


@dataclass(frozen=True, slots=True)
class ParentInfo:
    post_id: str
    status: str
    root_id: str | None


GROUP_COMMIT_MAX = 64


class _Submission:
    """One comment waiting to be stored by a group commit."""

    __slots__ = ("row", "decision", "wake", "finished", "error")

    def __init__(self, row: dict, decision: DecisionRecord | None) -> None:
        self.row = row
        self.decision = decision
        self.wake = threading.Event()
        self.finished = False
        self.error: BaseException | None = None


class Repository:
    """Statements over one engine; every method is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert_comment = insert(Comment)
        self._insert_decision = insert(Decision)
        # On PostgreSQL one statement outside a transaction commits by itself, durably, in one
        # round trip; BEGIN, INSERT and COMMIT take three. (SQLite's driver would pay a PRAGMA
        # to switch modes, and its BEGIN costs no round trip.)
        self._single = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if engine.dialect.name == "postgresql"
            else None
        )
        # On PostgreSQL the intake INSERT goes to the driver as a prepared statement: SQLAlchemy's
        # per-statement work (compiled-cache lookup, parameter processing, result set-up) was
        # about a third of the statement's CPU, a tenth of the intake request's (bench/results/
        # intake.md). The statement text is made once per set of columns.
        self._raw_sql: dict[tuple[str, ...], str] | None = (
            {}
            if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"
            else None
        )
        # SQLite has one writer at a time, and a writer that finds the database locked sleeps
        # in steps of 1 to 100 ms before it looks again. The API's processes take turns on a
        # lock file instead, where a waiter wakes the moment the lock is free.
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        self._lock_path = database + "-intake.lock" if database and database != ":memory:" else None
        self._lock_fd: int | None = None
        os.register_at_fork(after_in_child=self._forget_lock)
        # Group commit for intake (see insert_comment): waiting submissions, and whether a
        # thread is committing on their behalf.
        self._gc_lock = threading.Lock()
        self._gc_queue: list[_Submission] = []
        self._gc_busy = False

    # --- intake -------------------------------------------------------------------------------
    def parent_info(self, parent_id: str) -> ParentInfo | None:
        stmt = select(Comment.post_id, Comment.status, Comment.root_id).where(
            Comment.id == parent_id
        )
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return ParentInfo(*row) if row else None

    def insert_comment(self, row: dict, decision: DecisionRecord | None = None) -> None:
        """Store a new comment (and an intake-time decision) durably before returning.

        Group commit: concurrent submissions of this process share one transaction. The first
        thread to arrive commits everything queued (up to a batch), wakes the others, and hands
        the next batch to the oldest waiter, so no request commits for more than one batch and
        each returns only once its own row is committed. Under load this pays the commit (an
        fsync on PostgreSQL) and the statement overhead once per batch instead of per comment;
        alone, a submission commits at once, as before.
        """
        item = _Submission(row, decision)
        with self._gc_lock:
            self._gc_queue.append(item)
            lead = not self._gc_busy
            self._gc_busy = True
        if not lead:
            item.wake.wait()
        if not item.finished:
            self._commit_next_batch()
        if item.error is not None:
            raise item.error

    def _commit_next_batch(self) -> None:
        with self._gc_lock:
            batch = self._gc_queue[:GROUP_COMMIT_MAX]
            del self._gc_queue[:GROUP_COMMIT_MAX]
        try:
            self._store(batch)
        except IntegrityError:
            # One bad row must not fail its neighbours: store them one by one.
            for item in batch:
                try:
                    self._store([item])
                except Exception as exc:  # noqa: BLE001 - handed to the submitting request
                    item.error = exc
        except Exception as exc:  # noqa: BLE001 - every submitter sees the failure
            for item in batch:
                item.error = exc
        for item in batch:
            item.finished = True
            item.wake.set()
        with self._gc_lock:
            if self._gc_queue:
                self._gc_queue[0].wake.set()  # the oldest waiter commits the next batch
            else:
                self._gc_busy = False

    def _forget_lock(self) -> None:
        # An inherited descriptor shares its lock with the parent: each process opens its own.
        self._lock_fd = None

    @contextlib.contextmanager
    def _writer_turn(self) -> Iterator[None]:
        if self._lock_path is None:
            yield
            return
        if self._lock_fd is None:
            self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _store(self, batch: list[_Submission]) -> None:
        if self._lock_path is None:
            self._store_now(batch)
            return
        with self._writer_turn():
            self._store_now(batch)

    def _store_now(self, batch: list[_Submission]) -> None:
        decisions = [
            decision_row(i.decision, "pending", i.row["created_at"])
            for i in batch
            if i.decision is not None
        ]
        if self._raw_sql is not None:
            self._store_prepared(batch, decisions)
            return
        if self._single is not None and len(batch) == 1 and not decisions:
            with self._single.connect() as conn:
                conn.execute(self._insert_comment, batch[0].row)
            return
        with self.engine.begin() as conn:
            conn.execute(self._insert_comment, [i.row for i in batch])
            if decisions:
                conn.execute(self._insert_decision, decisions)

    def _comment_sql(self, row: dict) -> str:
        assert self._raw_sql is not None
        columns = tuple(row)
        sql = self._raw_sql.get(columns)
        if sql is None:
            names = ", ".join(Comment.__table__.c[c].name for c in columns)
            values = ", ".join(f"%({c})s" for c in columns)
            # Names come from the table (an unknown key raises KeyError above), values are bound.
            sql = f"INSERT INTO comments ({names}) VALUES ({values})"  # noqa: S608
            self._raw_sql[columns] = sql
        return sql

    def _store_prepared(self, batch: list[_Submission], decisions: list[dict]) -> None:
        """The PostgreSQL path of _store_now: the same rows, through psycopg's prepared statements.

        Driver errors come out as SQLAlchemy's (IntegrityError, OperationalError ...), as they
        would from SQLAlchemy itself, and a connection that broke is dropped from the pool.
        """
        import psycopg

        alone = len(batch) == 1 and not decisions
        assert self._single is not None
        with (self._single if alone else self.engine).connect() as conn:
            try:
                self._execute_prepared(conn, batch, decisions, alone)
            except psycopg.Error as exc:
                if isinstance(exc, psycopg.OperationalError):
                    conn.invalidate()  # a broken connection must not go back to the pool
                raise DBAPIError.instance("INSERT INTO comments", None, exc, psycopg.Error) from exc

    def _execute_prepared(
        self, conn: Connection, batch: list[_Submission], decisions: list[dict], alone: bool
    ) -> None:
        driver = conn.connection.driver_connection
        assert driver is not None
        if alone:
            row = batch[0].row
            driver.execute(self._comment_sql(row), row, prepare=True)
            return
        groups: dict[str, list[dict]] = {}
        for item in batch:
            groups.setdefault(self._comment_sql(item.row), []).append(item.row)
        with conn.begin():  # commits, or rolls back on any error, through SQLAlchemy
            with driver.cursor() as cur:
                for sql, rows in groups.items():
                    cur.executemany(sql, rows)
            if decisions:
                conn.execute(self._insert_decision, decisions)

    def mark_enqueued(self, ids: Sequence[str], when: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(Comment).where(Comment.id.in_(ids)).values(enqueued_at=when))

    # --- reading ------------------------------------------------------------------------------
    # --- deciding -----------------------------------------------------------------------------
    def decisions_for(self, comment_id: str) -> list[Decision]:
        stmt = select(Decision).where(Decision.comment_id == comment_id).order_by(Decision.id)
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(stmt))

    # --- sweeping -----------------------------------------------------------------------------
    def stale_pending(self, older_than: datetime, limit: int = 500) -> list[str]:
        stmt = (
            select(Comment.id)
            .where(
                Comment.status == "pending",
                or_(Comment.enqueued_at.is_(None), Comment.enqueued_at < older_than),
                Comment.created_at < older_than,
            )
            .order_by(Comment.created_at)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def erase_private_metadata(self, before: datetime) -> int:
        """Erase IP and user agent of comments older than the retention period."""
        now = utcnow()
        with self.engine.begin() as conn:
            res = conn.execute(
                update(Comment)
                .where(Comment.created_at < before, Comment.metadata_erased_at.is_(None))
                .values(ip_enc=None, ip_hash=None, user_agent=None, metadata_erased_at=now)
            )
        return res.rowcount


__all__ = ["Repository", "DecisionRecord", "ParentInfo", "IntegrityError", "utcnow"]
