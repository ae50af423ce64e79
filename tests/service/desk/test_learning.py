"""Moderators' decisions -> feedback CSV -> `mizan train` -> `mizan models activate` -> a running
Celery worker decides the next comments with the new version, without a restart."""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from mizan.service.cli import main
from mizan.service.queue import make_sender
from tests import factories
from tests.conftest import REDIS_URL, SECRET, comment_payload
from tests.service.desk.test_support import (
    add_account,
    build_app,
    make_comment,
    token_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.redis, pytest.mark.slow]

HAM = [
    "مقال ممتاز شكرا على التغطية",
    "أتفق مع الكاتب في تحليله",
    "good article, thanks",
    "الكهرباء تنقطع كل يوم في حينا",
    "I disagree with this analysis",
]
SPAM = [
    "اربح الآن اضغط على الرابط http://spam.example",
    "buy cheap followers http://x.example",
    "خصم كبير اتصل الآن 0912345678",
    "تابعوني على قناتي واشتركوا",
]
ABUSE = ["يا حمار يا غبي", "you idiot moron", "كلب حقير", "shut up stupid"]


def tiny_dataset(directory: Path) -> None:
    """A few dozen rows per task so training takes seconds."""
    rng = random.Random(7)
    directory.mkdir()
    for task, bad in (("spam", SPAM), ("abuse", ABUSE)):
        with open(directory / f"tiny_{task}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["text", "label", "task", "lang", "source"])
            for i in range(25):
                w.writerow([f"{rng.choice(HAM)} {i}", 0, task, "ar", f"tiny-{task}"])
                w.writerow([f"{rng.choice(bad)} {i}", 1, task, "ar", f"tiny-{task}"])


def wait_decided(repo, cid: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = factories.get_status(repo, cid)
        if status != "pending":
            return status
        time.sleep(0.2)
    raise AssertionError("the worker did not decide the comment in time")


@pytest.fixture
def worker_env(tmp_path, sqlite_url, redis_client):
    return {
        **os.environ,
        "MIZAN_DATABASE_URL": sqlite_url,
        "MIZAN_BROKER_URL": REDIS_URL,
        "MIZAN_DATA_DIR": str(tmp_path),
        "MIZAN_SECRET_KEY": SECRET,
        "MIZAN_MODEL_CHECK_SECONDS": "1",
        "MIZAN_MODE": "embedded",
    }


@pytest.fixture
def worker(tmp_path, worker_env):
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed in the finalizer
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "mizan.worker.celery_app",
            "worker",
            "--pool=solo",
            "-Q",
            "mizan.score",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
        ],
        env=worker_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


def test_feedback_retrains_and_activation_reaches_a_running_worker(
    tmp_path, sqlite_url, worker_env, worker
):
    app = build_app(tmp_path, sqlite_url, make_sender(REDIS_URL))
    client = app.test_client()
    repo = app.extensions["mizan"].repo
    headers = {"Authorization": "Bearer " + token_for(app, add_account(app))}

    # moderators decide: each decision becomes a labelled example
    for i, text in enumerate(HAM + SPAM + ABUSE):
        cid = make_comment(app, "held", body=f"{text} #{i}")
        body = (
            {"action": "approve"}
            if text in HAM
            else {"action": "spam"}
            if text in SPAM
            else {"action": "reject", "reason": "abusive"}
        )
        resp = client.post(
            f"/api/v1/moderation/comments/{cid}/actions",
            headers=headers,
            data=json.dumps(body),
            content_type="application/json",
        )
        assert resp.status_code == 200

    runner = CliRunner()
    env = {k: worker_env[k] for k in ("MIZAN_DATABASE_URL", "MIZAN_DATA_DIR", "MIZAN_SECRET_KEY")}
    feedback = tmp_path / "feedback.csv"
    res = runner.invoke(main, ["feedback", "export", "--out", str(feedback)], env=env)
    assert res.exit_code == 0, res.output
    with open(feedback, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 * len(HAM) + len(SPAM) + len(ABUSE)
    assert {(r["task"], r["label"]) for r in rows} == {
        ("spam", "0"),
        ("abuse", "0"),
        ("spam", "1"),
        ("abuse", "1"),
    }
    assert "@" not in feedback.read_text(encoding="utf-8")

    # the worker is already running with whatever model it had
    first = client.post(
        "/api/v1/comments",
        data=json.dumps(comment_payload(body="أول تعليق")),
        content_type="application/json",
        environ_base={"REMOTE_ADDR": "192.0.2.1"},
    )
    assert first.status_code == 202, first.get_data(as_text=True)
    wait_decided(repo, first.get_json()["id"])
    before = [d.model_version for d in repo.decisions_for(first.get_json()["id"])]
    assert "tiny-2" not in before

    data = tmp_path / "tiny"
    tiny_dataset(data)
    out = tmp_path / "models" / "tiny-2"
    res = runner.invoke(
        main,
        [
            "train",
            "--data",
            str(data),
            "--feedback",
            str(feedback),
            "--out",
            str(out),
            "--version",
            "tiny-2",
            "--no-card",
        ],
        env=env,
    )
    assert res.exit_code == 0, res.output
    sidecar = json.loads(next(out.rglob("model.json")).read_text())
    assert any(d.get("feedback") for d in sidecar["training_data"])

    res = runner.invoke(main, ["models", "list"], env=env)
    assert "tiny-2" in res.output and "* tiny-2" not in res.output
    assert runner.invoke(main, ["models", "activate", "nope"], env=env).exit_code != 0
    res = runner.invoke(main, ["models", "activate", "tiny-2"], env=env)
    assert res.exit_code == 0, res.output
    assert "* tiny-2" in runner.invoke(main, ["models", "list"], env=env).output
    time.sleep(1.5)  # longer than MIZAN_MODEL_CHECK_SECONDS

    nxt = client.post(
        "/api/v1/comments",
        data=json.dumps(comment_payload(body="ثاني تعليق")),
        content_type="application/json",
        environ_base={"REMOTE_ADDR": "192.0.2.2"},
    )
    assert nxt.status_code == 202
    wait_decided(repo, nxt.get_json()["id"])
    auto = [d for d in repo.decisions_for(nxt.get_json()["id"]) if d.kind == "automatic"]
    assert [d.model_version for d in auto] == ["tiny-2"]
    assert worker.poll() is None  # the same process, never restarted

    stats = client.get("/api/v1/moderation/stats", headers=headers).get_json()
    assert stats["active_model"] == "tiny-2"
    assert "tiny-2" in {m["model_version"] for m in stats["models"]}
    audit = client.get("/api/v1/moderation/audit?action=model_activate", headers=headers)
    assert [e["detail"]["version"] for e in audit.get_json()["entries"]] == ["tiny-2"]
    app.extensions["mizan"].repo.engine.dispose()
