"""Task sending: the batching sender coalesces, and a real Redis receives Celery messages."""

from __future__ import annotations

import base64
import json
import threading

from mizan.service.queue import SCORE_TASK, BatchingSender, RedisSender
from tests.conftest import REDIS_URL, RecordingSender


class SlowSender(RecordingSender):
    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def send_score(self, comment_ids, request_id=None) -> None:
        self.gate.wait(5)
        super().send_score(comment_ids, request_id)


def test_batching_sender_coalesces_ids_queued_while_sending():
    inner = SlowSender()
    sender = BatchingSender(inner, max_batch=64)
    for i in range(10):
        sender.send_score([f"c{i}"])
    inner.gate.set()
    assert sender.flush(5)
    sent = [i for batch in inner.sent for i in batch]
    assert sorted(sent) == sorted(f"c{i}" for i in range(10))
    assert len(inner.sent) < 10


def test_batching_sender_survives_broker_failure():
    inner = RecordingSender()
    inner.fail = True
    sender = BatchingSender(inner)
    sender.send_score(["lost-but-swept"])
    assert sender.flush(5)
    inner.fail = False
    sender.send_score(["next"])
    assert sender.flush(5)
    assert inner.sent == [["next"]]


def test_redis_sender_writes_a_celery_protocol2_message(redis_client):
    RedisSender(REDIS_URL).send_score(["a", "b"], request_id="req-123")
    raw = redis_client.rpop("mizan.score")
    msg = json.loads(raw)
    assert msg["headers"]["task"] == SCORE_TASK
    assert msg["headers"]["mizan_request_id"] == "req-123"
    assert msg["properties"]["delivery_info"]["routing_key"] == "mizan.score"
    args, kwargs, _embed = json.loads(base64.b64decode(msg["body"]))
    assert args == [["a", "b"]] and kwargs == {}
