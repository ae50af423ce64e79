"""End to end on the real services: API under gunicorn, a Celery worker process, Redis and
PostgreSQL (production-like) or the embedded default, no eager mode anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from urllib.parse import urlencode

import pytest

from tests.conftest import REDIS_URL
from tests.processes import Proc, free_port, mizan_env, request, start_api, start_worker, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ORIGIN = "https://news.example"


def wait_decided(base: str, status_url: str, timeout: float = 15) -> str:
    seen = {}

    def decided() -> bool:
        status, _h, body = request("GET", base + status_url)
        assert status == 200, body
        seen["status"] = body["status"]
        return body["status"] != "pending"

    wait_for(decided, timeout, "a decision")
    return seen["status"]


@pytest.fixture
def stack(tmp_path, pg_database, redis_client):
    """API + worker on PostgreSQL and the machine's Redis, torn down for sure."""
    procs: list[Proc] = []

    def start(**extra) -> tuple[str, dict]:
        env = mizan_env(pg_database, REDIS_URL, tmp_path, **extra)
        procs.append(start_worker(env, tmp_path / "worker.log"))
        api, base = start_api(env, tmp_path / "api.log")
        procs.append(api)
        return base, env

    yield start
    for p in procs:
        p.stop()


def test_json_and_form_posts_are_decided_and_published(stack):
    # This test is about the plumbing (intake, queue, worker, publishing), so the approve
    # thresholds are set where ordinary comments pass whatever the shipped model's calibration;
    # the model's own quality is judged in tests/models and the model card.
    base, _env = stack(MIZAN_THRESHOLD_APPROVE_ABUSE="0.8", MIZAN_THRESHOLD_APPROVE_SPAM="0.8")
    ordinary = (
        "شكرا على هذا التقرير المفيد عن أزمة الكهرباء في طرابلس، نتمنى أن تتحسن الخدمة قريبا."
    )
    status, headers, body = request(
        "POST",
        base + "/api/v1/comments",
        {
            "post_id": "e2e-1",
            "author_name": "سالم",
            "author_email": "salem@example.ly",
            "body": ordinary,
        },
        headers={"Origin": ORIGIN},
    )
    assert status == 202, body
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    started = time.monotonic()
    outcome = wait_decided(base, body["status_url"])
    assert time.monotonic() - started < 15
    assert outcome == "approved", outcome

    form = urlencode(
        {
            "author": "علي",
            "email": "ali@example.ly",
            "comment": "تغطية ممتازة، بارك الله فيكم",
            "comment_post_ID": "e2e-1",
            "comment_parent": body["id"],
            "submit": "إرسال",
        }
    )
    status, headers, _ = request(
        "POST",
        base + "/comments",
        form.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": ORIGIN,
            "Referer": ORIGIN + "/2026/11/e2e-1/",
        },
    )
    assert status == 303
    assert headers["Location"].startswith(ORIGIN + "/2026/11/e2e-1/#mizan-pending-")

    def reply_published() -> bool:
        _s, _h, page = request("GET", base + "/api/v1/posts/e2e-1/comments")
        return bool(page["comments"]) and len(page["comments"][0]["replies"]) == 1

    wait_for(reply_published, 15, "the reply to be published")
    _s, _h, page = request("GET", base + "/api/v1/posts/e2e-1/comments")
    assert page["comments"][0]["body"] == ordinary
    assert page["comments"][0]["replies"][0]["parent_id"] == body["id"]


def test_without_a_model_comments_are_held_with_the_reason(stack, pg_database):
    base, _env = stack(MIZAN_MODEL_PATH="/nonexistent/model")
    status, _h, body = request(
        "POST",
        base + "/api/v1/comments",
        {
            "post_id": "e2e-2",
            "author_name": "Ali",
            "author_email": "ali@example.org",
            "body": "Thanks for the reporting.",
        },
    )
    assert status == 202
    assert wait_decided(base, body["status_url"]) == "held"
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_database)
    with engine.connect() as conn:
        reasons = conn.execute(
            text("SELECT reasons FROM decisions WHERE comment_id = :i"), {"i": body["id"]}
        ).scalar_one()
    engine.dispose()
    assert {"code": "no_model"} in (reasons if isinstance(reasons, list) else json.loads(reasons))


def test_comments_accepted_while_the_broker_is_down_are_swept_later(
    tmp_path, pg_database, redis_client
):
    """Intake with no broker: stored and accepted; a worker started later decides it (sweep)."""
    env = mizan_env(pg_database, "redis://127.0.0.1:1/0", tmp_path)
    api, base = start_api(env, tmp_path / "api.log")
    try:
        status, _h, body = request(
            "POST",
            base + "/api/v1/comments",
            {
                "post_id": "e2e-3",
                "author_name": "Ali",
                "author_email": "ali3@example.org",
                "body": "A fair and balanced article.",
            },
        )
        assert status == 202
    finally:
        api.stop()
    worker = start_worker(
        mizan_env(pg_database, REDIS_URL, tmp_path), tmp_path / "worker.log", beat=True
    )
    try:
        api, base = start_api(mizan_env(pg_database, REDIS_URL, tmp_path), tmp_path / "api2.log")
        try:
            assert wait_decided(base, body["status_url"], timeout=30) != "pending"
        finally:
            api.stop()
    finally:
        worker.stop()


def test_mizan_up_runs_everything_on_the_embedded_default(tmp_path):
    """The README's first command on a machine with nothing but the package installed."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIZAN_")}
    env.update(MIZAN_DATA_DIR=str(tmp_path / "data"), MIZAN_PORT=str(port), PYTHONUNBUFFERED="1")
    up = Proc([sys.executable, "-m", "mizan.service.cli", "up"], env, tmp_path / "up.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: "running at" in up.output() or not up.alive(), 60, "mizan up")

        def healthy() -> bool:
            try:
                return request("GET", base + "/healthz")[0] == 200
            except OSError:
                return False

        wait_for(healthy, 60, "the API")
        status, _h, body = request(
            "POST",
            base + "/api/v1/comments",
            {
                "post_id": "up-1",
                "author_name": "فاطمة",
                "author_email": "fatima@example.ly",
                "body": "مقال جميل ومفيد، شكرا لكم",
            },
        )
        assert status == 202, body
        assert wait_decided(base, body["status_url"], timeout=60) in ("approved", "held")
        assert (tmp_path / "data" / "mizan.sqlite3").exists()
        assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o077 == 0
        up.proc.send_signal(subprocess.signal.SIGINT)
        up.proc.wait(30)
        assert up.proc.returncode == 0, up.output()[-2000:]
        assert "stopped" in up.output()
    finally:
        up.stop()
