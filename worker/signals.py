"""Per-process state: settings, database, and the classifier loaded once per worker process."""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from celery.signals import (
    setup_logging,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_init,
    worker_ready,
    worker_shutdown,
)

from mizan.service.config import load_settings
from mizan.service.http import heartbeat, readiness
from mizan.worker import runtime

log = logging.getLogger("mizan.worker")


@setup_logging.connect
def _json_logs(**_kwargs) -> None:
    # Connecting here stops Celery from installing its own (plain-text) handlers.
    from mizan.service.logs import configure_logging

    configure_logging(load_settings().log_level)


@worker_init.connect
def _import_before_fork(**_kwargs) -> None:
    # Imports are shared across fork (connections are not): pool processes start with the
    # classifier's libraries loaded, so warming them up below takes a fraction of a second.
    import mizan.models.classifier  # noqa: F401


@worker_process_init.connect
def _reset_after_fork(**_kwargs) -> None:
    # Connections must not be shared across fork: build fresh ones in the child.
    runtime.reset()
    # Load the model before this process reports up: the heartbeat waits for that, so the
    # first comment after "ready" does not wait for a model load.
    runtime.scorer()


@worker_ready.connect
def _warm(sender=None, **_kwargs) -> None:
    model = runtime.scorer()
    # Readiness for `mizan worker-ready`: which model this worker could load.
    node = getattr(sender, "hostname", None) or readiness.default_node()
    readiness.write_ready(
        load_settings(),
        node,
        {"ok": True, "version": str(model.version)}
        if model is not None
        else {"ok": False, "error": "ModelUnavailable"},
    )

    _heartbeat.start(sender, node, {"model": getattr(model, "version", None)})


@worker_shutdown.connect
def _not_ready(sender=None, **_kwargs) -> None:
    node = getattr(sender, "hostname", None) or readiness.default_node()
    _heartbeat.stop(node)
    readiness.clear_ready(load_settings(), node)


class _Heartbeat:
    """Beats (see service/http/heartbeat.py) while the consumer runs and the pool is up."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._beats: heartbeat.Heartbeats | None = None

    def start(self, consumer, node: str, state: dict) -> None:
        self._beats = heartbeat.Heartbeats.for_broker(load_settings().broker_url)
        if self._beats is None:
            return  # another broker: /readyz pings the workers instead
        self._stop.clear()
        self._beat(consumer, node, state)
        threading.Thread(
            target=self._run, args=(consumer, node, state), name="mizan-heartbeat", daemon=True
        ).start()

    def _run(self, consumer, node: str, state: dict) -> None:
        while not self._stop.wait(heartbeat.HEARTBEAT_SECONDS):
            self._beat(consumer, node, state)

    def _beat(self, consumer, node: str, state: dict) -> None:
        if not _consuming(consumer) or self._beats is None:
            return
        try:
            self._beats.beat(node, state)
        except Exception as exc:  # noqa: BLE001 - the broker is away: no beat, not ready
            log.warning("heartbeat not written (%s)", type(exc).__name__)

    def stop(self, node: str) -> None:
        self._stop.set()
        if self._beats is not None:
            with contextlib.suppress(Exception):  # it expires by itself
                self._beats.clear(node)


def _consuming(consumer) -> bool:
    """The consumer loop runs and no pool process is still starting (loading its model)."""
    from celery import bootsteps

    if consumer is None or getattr(consumer.blueprint, "state", None) != bootsteps.RUN:
        return False
    # The prefork pool keeps the processes that have not reported up yet (private, hence
    # getattr: other pools have none and are up once the consumer runs).
    asyn = getattr(getattr(consumer, "pool", None), "_pool", None)
    return not getattr(asyn, "_waiting_to_start", None)


_heartbeat = _Heartbeat()


_task_started: dict[str, tuple[float, object]] = {}


@task_prerun.connect
def _bind_request_id(task_id=None, task=None, **_kwargs) -> None:
    # The API puts its request id in the message header "mizan_request_id": log lines of this
    # task carry it, so one request can be followed from intake to decision.
    from mizan.service.logs import request_id_var

    rid = task.request.get("mizan_request_id") if task is not None else None
    token = request_id_var.set(rid if isinstance(rid, str) and len(rid) <= 64 else None)
    _task_started[task_id] = (time.perf_counter(), token)


@task_postrun.connect
def _unbind_request_id(task_id=None, task=None, state=None, **_kwargs) -> None:
    from mizan.service.logs import request_id_var

    started, token = _task_started.pop(task_id, (None, None))
    if started is not None:
        log.info(
            "task %s %s in %.3f s",
            getattr(task, "name", "?"),
            (state or "done").lower(),
            time.perf_counter() - started,
        )
    if token is not None:
        request_id_var.reset(token)  # type: ignore[arg-type]
