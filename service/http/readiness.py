"""Worker readiness: a file the worker writes when it is ready, and `mizan worker-ready`.

(/readyz asks for a consuming worker through the heartbeats of http/heartbeat.py.)

`mizan worker-ready` (the worker container's health check) answers 0 only when
* this host's worker answers a Celery ping through the broker (so its consumer loop runs and the
  broker is reachable),
* the database answers, and
* the worker reported a loaded model when it became ready (without one it holds every comment).
It prints one JSON object with each check and its latency, the same shape as the API's /readyz.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from pathlib import Path

from mizan.service.config import Settings, load_settings


def default_node() -> str:
    """Celery's default node name for a worker on this host."""
    return f"celery@{socket.gethostname()}"


def ready_file(settings: Settings, node: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in node)
    return settings.data_dir / f"worker-ready-{safe}.json"


def write_ready(settings: Settings, node: str, model: dict) -> None:
    """Record that a worker is ready and which model it loaded (called on worker_ready)."""
    state = {"node": node, "pid": os.getpid(), "ready_at": time.time(), "model": model}
    path = ready_file(settings, node)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state))
    tmp.replace(path)


def clear_ready(settings: Settings, node: str) -> None:
    """Forget the readiness record (called on worker_shutdown)."""
    with contextlib.suppress(OSError):
        ready_file(settings, node).unlink()


def check(node: str | None = None, timeout: float = 2.0) -> dict:
    """Ping the worker, check the database and the model it loaded; return the checks."""
    from mizan.service.http.health import check_database, run_checks

    node = node or default_node()
    settings = load_settings()

    def ping() -> dict:
        from celery import Celery

        # A bare client on the same broker: pinging needs no task module of the worker.
        app = Celery("mizan", broker=settings.broker_url, set_as_current=False)
        try:
            replies = app.control.ping(destination=[node], timeout=timeout)
        finally:
            app.close()
        if not any(node in reply for reply in replies):
            raise TimeoutError("no answer")
        return {}

    def database() -> None:
        from mizan.service.db import make_engine

        engine = make_engine(settings.database_url, 0)
        try:
            check_database(engine)
        finally:
            engine.dispose()

    def model() -> dict:
        try:
            state = json.loads(ready_file(settings, node).read_text())
        except (OSError, ValueError):
            raise FileNotFoundError("worker has not reported ready") from None
        if not state["model"]["ok"]:
            raise RuntimeError(state["model"].get("error", "ModelUnavailable"))
        return {"version": state["model"]["version"]}

    checks = run_checks({"ping": ping, "database": database, "model": model}, timeout=timeout + 1.0)
    return {"node": node, "ready": all(c["ok"] for c in checks.values()), "checks": checks}
