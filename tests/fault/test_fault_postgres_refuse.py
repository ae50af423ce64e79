"""PostgreSQL refuses connections for a while: intake answers 503 with Retry-After (never 500),
and every comment that got a 202 ends with exactly one decision."""

from __future__ import annotations

import threading
import time

import pytest

from tests.fault.conftest import (
    PgProxy,
    assert_exactly_once,
    fault_env,
    no_personal_data,
    post_comment,
)
from tests.processes import start_api, start_worker

pytestmark = [pytest.mark.fault, pytest.mark.postgres, pytest.mark.slow]


def test_database_away_then_back(tmp_path, fault_db, own_redis, procs):
    url, engine = fault_db
    proxy = PgProxy()
    try:
        proxied = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        assert proxied != url
        env = fault_env(proxied, own_redis.url, tmp_path, MIZAN_POLICY_CACHE_SECONDS="0")
        procs.append(start_worker(env, tmp_path / "worker.log", beat=True))
        api, base = start_api(env, tmp_path / "api.log")
        procs.append(api)
        results: list[tuple[int, dict, dict]] = []
        stop = threading.Event()

        def stream() -> None:
            i = 0
            while not stop.is_set():
                status, headers, body = post_comment(base, i)
                results.append((status, dict(headers or {}), body))
                i += 1
                time.sleep(0.05)

        t = threading.Thread(target=stream)
        t.start()
        try:
            time.sleep(2)
            proxy.refuse()
            time.sleep(4)
            proxy.restore()
            time.sleep(3)
        finally:
            stop.set()
            t.join(30)
        statuses = [s for s, _h, _b in results]
        assert 500 not in statuses and set(statuses) <= {202, 503}, statuses
        refused = [(h, b) for s, h, b in results if s == 503]
        assert refused, "the outage was not seen by the intake"
        for headers, body in refused:
            assert int(headers["Retry-After"]) > 0
            assert body["error"]["code"] == "unavailable"
        assert statuses[-1] == 202  # and the intake recovered
        accepted = [b["id"] for s, _h, b in results if s == 202]
        assert_exactly_once(engine, accepted, timeout=60)
        no_personal_data(api.output())
    finally:
        proxy.close()
