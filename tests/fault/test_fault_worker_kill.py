"""kill -9 a worker in the middle of a batch: nothing is lost, nothing is decided twice."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.fault.conftest import assert_exactly_once, fault_env, post_comment
from tests.processes import start_api, start_worker, wait_for

pytestmark = [pytest.mark.fault, pytest.mark.postgres, pytest.mark.slow]


def test_kill_9_worker_mid_batch(tmp_path, fault_db, own_redis, procs):
    url, engine = fault_db
    env = fault_env(url, own_redis.url, tmp_path, MIZAN_SCORE_BATCH="16")
    api, base = start_api(env, tmp_path / "api.log")
    procs.append(api)
    # Hold an exclusive lock on the decisions table so the worker's first batch blocks after it
    # has claimed and updated its comments, inside its transaction: the worst moment to die.
    blocker = create_engine(url)
    conn = blocker.connect()
    try:
        trans = conn.begin()
        conn.execute(text("LOCK TABLE decisions IN ACCESS EXCLUSIVE MODE"))
        accepted = []
        for i in range(40):
            status, _h, body = post_comment(base, i)
            assert status == 202, body
            accepted.append(body["id"])
        worker = start_worker(env, tmp_path / "worker1.log")
        procs.append(worker)

        def blocked_mid_batch() -> bool:
            with engine.connect() as c:
                return bool(
                    c.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                            "AND query ILIKE 'INSERT INTO decisions%'"
                        )
                    ).scalar()
                )

        wait_for(blocked_mid_batch, 30, "the worker to block inside its batch")
        worker.kill9()
        trans.rollback()
    finally:
        conn.close()
        blocker.dispose()
    with engine.connect() as c:  # the dead worker's transaction was rolled back: all pending
        pending = c.execute(text("SELECT count(*) FROM comments WHERE status = 'pending'"))
        assert pending.scalar() == 40
        assert c.execute(text("SELECT count(*) FROM decisions")).scalar() == 0
    # A new worker (with beat: the sweep re-queues what the dead worker's message held).
    procs.append(start_worker(env, tmp_path / "worker2.log", beat=True))
    for i in range(40, 60):  # and the stream goes on
        status, _h, body = post_comment(base, i)
        assert status == 202, body
        accepted.append(body["id"])
    assert_exactly_once(engine, accepted, timeout=60)
