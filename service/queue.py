"""Sends tasks to the workers by name (never imports `worker`).

Two senders share one interface: `CelerySender` builds messages with Celery (any broker), and
`RedisSender` writes the very same Celery protocol-2 JSON message straight onto the Redis list
that the worker consumes. The second exists because message building dominated intake cost
(see bench/intake); a test checks a real worker runs what it sends.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Sequence
from typing import Protocol

SCORE_TASK = "mizan.score_comment"
SWEEP_TASK = "mizan.sweep"
DEFAULT_QUEUE = "mizan.score"

log = logging.getLogger("mizan.queue")


class TaskSender(Protocol):
    def send_score(self, comment_ids: Sequence[str], request_id: str | None = None) -> None:
        """Queue scoring of these comments; raises on broker failure."""

    def ping(self) -> None:
        """Raise when the broker does not answer."""


def redis_url_for_client(broker_url: str) -> str:
    """Translate a Celery/kombu Redis URL to one redis-py understands."""
    if broker_url.startswith("redis+socket://"):
        return "unix://" + broker_url[len("redis+socket://") :]
    return broker_url


class RedisSender:
    """Celery protocol-2 messages pushed with one LPUSH; for Redis brokers."""

    def __init__(self, broker_url: str, queue: str = DEFAULT_QUEUE) -> None:
        import redis

        self.queue = queue
        self._client = redis.Redis.from_url(
            redis_url_for_client(broker_url),
            socket_connect_timeout=1,
            socket_timeout=2,
            health_check_interval=30,
        )
        self._origin = f"{os.getpid()}@{socket.gethostname()}"

    def _message(self, task: str, args: list, request_id: str | None) -> bytes:
        task_id = str(uuid.uuid4())
        body = base64.b64encode(
            json.dumps(
                [args, {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}]
            ).encode()
        )
        headers = {
            "lang": "py",
            "task": task,
            "id": task_id,
            "shadow": None,
            "eta": None,
            "expires": None,
            "group": None,
            "group_index": None,
            "retries": 0,
            "timelimit": [None, None],
            "root_id": task_id,
            "parent_id": None,
            "argsrepr": repr(args),
            "kwargsrepr": "{}",
            "origin": self._origin,
            "ignore_result": True,
        }
        if request_id:
            headers["mizan_request_id"] = request_id
        message = {
            "body": body.decode("ascii"),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": headers,
            "properties": {
                "correlation_id": task_id,
                "reply_to": "",
                "delivery_mode": 2,
                "delivery_info": {"exchange": "", "routing_key": self.queue},
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": str(uuid.uuid4()),
            },
        }
        return json.dumps(message).encode()

    def send_score(self, comment_ids: Sequence[str], request_id: str | None = None) -> None:
        self._client.lpush(self.queue, self._message(SCORE_TASK, [list(comment_ids)], request_id))

    def send_task(self, task: str, args: list, queue: str) -> None:
        """Queue any task by name (JSON arguments) on `queue`."""
        self._client.lpush(queue, self._message(task, args, None))

    def ping(self) -> None:
        self._client.ping()


class CelerySender:
    """Messages built by Celery itself; works with any broker Celery supports."""

    def __init__(self, broker_url: str, queue: str = DEFAULT_QUEUE) -> None:
        from celery import Celery

        self.queue = queue
        self._app = Celery("mizan-sender", broker=broker_url, set_as_current=False)
        self._app.conf.update(
            task_serializer="json",
            broker_connection_retry_on_startup=False,
            broker_connection_timeout=1,
            broker_transport_options={"max_retries": 0},
            task_publish_retry=False,
        )

    def send_score(self, comment_ids: Sequence[str], request_id: str | None = None) -> None:
        headers = {"mizan_request_id": request_id} if request_id else None
        self._app.send_task(
            SCORE_TASK,
            args=[list(comment_ids)],
            queue=self.queue,
            ignore_result=True,
            headers=headers,
        )

    def send_task(self, task: str, args: list, queue: str) -> None:
        """Queue any task by name (JSON arguments) on `queue`."""
        self._app.send_task(task, args=args, queue=queue, ignore_result=True)

    def ping(self) -> None:
        with self._app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=1)


def make_sender(broker_url: str, background: bool = False) -> TaskSender:
    """The fastest sender that supports this broker (batched from a thread when `background`)."""
    if broker_url.startswith(("redis://", "rediss://", "redis+socket://")):
        sender: TaskSender = RedisSender(broker_url)
    else:
        sender = CelerySender(broker_url)
    return BatchingSender(sender) if background else sender


class BatchingSender:
    """Sends from a background thread, coalescing the ids queued meanwhile into one task.

    Intake returns as soon as the comment is committed; the broker round trip and Celery's
    per-message cost are paid once per batch instead of once per comment, which is also what
    lets a worker decide many comments per task. A comment whose send fails (broker down, or
    the process dies first) stays pending and the sweep re-queues it, so nothing is lost.

    Handing ids over costs a request no system call while traffic flows: they go onto a deque
    that the thread drains every `linger` seconds, and only a thread parked after a quiet spell
    is woken (waking a thread per comment cost more than sending, see bench/results/intake.md).
    """

    def __init__(
        self, inner: TaskSender, max_batch: int = 64, linger: float = 0.005, idle: float = 0.5
    ) -> None:
        import collections
        import threading

        self.inner = inner
        self.max_batch = max_batch
        self.linger = linger
        self._idle_rounds = max(1, int(idle / linger))
        self._items: collections.deque[tuple[list[str], str | None]] = collections.deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._parked = False
        self._busy = False
        self._started = False
        self._fork_hook = False

    def _ensure_thread(self) -> None:
        import threading

        if self._started:  # a flag, not os.getpid(): that is a system call per comment
            return
        with self._lock:
            if not self._started:  # first use in this (possibly forked) process
                if not self._fork_hook:
                    self._fork_hook = True
                    os.register_at_fork(after_in_child=self._forked)
                self._started = True
                threading.Thread(target=self._run, name="mizan-sender", daemon=True).start()

    def _forked(self) -> None:
        # The thread does not survive a fork; the child starts its own on first use, and leaves
        # the ids queued before the fork to the parent.
        import threading

        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._started = self._parked = self._busy = False
        self._items.clear()

    def send_score(self, comment_ids: Sequence[str], request_id: str | None = None) -> None:
        self._ensure_thread()
        self._items.append((list(comment_ids), request_id))
        if self._parked:  # read after the append: the thread re-checks after announcing it
            self._wake.set()

    def ping(self) -> None:
        self.inner.ping()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far was handed to the broker (or given up on)."""
        deadline = time.monotonic() + timeout
        while self._items or self._busy:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.002)
        return True

    def _run(self) -> None:
        quiet = 0
        while True:
            if not self._items:
                if quiet < self._idle_rounds:
                    quiet += 1
                    time.sleep(self.linger)
                    continue
                self._wake.clear()
                self._parked = True
                if not self._items:  # nothing slipped in while announcing: sleep until woken
                    self._wake.wait()
                self._parked = False
                continue
            quiet = 0
            self._busy = True
            ids, request_id = self._items.popleft()
            while len(ids) < self.max_batch and self._items:
                more, _rid = self._items.popleft()
                ids.extend(more)
            try:
                self.inner.send_score(ids, request_id)
            except Exception as exc:  # noqa: BLE001 - the sweep re-queues whatever was not sent
                log.warning(
                    "could not queue %d comment(s): %s; the sweep will retry",
                    len(ids),
                    type(exc).__name__,
                )
            finally:
                self._busy = False
