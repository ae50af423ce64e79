"""The classifier registry's own query (the desk's repository records versions and actions)."""

from __future__ import annotations

from sqlalchemy import Engine, select

from mizan.service.tables import ModelVersion


def active_version(engine: Engine) -> str | None:
    """The activated version (one indexed read), or None when none was ever activated."""
    with engine.connect() as conn:
        return conn.execute(
            select(ModelVersion.version).where(ModelVersion.active.is_(True))
        ).scalar()
