"""The migrations build exactly the schema that service/tables.py declares (both databases)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from mizan.service.tables import Base


def test_migrations_build_the_schema_the_tables_declare(db_url):
    # a table, column or index added to one side only (a model without its migration, or a
    # migration the models do not know) shows up here
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            indexes = {i["name"] for i in inspect(conn).get_indexes("decisions")}
    finally:
        engine.dispose()
    assert diff == []
    assert "ix_decisions_created" in indexes  # time-windowed stats and sync read by it
