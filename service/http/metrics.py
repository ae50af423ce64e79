"""Prometheus metrics at GET /metrics: the API's own counters plus figures read at scrape time.

Two kinds of metrics live here, and they are safe under gunicorn's several worker processes for
different reasons:

* Request counters and latencies, and accepted comments, are counted in whichever process served
  the request. Under gunicorn, `mizan api` points ``PROMETHEUS_MULTIPROC_DIR`` at an emptied
  directory under the data directory (see `prepare_multiprocess_dir`), prometheus-client writes
  each process's values to files there, and a scrape sums them.
* Everything the workers do (decisions by outcome and by who decided, time from intake to
  decision), the queue depth, the oldest pending comment and the active model version are read
  at scrape time from the database, the broker and the model artifact: they are the same whichever
  process or replica is scraped, and need no metrics endpoint on the workers.

prometheus_client is imported lazily: its value class is chosen when it is first imported, which
must happen after ``PROMETHEUS_MULTIPROC_DIR`` is set.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from flask import Blueprint, Flask, Response, current_app, g, request


class Service(Protocol):
    """What the collector reads of the intake service (http/ imports no feature)."""

    repo: Any
    sender: Any
    settings: Any


log = logging.getLogger("mizan.metrics")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Decisions younger than this are left for the next scrape, so a transaction that took an id
# but has not committed yet is not skipped over (ids are handed out before commit).
COMMIT_LAG = timedelta(seconds=2)
# Scrape-time reads are cached this long per process, so a scrape storm costs a few queries.
CACHE_SECONDS = 2.0
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, float("inf"))
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
# Intake endpoints whose success means one comment was accepted, by channel.
ACCEPTING_ENDPOINTS = {
    "comments.create_comment_json": "json",
    "comments.create_comment_form": "form",
}

bp = Blueprint("metrics", __name__)


def prepare_multiprocess_dir(data_dir: str | os.PathLike) -> Path:
    """Empty ``<data_dir>/metrics`` and point prometheus-client's multiprocess mode at it.

    Call before any process imports prometheus_client (gunicorn forks its workers after this).
    """
    path = Path(data_dir) / "metrics"
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, mode=0o700)
    os.environ[MULTIPROC_ENV] = str(path)
    return path


def multiprocess_dir() -> Path | None:
    raw = os.environ.get(MULTIPROC_ENV)
    return Path(raw) if raw else None


class _Instruments:
    """The process-local instruments (created once per process, on first use)."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Histogram

        self.requests = Counter(
            "mizan_http_requests",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
        )
        self.latency = Histogram(
            "mizan_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["route", "method"],
            buckets=HTTP_BUCKETS,
        )
        self.accepted = Counter(
            "mizan_comments_accepted",
            "Comments accepted at intake (202 or 303), by channel.",
            ["channel"],
        )


_instruments: _Instruments | None = None
_instruments_lock = threading.Lock()


def instruments() -> _Instruments:
    global _instruments
    with _instruments_lock:
        if _instruments is None:
            _instruments = _Instruments()
        return _instruments


def init_app(app: Flask) -> None:
    """Count every request and serve /metrics."""
    instruments()
    app.register_blueprint(bp)
    app.extensions["mizan.metrics"] = ScrapeCollector(app.extensions["mizan"], multiprocess_dir())

    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(resp: Response) -> Response:
        started = g.pop("metrics_started", None)
        rule = request.url_rule
        route = rule.rule if rule is not None else "unmatched"
        method = request.method if request.method in _METHODS else "OTHER"
        inst = instruments()
        inst.requests.labels(route, method, str(resp.status_code)).inc()
        if started is not None:
            inst.latency.labels(route, method).observe(time.perf_counter() - started)
        channel = ACCEPTING_ENDPOINTS.get(request.endpoint or "")
        if channel and resp.status_code in (202, 303):
            inst.accepted.labels(channel).inc()
        return resp


def _refusal(settings: Any) -> Response | None:
    """401/403 unless this scrape may read the metrics (MIZAN_METRICS_TOKEN, mode)."""
    from mizan.service.http.errors import error_response

    token = settings.metrics_token
    if not token:
        if settings.embedded:
            return None  # one machine, listening on localhost by default
        return error_response(403, "forbidden", "Metrics are off until MIZAN_METRICS_TOKEN is set.")
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode()):
        return None
    resp = error_response(401, "unauthorized", "Metrics need the bearer token.")
    resp.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return resp


@bp.get("/metrics")
def metrics_endpoint():
    refused = _refusal(current_app.extensions["mizan"].settings)
    if refused is not None:
        return refused
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

    collector: ScrapeCollector = current_app.extensions["mizan.metrics"]
    mp_dir = multiprocess_dir()
    if mp_dir is not None:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(mp_dir))
        payload = generate_latest(registry)
    else:
        payload = generate_latest(REGISTRY)
    payload += generate_latest(_OneShot(collector))
    resp = Response(payload, mimetype=CONTENT_TYPE_LATEST.split(";")[0])
    resp.headers["Content-Type"] = CONTENT_TYPE_LATEST
    resp.headers["Cache-Control"] = "no-store"
    return resp


class _OneShot:
    """A registry-like wrapper so generate_latest can render one collector."""

    def __init__(self, collector: ScrapeCollector) -> None:
        self._collector = collector

    def collect(self):
        return self._collector.collect()


# --- figures read at scrape time ---------------------------------------------------------------


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class _Tally:
    """Decisions counted incrementally above a watermark id, shared by a host's API processes.

    The first scrape counts the whole table once (grouped); later scrapes read only decisions
    with a larger id, so a scrape costs O(new decisions). With a multiprocess directory the
    state is a JSON file under an exclusive lock, so every gunicorn process reports the same,
    monotonic numbers; without one it lives in memory.
    """

    def __init__(self, directory: Path | None) -> None:
        self.path = directory / "decision-tally.json" if directory else None
        self._memory: dict | None = None
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict]:
        with self._lock:
            if self.path is None:
                state = self._memory or _empty_state()
                yield state
                self._memory = state
                return
            import fcntl

            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            with os.fdopen(fd, "r+") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                raw = fh.read()
                state = json.loads(raw) if raw else _empty_state()
                yield state
                fh.seek(0)
                fh.truncate()
                fh.write(json.dumps(state))

    def refresh(self, engine) -> dict:
        from mizan.service.http import repository

        cut = datetime.now(UTC) - COMMIT_LAG
        with self._locked() as state, engine.connect() as conn:
            mark = state["watermark"]
            if mark is None:
                rows = repository.decision_totals(conn, cut)
                state["watermark"] = max((r[3] for r in rows), default=0)
                for outcome, by, n, _ in rows:
                    key = f"{outcome}|{by}"
                    state["counts"][key] = state["counts"].get(key, 0) + n
                return state
            while True:
                rows = repository.decisions_after(conn, state["watermark"], cut, 5000)
                for did, outcome, by, kind, decided, created in rows:
                    key = f"{outcome}|{by}"
                    state["counts"][key] = state["counts"].get(key, 0) + 1
                    if kind == "automatic" and by != "intake":
                        seconds = max(0.0, (_aware(decided) - _aware(created)).total_seconds())
                        _observe(state["latency"], seconds)
                    state["watermark"] = did
                if len(rows) < 5000:
                    return state


def _empty_state() -> dict:
    return {
        "watermark": None,
        "counts": {},
        "latency": {"buckets": [0] * len(LATENCY_BUCKETS), "sum": 0.0, "count": 0},
    }


def _observe(hist: dict, seconds: float) -> None:
    for i, bound in enumerate(LATENCY_BUCKETS):
        if seconds <= bound:
            hist["buckets"][i] += 1
    hist["sum"] += seconds
    hist["count"] += 1


class ScrapeCollector:
    """Reads the database, broker and model artifact when /metrics is scraped."""

    def __init__(self, service: Service, directory: Path | None) -> None:
        self.service = service
        self.tally = _Tally(directory)
        self._cache: tuple[float, list] | None = None
        self._lock = threading.Lock()

    def collect(self):
        with self._lock:
            now = time.monotonic()
            if self._cache is None or now - self._cache[0] > CACHE_SECONDS:
                self._cache = (now, self._read())
            return list(self._cache[1])

    def _read(self) -> list:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        from mizan.service.queue import DEFAULT_QUEUE

        out: list = []
        up = GaugeMetricFamily(
            "mizan_metrics_source_up",
            "1 when this scrape could read the source, 0 when it failed.",
            labels=["source"],
        )
        # Database: pending backlog, decisions, intake-to-decision latency.
        try:
            pending, oldest, last_version = self._pending()
            state = self.tally.refresh(self.service.repo.engine)
            up.add_metric(["database"], 1)
            g = GaugeMetricFamily("mizan_pending_comments", "Comments waiting for a decision.")
            g.add_metric([], pending)
            out.append(g)
            g = GaugeMetricFamily(
                "mizan_oldest_pending_comment_age_seconds",
                "Age of the oldest comment still waiting for a decision (0 when none waits).",
            )
            g.add_metric([], oldest)
            out.append(g)
            held, held_age = self._held()
            g = GaugeMetricFamily("mizan_held_comments", "Comments held for a moderator.")
            g.add_metric([], held)
            out.append(g)
            g = GaugeMetricFamily(
                "mizan_oldest_held_comment_age_seconds",
                "Age of the oldest comment held for a moderator (0 when the queue is empty).",
            )
            g.add_metric([], held_age)
            out.append(g)
            alert = self.service.settings.desk.queue_alert_minutes
            g = GaugeMetricFamily(
                "mizan_held_queue_alert",
                "1 when the oldest held comment is older than MIZAN_QUEUE_ALERT_MINUTES "
                "(the desk shows a banner), else 0.",
            )
            g.add_metric([], 1 if alert and held_age > alert * 60 else 0)
            out.append(g)
            c = CounterMetricFamily(
                "mizan_decisions",
                "Decisions recorded, by outcome and by "
                "who decided (model, rule, moderator, intake, failure).",
                labels=["outcome", "decided_by"],
            )
            for key, n in sorted(state["counts"].items()):
                outcome, by = key.split("|", 1)
                c.add_metric([outcome, by], n)
            out.append(c)
            lat = state["latency"]
            cumulative = [(_le(b), n) for b, n in zip(LATENCY_BUCKETS, lat["buckets"], strict=True)]
            h = HistogramMetricFamily(
                "mizan_decision_latency_seconds",
                "Seconds from intake to the automatic decision (queue wait plus scoring), "
                "observed since the API started.",
                buckets=cumulative,
                sum_value=lat["sum"],
            )
            out.append(h)
            if last_version is not None:
                g = GaugeMetricFamily(
                    "mizan_model_info",
                    "Model versions: the artifact the "
                    "workers load, and the one on the latest model decision.",
                    labels=["version", "source"],
                )
                g.add_metric([last_version, "decisions"], 1)
                out.append(g)
        except Exception as exc:  # noqa: BLE001 - a scrape must still answer when the DB is down
            log.warning("metrics: database read failed: %s", type(exc).__name__)
            up.add_metric(["database"], 0)
        # Broker: depth of the scoring queue (Redis brokers only).
        client = _redis_client(self.service.sender)
        if client is not None:
            try:
                depth = client.llen(DEFAULT_QUEUE)
                up.add_metric(["broker"], 1)
                g = GaugeMetricFamily(
                    "mizan_queue_depth", "Messages waiting in a Celery queue.", labels=["queue"]
                )
                g.add_metric([DEFAULT_QUEUE], depth)
                out.append(g)
            except Exception as exc:  # noqa: BLE001
                log.warning("metrics: broker read failed: %s", type(exc).__name__)
                up.add_metric(["broker"], 0)
        # Model: the artifact the workers load.
        from mizan.service.http.health import model_status

        status = model_status(self.service.settings, self.service.repo.engine)
        g = GaugeMetricFamily(
            "mizan_active_model_info",
            "The model artifact the workers load (version label; 'none' when "
            "no usable artifact exists, and comments are then held).",
            labels=["version"],
        )
        g.add_metric([status.get("version") or "none"], 1 if status["ok"] else 0)
        out.append(g)
        out.append(up)
        return out

    def _held(self) -> tuple[int, float]:
        from mizan.service.http import repository

        n, oldest = repository.held_backlog(self.service.repo.engine)
        age = max(0.0, (datetime.now(UTC) - _aware(oldest)).total_seconds()) if oldest else 0.0
        return n, age

    def _pending(self) -> tuple[int, float, str | None]:
        from mizan.service.http import repository

        n, oldest, version = repository.pending_and_model(self.service.repo.engine)
        age = 0.0
        if oldest is not None:
            age = max(0.0, (datetime.now(UTC) - _aware(oldest)).total_seconds())
        return int(n), age, version


def _redis_client(sender):
    """The Redis client under a (possibly wrapping, e.g. batching) sender; None for others."""
    for _ in range(5):
        client = getattr(sender, "_client", None)
        if client is not None or not hasattr(sender, "inner"):
            return client
        sender = sender.inner
    return None


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)
