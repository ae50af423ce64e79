"""Liveness (GET /healthz) and readiness (GET /readyz: database, broker, model, worker; latencies).

/healthz answers as long as the process serves requests: use it to restart a hung container.
/readyz answers 503 (with Retry-After) when the database, the broker or the model artifact is not
usable, or no worker consumes the queue (its heartbeat, see http/heartbeat.py), so a load balancer
stops sending traffic to this replica until they are back. Each check
has its own deadline (`CHECK_TIMEOUT`), so a hung dependency turns the answer to 503 in about a
second instead of holding the probe.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from importlib import metadata
from pathlib import Path

from flask import Blueprint, current_app, jsonify

from mizan.service.config import Settings
from mizan.service.http import heartbeat

bp = Blueprint("health", __name__)

CHECK_TIMEOUT = 0.8
RETRY_AFTER = 5

# Probes are frequent: a small fixed pool, so a hung dependency cannot pile up threads.
_pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="mizan-ready")


@bp.get("/healthz")
def healthz():
    resp = jsonify({"status": "ok"})
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/readyz")
def readyz():
    svc = current_app.extensions["mizan"]
    checks = run_checks(
        {
            "database": lambda: check_database(svc.repo.engine),
            "broker": svc.sender.ping,
            "model": lambda: _model_or_raise(svc.settings, svc.repo.engine),
            "worker": lambda: heartbeat.workers_check(svc.settings.broker_url),
        }
    )
    ready = all(c["ok"] for c in checks.values())
    body: dict = {"status": "ok" if ready else "unavailable", "checks": checks}
    if not ready:
        failed = ", ".join(name for name, c in checks.items() if not c["ok"])
        body["error"] = {"code": "unavailable", "message": f"Not ready: {failed}."}
    resp = jsonify(body)
    resp.status_code = 200 if ready else 503
    resp.headers["Cache-Control"] = "no-store"
    if not ready:
        resp.headers["Retry-After"] = str(RETRY_AFTER)
    return resp


def run_checks(checks: dict, timeout: float = CHECK_TIMEOUT) -> dict[str, dict]:
    """Run the checks in parallel; each reports ok, latency_ms and, on failure, the error type."""
    started = time.perf_counter()
    futures = {name: _pool.submit(_timed, fn) for name, fn in checks.items()}
    results: dict[str, dict] = {}
    for name, fut in futures.items():
        remaining = max(0.0, timeout - (time.perf_counter() - started))
        try:
            results[name] = fut.result(timeout=remaining)
        except FutureTimeout:
            results[name] = {
                "ok": False,
                "latency_ms": round(timeout * 1000, 1),
                "error": "Timeout",
            }
    return results


def _timed(fn) -> dict:
    t0 = time.perf_counter()
    try:
        extra = fn() or {}
        out = {"ok": True}
    except Exception as exc:  # noqa: BLE001 - any failure makes the check fail
        # The type only: messages can carry host names, URLs or credentials.
        extra, out = {}, {"ok": False, "error": type(exc).__name__}  # type: ignore[dict-item]
    out["latency_ms"] = round((time.perf_counter() - t0) * 1000, 1)  # type: ignore[assignment]
    if isinstance(extra, dict):
        out.update(extra)
    return out


def check_database(engine) -> None:
    """One round trip to the database."""
    from mizan.service.http import repository

    repository.ping(engine)


class ModelNotUsable(Exception):  # noqa: N818 - reported by name in /readyz
    """The model artifact that the workers would load is missing or unusable."""


def model_path(settings: Settings, engine=None) -> Path:
    """The artifact the workers load (the classifier registry decides, for both)."""
    from mizan.service import classifier

    active = None
    if engine is not None:
        try:
            active = classifier.active_version(engine)
        except Exception:  # noqa: BLE001 - no table or no database: the configured artifact
            active = None
    return classifier.artifact_path(settings, active) or classifier.shipped_path()


_verified: dict[tuple, dict] = {}
_verified_lock = threading.Lock()


def model_status(settings: Settings, engine=None) -> dict:
    """Check the artifact without loading it: present, matching its sidecar, same scikit-learn.

    The SHA-256 is computed once per (path, size, mtime), so frequent probes stay cheap. The
    workers do the full load (see worker/runtime.py); the API only needs to know it will work.
    """
    try:
        return {"ok": True, **_model_or_raise(settings, engine)}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": type(exc).__name__}


def _model_or_raise(settings: Settings, engine=None) -> dict:
    from mizan.service import classifier

    model_file, sidecar = classifier.artifact_files(model_path(settings, engine))
    try:
        st = model_file.stat()
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ModelNotUsable("no readable model artifact") from None
    key = (str(model_file), st.st_size, st.st_mtime_ns, meta.get("model_sha256"))
    with _verified_lock:
        known = _verified.get(key)
    if known is None:
        trained = str(meta.get("libraries", {}).get("scikit-learn", ""))
        installed = metadata.version("scikit-learn")
        if trained.split(".")[:2] != installed.split(".")[:2]:
            raise ModelNotUsable("model trained with another scikit-learn")
        expected = meta.get("model_sha256")
        if expected:
            digest = hashlib.sha256()
            with model_file.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
            if digest.hexdigest() != expected:
                raise ModelNotUsable("model file does not match its sidecar")
        known = {"version": str(meta.get("version", "unknown"))}
        with _verified_lock:
            _verified[key] = known
    return dict(known)
