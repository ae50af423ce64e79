"""Per-process state: settings, database, and the classifier loaded once per worker process."""

from __future__ import annotations

import logging
import time

from celery.signals import (
    setup_logging,
    task_postrun,
    task_prerun,
    worker_process_init,
    worker_ready,
    worker_shutdown,
)

from mizan.service.config import load_settings
from mizan.service.http import readiness
from mizan.worker import runtime

log = logging.getLogger("mizan.worker")


@setup_logging.connect
def _json_logs(**_kwargs) -> None:
    # Connecting here stops Celery from installing its own (plain-text) handlers.
    from mizan.service.logs import configure_logging

    configure_logging(load_settings().log_level)


@worker_process_init.connect
def _reset_after_fork(**_kwargs) -> None:
    # Connections must not be shared across fork: build fresh ones in the child.
    runtime.reset()


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


@worker_shutdown.connect
def _not_ready(sender=None, **_kwargs) -> None:
    readiness.clear_ready(
        load_settings(), getattr(sender, "hostname", None) or readiness.default_node()
    )


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
