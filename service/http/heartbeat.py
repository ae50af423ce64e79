"""Workers' heartbeats: how /readyz knows a worker consumes the queue right now.

Every consuming worker writes a heartbeat into the broker's Redis (`Heartbeats`): on start and
every HEARTBEAT_SECONDS while its consumer runs and its pool processes are up (worker/signals.py);
it expires after HEARTBEAT_TTL and a clean shutdown removes it. /readyz is ready only while one
is live, so "ready" means a comment sent now is decided now. With a broker other than Redis,
/readyz asks the workers with a Celery ping instead.
"""

from __future__ import annotations

import json
import threading
import time

HEARTBEAT_PREFIX = "mizan:worker:alive:"
HEARTBEAT_SECONDS = 2.0
HEARTBEAT_TTL = 10


class NoWorker(Exception):  # noqa: N818 - reported by name in /readyz
    """No worker is consuming the queue."""


class Heartbeats:
    """Workers' heartbeats, kept in the broker's Redis under HEARTBEAT_PREFIX."""

    def __init__(self, broker_url: str) -> None:
        import redis

        from mizan.service.queue import redis_url_for_client

        self._client = redis.Redis.from_url(
            redis_url_for_client(broker_url), socket_connect_timeout=1, socket_timeout=2
        )

    @classmethod
    def for_broker(cls, broker_url: str) -> Heartbeats | None:
        """Heartbeats on this broker, or None when it is not Redis."""
        if broker_url.startswith(("redis://", "rediss://", "redis+socket://")):
            return cls(broker_url)
        return None

    def beat(self, node: str, state: dict) -> None:
        """Record that `node` consumes now (expires after HEARTBEAT_TTL)."""
        value = json.dumps({**state, "node": node, "at": time.time()})
        self._client.set(HEARTBEAT_PREFIX + node, value, ex=HEARTBEAT_TTL)

    def clear(self, node: str) -> None:
        self._client.delete(HEARTBEAT_PREFIX + node)

    def live(self) -> list[dict]:
        """The heartbeats that have not expired."""
        keys = list(self._client.scan_iter(match=HEARTBEAT_PREFIX + "*", count=100))
        values = self._client.mget(keys) if keys else []
        return [json.loads(v) for v in values if v]

    def close(self) -> None:
        self._client.close()


def check_workers(heartbeats: Heartbeats | None, broker_url: str) -> dict:
    """Raise NoWorker unless a worker consumes; return how many do."""
    if heartbeats is not None:
        n = len(heartbeats.live())
    else:
        from celery import Celery

        app = Celery("mizan", broker=broker_url, set_as_current=False)
        try:
            n = len(app.control.ping(timeout=0.5))
        finally:
            app.close()
    if not n:
        raise NoWorker("no worker consumes the queue")
    return {"workers": n}


_cache: dict[str, Heartbeats | None] = {}
_cache_lock = threading.Lock()


def workers_check(broker_url: str) -> dict:
    """The /readyz check: this process's Heartbeats reader for the broker, made on first use."""
    with _cache_lock:
        if broker_url not in _cache:
            _cache[broker_url] = Heartbeats.for_broker(broker_url)
        beats = _cache[broker_url]
    return check_workers(beats, broker_url)
