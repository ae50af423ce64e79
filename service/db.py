"""Engine creation (PostgreSQL or SQLite in WAL mode) and Alembic migrations."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, overload

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import NullPool

from mizan import migrations


def make_engine(url: str, pool_size: int = 5) -> Engine:
    """Create an engine tuned for this service's short transactions."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - exercised via every test
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    if pool_size <= 0:
        return create_engine(url, poolclass=NullPool)
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        connect_args={"connect_timeout": 3},
    )
    _ping_when_idle(engine)
    return engine


PING_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection on checkout only when it sat unused for a while.

    pool_pre_ping pings on every checkout: a round trip per transaction, a third of an intake
    request's cost on PostgreSQL. A connection used within the last second is as alive as a
    ping would show; one that sat longer (a database restart, an idle timeout) is pinged and
    replaced when dead. A connection that dies in use raises as before, and SQLAlchemy then
    invalidates the connections opened before it.
    """

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _used(_dbapi_conn, record) -> None:
        record.info["mizan_last_used"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, _proxy) -> None:
        last = record.info.get("mizan_last_used")
        if last is not None and time.monotonic() - last < PING_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError from exc  # the pool drops it and connects afresh


def alembic_config(url: str):
    """Alembic configuration pointing at the migrations shipped inside the package."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Create or migrate the schema to `revision`."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def upgrade_when_reachable(
    url: str,
    revision: str = "head",
    wait_seconds: float = 0.0,
    on_retry: Callable[[Exception, float], None] | None = None,
) -> None:
    """`upgrade`, retried for up to `wait_seconds` while the database cannot be reached.

    A database server that is still starting, or restarting, refuses connections or drops
    them; a migration run then fails with an OperationalError before or during its (single,
    transactional on PostgreSQL) run, so running it again is safe. Any other error, and the
    last one after the deadline, is raised.
    """
    from sqlalchemy.exc import OperationalError

    deadline = time.monotonic() + max(0.0, wait_seconds)
    delay = 0.5
    while True:
        try:
            upgrade(url, revision)
            return
        except (OperationalError, DisconnectionError) as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                raise
            delay = min(delay * 2, 5.0, left)
            if on_retry is not None:
                on_retry(exc, delay)
            time.sleep(delay)


# --- values shared by the features' repositories -------------------------------------------


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: datetime | None) -> datetime | None: ...
def aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    comment_id: str
    outcome: str
    decided_by: str
    scores: dict
    reasons: list
    model_version: str | None
    policy_version: str | None
    applied: bool = True


_CURSOR_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


# "<microseconds since 1970 UTC>.<comment id>": every string of this shape is a cursor (the page
# after that point, perhaps empty), so the OpenAPI document can say exactly what is accepted.
CURSOR_PATTERN = r"^[0-9]{1,17}\.[A-Za-z0-9_-]{1,64}$"
_CURSOR = re.compile(CURSOR_PATTERN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode_cursor(created_at: datetime, comment_id: str) -> str:
    micros = (aware(created_at) - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{comment_id}"


def decode_cursor(cursor: str) -> tuple[datetime, str] | None:
    """Parse a cursor; None when it is not one of ours."""
    if _CURSOR.fullmatch(cursor):
        micros, _, cid = cursor.partition(".")
        return _EPOCH + timedelta(microseconds=int(micros)), cid
    # The earlier form (base64 of JSON), so a page link taken before an upgrade still works.
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, cid = json.loads(raw)
        # Only what encode_cursor writes: anything else (NUL, a lone surrogate) must not reach SQL.
        if not (isinstance(created, str) and isinstance(cid, str) and _CURSOR_ID.fullmatch(cid)):
            return None
        return aware(datetime.fromisoformat(created)), cid
    except (ValueError, TypeError, UnicodeDecodeError, RecursionError):
        return None


def decision_row(d: DecisionRecord, from_status: str, when: datetime) -> dict[str, Any]:
    """The decisions-table row for an automatic decision."""
    return {
        "comment_id": d.comment_id,
        "kind": "automatic",
        "outcome": d.outcome,
        "from_status": from_status,
        "decided_by": d.decided_by,
        "actor": None,
        "scores": d.scores,
        "reasons": d.reasons,
        "model_version": d.model_version,
        "policy_version": d.policy_version,
        "applied": d.applied,
        "created_at": when,
    }


def schema_ready(engine: Engine) -> bool:
    """True when the schema has been created (`mizan db upgrade` has run at least once)."""
    from sqlalchemy import inspect

    return inspect(engine).has_table("moderators")
