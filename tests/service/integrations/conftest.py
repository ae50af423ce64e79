"""Apps for the integrations' tests, on SQLite and PostgreSQL (the shared database emptied)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.service.desk.test_support import build_app

INTEGRATION_TABLES = ("sites", "site_checks", "webhook_endpoints", "webhook_deliveries")


def reset_integrations(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(INTEGRATION_TABLES) + " CASCADE"))
        conn.execute(
            text(
                "UPDATE webhook_cursor SET last_decision_id = "
                "(SELECT COALESCE(MAX(id), 0) FROM decisions)"
            )
        )
        conn.execute(text("UPDATE webhook_alerts SET active = false, crossings = 0"))
    engine.dispose()


@pytest.fixture
def make_app(tmp_path, db_url, sender):
    apps = []

    def make(**overrides):
        reset_integrations(db_url)
        app = build_app(tmp_path, db_url, sender, **overrides)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["mizan"].repo.engine.dispose()
