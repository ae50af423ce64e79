"""Fixtures shared by the desk's tests: the app (SQLite and PostgreSQL) and its test client."""

from __future__ import annotations

import pytest

from tests.service.desk.test_support import build_app


@pytest.fixture
def app(tmp_path, db_url, sender):
    app = build_app(tmp_path, db_url, sender)
    yield app
    app.extensions["mizan"].repo.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()
