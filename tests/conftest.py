"""Shared fixtures: real SQLite and PostgreSQL databases, a real Redis, and the Flask app."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from mizan.service.config import DeskSettings, Settings
from mizan.service.db import upgrade

# CI replays a fixed set of generated examples so a landing run is reproducible; local runs
# keep exploring new ones (and hypothesis' example database replays what they found).
if os.environ.get("CI"):
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("ci", derandomize=True, database=None)
    _hypothesis_settings.load_profile("ci")

PG_ADMIN_URL = os.environ.get(
    "MIZAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("MIZAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
ORIGIN = "https://news.example"
SECRET = "test-secret-" + "x" * 40


def pytest_addoption(parser):
    parser.addoption(
        "--containers",
        action="store_true",
        help="Run tests/containers: build the images and run the compose stack on a real Docker "
        "engine (minutes; .ci/run runs it as its own step after the suite).",
    )


def pytest_ignore_collect(collection_path, config):
    # The container test is a separate step, kept out of the ordinary run's time.
    if collection_path.name == "containers" and collection_path.parent == Path(__file__).parent:
        return not config.getoption("--containers")
    return None


class RecordingSender:
    """Stands in for the broker in unit tests of the API (one faked neighbour)."""

    def __init__(self) -> None:
        self.sent: list[list[str]] = []
        self.fail = False

    def send_score(self, comment_ids, request_id=None) -> None:
        if self.fail:
            raise ConnectionError("broker down")
        self.sent.append(list(comment_ids))

    def ping(self) -> None:
        if self.fail:
            raise ConnectionError("broker down")


def make_settings(tmp_path: Path, database_url: str, **overrides) -> Settings:
    base = dict(
        # The desk's settings come from the environment, as in Settings.from_env, so a test
        # can set MIZAN_REPORT_THRESHOLD and friends before it builds the app.
        desk=DeskSettings.from_env(),
        mode="embedded",
        data_dir=tmp_path,
        database_url=database_url,
        broker_url=REDIS_URL,
        secret_key=SECRET,
        allowed_origins=(ORIGIN,),
    )
    base.update(overrides)
    return Settings(**base)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated to head, dropped at the end."""
    name = f"mizan_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    upgrade(url)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'mizan.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path: Path) -> str:
    """Each test using this runs on both databases."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    url = request.getfixturevalue("pg_database")
    engine = create_engine(url)
    with engine.begin() as conn:
        # blocked domains too: a test that blocks one would otherwise leave it for the next
        conn.execute(text("TRUNCATE comments, blocked_domains CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return make_settings(tmp_path, sqlite_url)


@pytest.fixture
def app(settings: Settings, sender: RecordingSender):
    from mizan.service import create_app

    app = create_app(settings, sender=sender)
    app.config["TESTING"] = True
    yield app
    app.extensions["mizan"].repo.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def unique_email() -> str:
    return f"reader.{secrets.token_hex(6)}@example.org"


def comment_payload(**overrides) -> dict:
    data = {
        "post_id": "article-42",
        "author_name": "سالم الورفلي",
        "author_email": unique_email(),
        "body": "مقال ممتاز، شكرا على التغطية الدقيقة لأزمة الكهرباء في طرابلس.",
    }
    data.update(overrides)
    return data
