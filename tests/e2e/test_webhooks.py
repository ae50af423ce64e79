"""Webhooks end to end: `mizan api` under gunicorn, a Celery worker process (with beat) on
PostgreSQL and Redis, and a real HTTP receiver in this process. Deliveries are signed, retried
after a 500, carry no private data, and an endpoint that keeps failing is disabled; the held
queue's backlog alert is sent once per crossing."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from mizan.service.integrations import SIGNATURE_HEADER, verify
from tests.conftest import REDIS_URL
from tests.processes import Proc, free_port, mizan_env, request, start_api, start_worker, wait_for
from tests.service.integrations.conftest import reset_integrations

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ORIGIN = "https://news.example"
EMAIL = "private.reader@example.ly"
PASSWORD = "webhooks-test-password-1"


class Receiver:
    """A local HTTP endpoint that records every request; /hook fails its first request."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    seen = [r for r in receiver.requests if r["path"] == self.path]
                    receiver.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body}
                    )
                failing = self.path == "/broken" or (self.path == "/hook" and not seen)
                self.send_response(500 if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def at(self, path: str) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["path"] == path]

    def events(self, path: str) -> list[tuple[str, str]]:
        return [
            (json.loads(r["body"])["event"], r["headers"]["X-Mizan-Delivery"])
            for r in self.at(path)
        ]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def held_two_hours_ago(base: str, engine, receiver: Receiver) -> str:
    """Post a comment on the premoderated post, wait until it is held, age it two hours."""
    status, _h, body = request(
        "POST",
        base + "/api/v1/comments",
        {
            "post_id": "hooks-backlog",
            "author_name": "سالم",
            "author_email": f"backlog.{secrets.token_hex(4)}@example.ly",
            "body": "هل من موعد لعودة الكهرباء إلى الأحياء الجنوبية؟ ننتظر منذ أسبوع.",
        },
        headers={"Origin": ORIGIN},
    )
    assert status == 202, body
    cid = body["id"]

    def held() -> bool:
        with engine.connect() as conn:
            return (
                conn.execute(
                    sa.text("SELECT status FROM comments WHERE id = :id"), {"id": cid}
                ).scalar()
                == "held"
            )

    wait_for(held, 30, "a held comment")
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE comments SET created_at = :at WHERE id = :id"),
            {"at": datetime.now(UTC) - timedelta(hours=2), "id": cid},
        )
    return cid


def backlog_alert_on(engine) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.execute(
                sa.text("SELECT active FROM webhook_alerts WHERE name = 'queue.backlog'")
            ).scalar()
        )


def cli(env: dict, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "mizan.service.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def test_deliveries_are_signed_retried_private_and_a_failing_endpoint_is_disabled(
    tmp_path, pg_database, redis_client, receiver
):
    # The session's database: no comment of an earlier test (pending ones would be decided by
    # this worker, old held ones would be a backlog already).
    engine = sa.create_engine(pg_database)
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE comments CASCADE"))
    engine.dispose()
    reset_integrations(pg_database)
    env = mizan_env(
        pg_database,
        REDIS_URL,
        tmp_path,
        MIZAN_WEBHOOK_RETRY_BASE="0.2",
        MIZAN_WEBHOOK_MAX_ATTEMPTS="10",
        MIZAN_WEBHOOK_DISABLE_AFTER="3",
        MIZAN_WEBHOOK_DISPATCH_SECONDS="1",
        MIZAN_WEBHOOK_ALLOW_PRIVATE="true",  # the receiver listens on this machine
        MIZAN_REPORT_THRESHOLD="1",
        # About the plumbing: ordinary comments pass whatever the model's calibration.
        MIZAN_THRESHOLD_APPROVE_ABUSE="0.8",
        MIZAN_THRESHOLD_APPROVE_SPAM="0.8",
        MIZAN_USER_PASSWORD=PASSWORD,
    )
    cli(env, "users", "add", "admin@newsroom.example", "--role", "admin")
    token = cli(env, "tokens", "create", "admin@newsroom.example")
    auth = {"Authorization": f"Bearer {token}"}
    secret = cli(env, "webhooks", "add", receiver.url + "/hook")
    broken_secret = cli(
        env, "webhooks", "add", receiver.url + "/broken", "--events", "comment.published"
    )
    backlog_secret = cli(
        env, "webhooks", "add", receiver.url + "/backlog", "--events", "queue.backlog"
    )
    assert secret.startswith("whsec_") and broken_secret != secret

    procs: list[Proc] = []
    try:
        procs.append(start_worker(env, tmp_path / "worker.log", beat=True))
        api, base = start_api(env, tmp_path / "api.log")
        procs.append(api)
        status, _h, hooks = request("GET", base + "/api/v1/moderation/webhooks", headers=auth)
        assert status == 200, hooks
        hook_id, broken_id, _backlog_id = (h["id"] for h in sorted(hooks, key=lambda h: h["id"]))
        assert all("secret" not in h for h in hooks)

        # Post only once a worker is consuming (readiness says so): a comment that arrives
        # while the worker still loads its model may be held first, a second event.
        wait_for(lambda: request("GET", base + "/readyz")[0] == 200, 120, "a ready worker")

        # A comment is published: its event reaches /hook after one 500 and a retry.
        text = "شكرا على هذا التقرير المفيد عن أزمة الكهرباء في طرابلس، نتمنى أن تتحسن الخدمة."
        status, _h, body = request(
            "POST",
            base + "/api/v1/comments",
            {"post_id": "hooks-1", "author_name": "سالم", "author_email": EMAIL, "body": text},
            headers={"Origin": ORIGIN},
        )
        assert status == 202, body
        cid = body["id"]
        wait_for(lambda: len(receiver.at("/hook")) >= 2, 30, "a retried delivery")
        first, second = receiver.at("/hook")[:2]
        assert first["headers"]["X-Mizan-Delivery"] == second["headers"]["X-Mizan-Delivery"], [
            (r["headers"].get("X-Mizan-Event"), r["body"][:300]) for r in receiver.at("/hook")
        ]
        assert first["headers"]["X-Mizan-Event"] == "comment.published"
        payload = json.loads(second["body"])
        assert payload["event"] == "comment.published"
        assert payload["comment"]["id"] == cid
        assert payload["comment"]["post_id"] == "hooks-1"
        assert payload["comment"]["body"] == text
        assert verify(secret, second["headers"][SIGNATURE_HEADER], second["body"])
        assert not verify(broken_secret, second["headers"][SIGNATURE_HEADER], second["body"])
        assert not verify(secret, second["headers"][SIGNATURE_HEADER], second["body"] + b" ")

        # Readers report it, then a moderator removes it: two more events, in order.
        status, _h, _b = request(
            "POST",
            f"{base}/api/v1/comments/{cid}/reports",
            {"reason": "abusive"},
            headers={"Origin": ORIGIN},
        )
        assert status == 202
        wait_for(
            lambda: "comment.reported" in {e for e, _d in receiver.events("/hook")},
            30,
            "comment.reported",
        )
        status, _h, body = request(
            "POST",
            f"{base}/api/v1/moderation/comments/{cid}/actions",
            {"action": "reject", "reason": "abusive"},
            headers=auth,
        )
        assert status == 200, body
        wait_for(
            lambda: "comment.removed" in {e for e, _d in receiver.events("/hook")},
            30,
            "comment.removed",
        )
        assert [e for e, _d in dict.fromkeys(receiver.events("/hook"))] == [
            "comment.published",
            "comment.reported",
            "comment.removed",
        ]

        # No private data in any request: not the email, not the IP, not a score.
        for r in receiver.requests:
            raw = r["body"].decode()
            assert EMAIL not in raw and "127.0.0.1" not in raw and "score" not in raw, raw
            assert not {"author_email", "ip", "user_agent", "scores"} & set(
                json.loads(raw).get("comment", {})
            )

        # /broken answered 500 three times in a row: disabled, and the desk's API says why.
        def disabled() -> bool:
            _s, _h, e = request(
                "GET", f"{base}/api/v1/moderation/webhooks/{broken_id}", headers=auth
            )
            return e["enabled"] is False

        wait_for(disabled, 30, "the failing endpoint to be disabled")
        _s, _h, e = request("GET", f"{base}/api/v1/moderation/webhooks/{broken_id}", headers=auth)
        assert e["consecutive_failures"] == 3
        assert "3 consecutive" in e["disabled_reason"]
        assert e["last_error"] == "HTTP 500"
        assert e["deliveries"][0]["attempts"] == 3
        assert e["deliveries"][0]["status"] == "pending"
        assert len(receiver.at("/broken")) == 3
        _s, _h, ok = request("GET", f"{base}/api/v1/moderation/webhooks/{hook_id}", headers=auth)
        assert ok["enabled"] is True and ok["consecutive_failures"] == 0
        published = [d for d in ok["deliveries"] if d["event"] == "comment.published"][0]
        assert (published["status"], published["attempts"]) == ("delivered", 2)
        assert published["last_status_code"] == 204

        # Re-enabled, it is tried again at once (and fails again here).
        status, _h, e = request(
            "POST", f"{base}/api/v1/moderation/webhooks/{broken_id}/enable", headers=auth
        )
        assert status == 200, e
        assert e["enabled"] is True and e["consecutive_failures"] == 0
        wait_for(lambda: len(receiver.at("/broken")) >= 4, 30, "a delivery after re-enabling")

        # The backlog alert: a comment held on a premoderated post, posted (as its age says)
        # two hours ago. /backlog gets queue.backlog once, signed; again only after recovery.
        assert receiver.at("/backlog") == []
        status, _h, body = request(
            "PUT",
            f"{base}/api/v1/moderation/posts/hooks-backlog",
            {"premoderation": True},
            headers=auth,
        )
        assert status == 200, body
        engine = sa.create_engine(pg_database)
        try:
            old = held_two_hours_ago(base, engine, receiver)
            wait_for(lambda: receiver.at("/backlog"), 30, "queue.backlog")
            time.sleep(3)  # three more dispatches: nothing new
            assert len({r["headers"]["X-Mizan-Delivery"] for r in receiver.at("/backlog")}) == 1
            alert = receiver.at("/backlog")[0]
            assert alert["headers"]["X-Mizan-Event"] == "queue.backlog"
            assert verify(backlog_secret, alert["headers"][SIGNATURE_HEADER], alert["body"])
            assert not verify(secret, alert["headers"][SIGNATURE_HEADER], alert["body"])
            sent = json.loads(alert["body"])
            assert set(sent) == {"id", "event", "occurred_at", "queue"}
            assert sent["queue"]["held"] == 1 and sent["queue"]["oldest_age_seconds"] >= 7200
            assert old not in alert["body"].decode() and EMAIL not in alert["body"].decode()

            status, _h, body = request(
                "POST",
                f"{base}/api/v1/moderation/comments/{old}/actions",
                {"action": "approve"},
                headers=auth,
            )
            assert status == 200, body
            wait_for(lambda: not backlog_alert_on(engine), 30, "the queue to recover")
            held_two_hours_ago(base, engine, receiver)
            wait_for(
                lambda: (
                    len({r["headers"]["X-Mizan-Delivery"] for r in receiver.at("/backlog")}) == 2
                ),
                30,
                "queue.backlog after recovery",
            )
        finally:
            engine.dispose()
    finally:
        for p in procs:
            p.stop()
