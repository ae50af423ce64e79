"""/metrics after a comment goes through the real pipeline: gunicorn API, Redis, Celery worker.

Also checks the request id travels from the API into the worker's log lines, that no email
reaches any log, and that `mizan worker-ready` answers for the running worker.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, select

from mizan.service.tables import Decision
from tests.conftest import ORIGIN, comment_payload
from tests.ops.conftest import ROOT, ApiServer, WorkerProcess, base_env, http, wait_for

METRICS_TOKEN = "metrics-token-for-the-ops-tests-0123"


def scrape(api: ApiServer) -> dict[tuple[str, tuple], float]:
    auth = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    status, headers, body = http("GET", api.url + "/metrics", headers=auth)
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=")
    out = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def names(samples: dict) -> set[str]:
    return {name for name, _ in samples}


@pytest.mark.e2e
@pytest.mark.redis
@pytest.mark.slow
def test_metrics_after_a_comment_goes_through(tmp_path, private_redis, model_dir):
    from mizan.service.db import upgrade

    db_url = f"sqlite:///{tmp_path / 'mizan.sqlite3'}"
    upgrade(db_url)
    env = base_env(
        tmp_path / "data",
        db_url,
        private_redis.url,
        MIZAN_MODEL_PATH=str(model_dir),
        MIZAN_METRICS_TOKEN=METRICS_TOKEN,
    )
    api = ApiServer(env, tmp_path / "api.log", workers=2, threads=2)
    worker = WorkerProcess(env, tmp_path / "worker.log")
    try:
        api.start()
        worker.start()
        before = scrape(api)  # the first scrape sets where decision counting starts
        assert value(before, "mizan_metrics_source_up", source="database") == 1

        # Several requests spread over both gunicorn processes: the totals must add up.
        for _ in range(6):
            assert http("GET", api.url + "/healthz")[0] == 200
        payload = comment_payload()
        rid = "opstest-" + "a1b2c3d4e5"
        status, headers, body = http(
            "POST",
            api.url + "/api/v1/comments",
            json.dumps(payload).encode(),
            {"Content-Type": "application/json", "Origin": ORIGIN, "X-Request-Id": rid},
        )
        assert status == 202, body
        accepted = json.loads(body)

        def decided():
            code, _, b = http("GET", api.url + accepted["status_url"])
            return code == 200 and json.loads(b)["status"] != "pending"

        wait_for(decided, 60, interval=0.2, what="the worker's decision")
        engine = create_engine(db_url)
        with engine.connect() as conn:
            outcome, by = conn.execute(
                select(Decision.outcome, Decision.decided_by).where(
                    Decision.comment_id == accepted["id"]
                )
            ).one()
        engine.dispose()

        def counted():
            s = scrape(api)
            return (
                s
                if (value(s, "mizan_decisions_total", outcome=outcome, decided_by=by) or 0) >= 1
                else None
            )

        after = wait_for(counted, 20, interval=0.5, what="the decision in /metrics")

        healthz = {"route": "/healthz", "method": "GET", "status": "200"}
        assert (
            value(after, "mizan_http_requests_total", **healthz)
            - value(before, "mizan_http_requests_total", **healthz)
        ) == 6
        assert (
            value(
                after,
                "mizan_http_requests_total",
                route="/api/v1/comments",
                method="POST",
                status="202",
            )
            == 1
        )
        assert (
            value(
                after,
                "mizan_http_request_duration_seconds_count",
                route="/api/v1/comments",
                method="POST",
            )
            == 1
        )
        assert value(after, "mizan_comments_accepted_total", channel="json") == 1
        assert value(after, "mizan_decision_latency_seconds_count") >= 1
        assert value(after, "mizan_queue_depth", queue="mizan.score") == 0
        assert value(after, "mizan_pending_comments") == 0
        assert value(after, "mizan_oldest_pending_comment_age_seconds") == 0
        assert value(after, "mizan_active_model_info", version="ops-test-1") == 1
        assert value(after, "mizan_metrics_source_up", source="broker") == 1

        # The worker's log line for the task carries the API's request id.
        def task_logged():
            for line in (tmp_path / "worker.log").read_text().splitlines():
                if line.startswith("{") and "mizan.score_comment" in line:
                    entry = json.loads(line)
                    if entry.get("request_id") == rid:
                        return entry
            return None

        wait_for(task_logged, 10, what="the worker's log line with the request id")

        # Worker readiness: ping and database answer; the model check reflects what it loaded
        # (this test's artifact is not a real classifier, so the worker holds comments).
        done = subprocess.run(
            [sys.executable, "-m", "mizan.service.cli", "worker-ready"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            timeout=60,
        )
        report = json.loads(done.stdout.decode().strip().splitlines()[-1])
        assert report["checks"]["ping"]["ok"], report
        assert report["checks"]["database"]["ok"], report
        assert report["ready"] == report["checks"]["model"]["ok"]
        assert done.returncode == (0 if report["ready"] else 1)
    finally:
        worker.stop()
        api.stop()
    logs = (tmp_path / "api.log").read_text() + (tmp_path / "worker.log").read_text()
    assert payload["author_email"] not in logs
    assert payload["body"] not in logs


def test_metrics_need_the_token_in_production_and_stay_open_embedded(tmp_path, sqlite_url, sender):
    from mizan.service import create_app
    from tests.conftest import make_settings

    def get(settings, headers=None):
        app = create_app(settings, sender=sender)
        try:
            return app.test_client().get("/metrics", headers=headers or {})
        finally:
            app.extensions["mizan"].repo.engine.dispose()

    production = make_settings(tmp_path, sqlite_url, mode="production")
    resp = get(production)
    assert resp.status_code == 403 and resp.json["error"]["code"] == "forbidden"
    assert "mizan_" not in resp.get_data(as_text=True)

    guarded = make_settings(tmp_path, sqlite_url, mode="production", metrics_token=METRICS_TOKEN)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": METRICS_TOKEN}):
        resp = get(guarded, headers)
        assert resp.status_code == 401, headers
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        assert "mizan_" not in resp.get_data(as_text=True)
    resp = get(guarded, {"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert resp.status_code == 200 and b"mizan_" in resp.data

    assert get(make_settings(tmp_path, sqlite_url)).status_code == 200  # embedded, localhost


def test_a_short_metrics_token_is_refused_at_start():
    from mizan.service.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="MIZAN_METRICS_TOKEN"):
        load_settings({"MIZAN_METRICS_TOKEN": "short"})
