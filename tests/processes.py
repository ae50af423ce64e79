"""Real processes for end-to-end and fault tests: the API under gunicorn and Celery workers."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def mizan_env(database_url: str, broker_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIZAN_")}
    env.update(
        MIZAN_DATABASE_URL=database_url,
        MIZAN_BROKER_URL=broker_url,
        MIZAN_DATA_DIR=str(data_dir),
        MIZAN_SECRET_KEY="e2e-secret-" + "y" * 40,
        MIZAN_ALLOWED_ORIGINS="https://news.example",
        MIZAN_SWEEP_INTERVAL_SECONDS="2",
        MIZAN_PENDING_REQUEUE_SECONDS="3",
        PYTHONUNBUFFERED="1",
        # Every test posts from 127.0.0.1; the flood rules have their own tests.
        MIZAN_FLOOD_IP_LIMIT="0",
        MIZAN_FLOOD_HOLD_IP_LIMIT="0",
    )
    env.update(extra)
    return env


class Proc:
    """A child process whose output goes to a log file; stopped for sure at teardown."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log_path = log
        self._log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            args, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill9(self) -> None:
        """Kill the whole process group at once, as a crash would."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 10) -> None:
        if self.alive():
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                self.kill9()
        else:
            # children of a dead leader (pool processes) must not linger
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self._log.close()

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")


def start_worker(env: dict[str, str], log: Path, concurrency: int = 1, beat: bool = False) -> Proc:
    args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "mizan.worker.celery_app",
        "worker",
        f"--concurrency={concurrency}",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-Q",
        "mizan.score,mizan.webhooks",
        "-n",
        f"w{time.monotonic_ns()}@%h",
    ]
    if beat:
        args += ["--beat", "--schedule", str(Path(env["MIZAN_DATA_DIR"]) / "beat-schedule")]
    worker = Proc(args, env, log)
    wait_for(lambda: "ready." in worker.output() or not worker.alive(), 60, "the Celery worker")
    assert worker.alive(), worker.output()[-3000:]
    return worker


def start_api(env: dict[str, str], log: Path, port: int | None = None) -> tuple[Proc, str]:
    port = port or free_port()
    api = Proc(
        [
            sys.executable,
            "-m",
            "mizan.service.cli",
            "api",
            "--port",
            str(port),
            "--workers",
            "2",
            "--threads",
            "4",
        ],
        env,
        log,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return request("GET", base + "/healthz")[0] == 200
        except OSError:
            return False

    wait_for(lambda: up() or not api.alive(), 30, "the API server")
    assert api.alive(), api.output()[-3000:]
    return api, base


def request(
    method: str,
    url: str,
    body: bytes | dict | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
):
    """Plain HTTP without redirects: (status, headers, parsed JSON or text)."""
    headers = dict(headers or {})
    if isinstance(body, dict):
        body = json.dumps(body, ensure_ascii=False).encode()
        headers.setdefault("Content-Type", "application/json")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
    try:
        resp = opener.open(req, timeout=timeout)  # noqa: S310 - tests talk to loopback only
        status, hdrs, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        status, hdrs, raw = exc.code, exc.headers, exc.read()
    text = raw.decode("utf-8", errors="replace")
    if hdrs.get_content_type() == "application/json" and text:
        return status, hdrs, json.loads(text)
    return status, hdrs, text
