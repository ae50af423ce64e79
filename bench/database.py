"""A throwaway, migrated database for one benchmark run (benches that start servers share it)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text


def create_database(db: str, pg_admin: str, tmp: Path) -> tuple[str, Callable[[], None]]:
    """Return the URL of a new, migrated database and a function that drops it.

    ``db`` is "sqlite" (a file under ``tmp``, dropped with it) or "postgres" (a database named
    mizan_bench_<random> beside ``pg_admin``'s, its connections ended before the drop).
    """
    from mizan.service.db import upgrade

    if db == "sqlite":
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
        upgrade(url)
        return url, lambda: None
    name = f"mizan_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    url = pg_admin.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade(url)
    except Exception:
        drop()
        raise
    return url, drop
