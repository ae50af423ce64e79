"""Stop and restart Redis during a stream of posts: every 202 ends with exactly one decision."""

from __future__ import annotations

import threading
import time

import pytest

from tests.fault.conftest import assert_exactly_once, fault_env, no_personal_data, post_comment
from tests.processes import start_api, start_worker

pytestmark = [pytest.mark.fault, pytest.mark.postgres, pytest.mark.slow]


def test_redis_stop_and_restart_during_a_stream(tmp_path, fault_db, own_redis, procs):
    url, engine = fault_db
    env = fault_env(url, own_redis.url, tmp_path)
    procs.append(start_worker(env, tmp_path / "worker.log", beat=True))
    api, base = start_api(env, tmp_path / "api.log")
    procs.append(api)
    results: list[tuple[int, dict]] = []
    stop = threading.Event()

    def stream() -> None:
        i = 0
        while not stop.is_set():
            status, _h, body = post_comment(base, i)
            results.append((status, body))
            i += 1
            time.sleep(0.05)

    t = threading.Thread(target=stream)
    t.start()
    try:
        time.sleep(2)
        own_redis.stop()  # the broker disappears, queued messages with it (no persistence)
        time.sleep(3)
        during = len(results)
        own_redis.start()
        time.sleep(3)
    finally:
        stop.set()
        t.join(30)
    statuses = [s for s, _b in results]
    assert statuses and set(statuses) == {202}, statuses  # intake never depends on the broker
    assert len(results) > during > 0
    accepted = [b["id"] for s, b in results if s == 202]
    assert_exactly_once(engine, accepted, timeout=60)
    no_personal_data(api.output())
