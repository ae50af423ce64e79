"""Embedded mode keeps its data owner-only: database files and secret 0600 in a 0700 directory."""

from __future__ import annotations

import stat

from sqlalchemy import text

from mizan.service.config import load_settings
from mizan.service.db import make_engine, upgrade


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_and_secret_are_owner_only(tmp_path):
    data = tmp_path / "data"
    settings = load_settings({"MIZAN_DATA_DIR": str(data)})
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    with engine.begin() as conn:  # WAL mode: the -wal and -shm files exist while connected
        conn.execute(text("SELECT count(*) FROM comments"))
        assert mode(data) == 0o700
        files = sorted(p.name for p in data.iterdir())
        assert {"mizan.sqlite3", "secret_key"} <= set(files)
        for path in data.iterdir():
            assert mode(path) == 0o600, (path.name, oct(mode(path)))
    engine.dispose()


def test_an_existing_world_readable_database_is_narrowed(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "mizan.sqlite3").touch(mode=0o644)
    load_settings({"MIZAN_DATA_DIR": str(data)})
    assert mode(data) == 0o700 and mode(data / "mizan.sqlite3") == 0o600
