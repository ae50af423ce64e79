"""/healthz and /readyz: in-process unit checks, and the fault test against real services."""

from __future__ import annotations

import json
import time

import pytest

from mizan.service.http import heartbeat
from mizan.service.http.health import model_status
from tests.conftest import REDIS_URL, make_settings
from tests.ops.conftest import (
    ApiServer,
    WorkerProcess,
    base_env,
    http,
    wait_for,
    write_model_artifact,
)


def test_healthz_is_plain_ok(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json == {"status": "ok"}


def test_readyz_reports_each_check_with_latency(tmp_path, sqlite_url, sender):
    from mizan.service import create_app

    settings = make_settings(
        tmp_path, sqlite_url, model_path=str(write_model_artifact(tmp_path / "m", "v-7"))
    )
    app = create_app(settings, sender=sender)
    beats = heartbeat.Heartbeats(REDIS_URL)
    beats.beat("unit@readyz", {"model": "v-7"})  # what a consuming worker writes
    try:
        resp = app.test_client().get("/readyz")
    finally:
        beats.clear("unit@readyz")
        beats.close()
    assert resp.status_code == 200, resp.json
    checks = resp.json["checks"]
    assert set(checks) == {"database", "broker", "model", "worker"}
    assert all(c["ok"] and c["latency_ms"] >= 0 for c in checks.values())
    assert checks["model"]["version"] == "v-7"
    assert checks["worker"]["workers"] >= 1

    sender.fail = True
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == "5"
    assert resp.json["checks"]["broker"] == {
        "ok": False,
        "error": "ConnectionError",
        "latency_ms": resp.json["checks"]["broker"]["latency_ms"],
    }
    assert resp.json["error"]["code"] == "unavailable"
    # Exception messages may hold hosts or credentials: only the type is reported.
    assert "broker down" not in resp.get_data(as_text=True)
    app.extensions["mizan"].repo.engine.dispose()


def test_model_check_refuses_missing_tampered_or_foreign_artifacts(tmp_path, sqlite_url):
    good = write_model_artifact(tmp_path / "good")
    assert model_status(make_settings(tmp_path, sqlite_url, model_path=str(good)))["ok"]

    missing = make_settings(tmp_path, sqlite_url, model_path=str(tmp_path / "nothing"))
    assert model_status(missing) == {"ok": False, "error": "ModelNotUsable"}

    tampered = write_model_artifact(tmp_path / "tampered")
    (tampered / "model.skops").write_bytes(b"changed after training\n")
    assert not model_status(make_settings(tmp_path, sqlite_url, model_path=str(tampered)))["ok"]

    foreign = write_model_artifact(tmp_path / "foreign")
    meta = json.loads((foreign / "model.json").read_text())
    meta["libraries"]["scikit-learn"] = "0.24.2"
    (foreign / "model.json").write_text(json.dumps(meta))
    assert not model_status(make_settings(tmp_path, sqlite_url, model_path=str(foreign)))["ok"]


def _ready(api: ApiServer) -> tuple[int, dict, float]:
    t0 = time.monotonic()
    status, _headers, body = http("GET", api.url + "/readyz", timeout=5)
    return status, json.loads(body), time.monotonic() - t0


@pytest.mark.e2e
@pytest.mark.fault
@pytest.mark.redis
@pytest.mark.postgres
def test_readyz_follows_redis_and_postgres_going_away_and_back(
    tmp_path, private_postgres, private_redis, model_dir
):
    env = base_env(
        tmp_path / "data", private_postgres.url, private_redis.url, MIZAN_MODEL_PATH=str(model_dir)
    )
    api = ApiServer(env, tmp_path / "api.log", workers=1, threads=4)
    worker = WorkerProcess(env, tmp_path / "worker.log")
    try:
        api.start()
        worker.start()
        wait_for(lambda: _ready(api)[0] == 200, 60, interval=0.2, what="ready")

        # The contract is "503 within a second of a dependency going away": the very first
        # probe after the outage must already say so, and answer inside that second.
        for name, down, up, check in (
            ("redis killed", private_redis.kill, private_redis.start, "broker"),
            ("redis frozen", private_redis.freeze, private_redis.thaw, "broker"),
            (
                "postgres stopped",
                lambda: private_postgres.stop("immediate"),
                private_postgres.start,
                "database",
            ),
        ):
            down()
            t0 = time.monotonic()
            status, body, took = _ready(api)
            assert status == 503, (name, body)
            assert time.monotonic() - t0 < 1.0, (name, took)
            assert not body["checks"][check]["ok"], (name, body)
            # The workers' heartbeats live in the broker: without it no worker is seen either.
            others = {check, "worker"} if check == "broker" else {check}
            assert all(c["ok"] for n, c in body["checks"].items() if n not in others), (name, body)
            up()
            wait_for(
                lambda: _ready(api)[0] == 200, 30, interval=0.2, what=f"ready again after {name}"
            )
        log = (tmp_path / "api.log").read_text()
        assert "Traceback" not in log
    finally:
        worker.stop()
        api.stop()


@pytest.mark.e2e
@pytest.mark.redis
def test_readyz_is_ready_only_while_a_worker_consumes(tmp_path, private_redis, model_dir):
    """No worker, a worker, a stopped one, a killed one: /readyz follows each at once."""
    import os
    import signal

    from mizan.service.db import upgrade

    db_url = f"sqlite:///{tmp_path / 'ready.sqlite3'}"
    upgrade(db_url)
    env = base_env(tmp_path / "data", db_url, private_redis.url, MIZAN_MODEL_PATH=str(model_dir))
    api = ApiServer(env, tmp_path / "api.log", workers=1, threads=4)
    workers: list[WorkerProcess] = []
    try:
        api.start()
        status, body, _took = _ready(api)
        assert status == 503, body
        assert body["checks"]["worker"]["error"] == "NoWorker"
        assert all(c["ok"] for n, c in body["checks"].items() if n != "worker"), body

        for n, how in enumerate(("stopped", "killed")):
            worker = WorkerProcess(env, tmp_path / f"worker-{n}.log")
            workers.append(worker)
            worker.start()
            wait_for(lambda: _ready(api)[0] == 200, 60, interval=0.2, what="a consuming worker")
            assert _ready(api)[1]["checks"]["worker"]["workers"] == 1
            if how == "stopped":
                worker.stop()  # a clean shutdown withdraws its heartbeat
                assert _ready(api)[0] == 503
            else:
                os.killpg(worker.proc.pid, signal.SIGKILL)
                worker.proc.wait(10)
                wait_for(
                    lambda: _ready(api)[0] == 503,
                    heartbeat.HEARTBEAT_TTL + 5,
                    interval=0.5,
                    what="the killed worker's heartbeat to expire",
                )
    finally:
        for worker in workers:
            worker.stop()
        api.stop()
