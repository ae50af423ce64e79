"""Readiness tells the truth: `mizan up` says it runs only when a worker consumes, and the
first comment after that is decided at once (finding 7 of the hardening review)."""

from __future__ import annotations

import os
import sys
import time

import pytest

from tests.processes import Proc, free_port, request, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# The review measured 12 s between `mizan up`'s banner and the first decision.
FIRST_DECISION_SECONDS = 2.0


def test_mizan_up_banner_means_the_first_comment_is_decided_at_once(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIZAN_")}
    env.update(MIZAN_DATA_DIR=str(tmp_path / "data"), MIZAN_PORT=str(port), PYTHONUNBUFFERED="1")
    up = Proc([sys.executable, "-m", "mizan.service.cli", "up"], env, tmp_path / "up.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: "running at" in up.output() or not up.alive(), 120, "the banner")
        assert up.alive(), up.output()[-3000:]

        status, _h, ready = request("GET", base + "/readyz")
        assert status == 200, ready
        assert ready["checks"]["worker"]["ok"] and ready["checks"]["worker"]["workers"] == 1

        started = time.monotonic()
        status, _h, body = request(
            "POST",
            base + "/api/v1/comments",
            {
                "post_id": "ready-1",
                "author_name": "خديجة",
                "author_email": "khadija@example.ly",
                "body": "شكرا على هذا التقرير المفصل",
            },
        )
        assert status == 202, body
        state = "pending"
        while state == "pending" and time.monotonic() - started < 30:
            state = request("GET", base + body["status_url"])[2]["status"]
            time.sleep(0.05)
        took = time.monotonic() - started
        assert state != "pending", up.output()[-3000:]
        assert took < FIRST_DECISION_SECONDS, f"first comment decided after {took:.2f} s"
    finally:
        up.stop(timeout=30)
