"""Celery tasks, thin: each re-reads what it needs and hands the work to the policy.

Task names are stable (the intake sender builds protocol-2 messages by name). Per-process
state (the service, the classifier, the rule engine's caches) lives in worker/runtime.py.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

import redis.exceptions
from celery import shared_task
from sqlalchemy.exc import InterfaceError, OperationalError

import mizan.models.classifier  # noqa: F401 - import scikit-learn once, before the worker pool forks
from mizan.service.integrations import DELIVER_TASK, DISPATCH_TASK, WEBHOOK_QUEUE
from mizan.worker import runtime

log = logging.getLogger("mizan.tasks")

TRANSIENT = (
    OperationalError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def decide_pending(comment_ids: Sequence[str]) -> list[str]:
    """Decide these comments (and other pending ones, up to the batch size); returns ids decided."""
    ids = [cid for cid in comment_ids[:500] if isinstance(cid, str) and cid not in runtime.recent]
    if not ids:
        return []
    ctx = runtime.context()
    done = ctx.repo.decide_batch(ids, ctx.settings.score_batch, ctx.decide)
    runtime.recent.add(done)
    if done and runtime.webhooks_wanted():
        _nudge_webhooks()
    return done


def _nudge_webhooks() -> None:
    try:
        webhooks_dispatch.apply_async(queue=WEBHOOK_QUEUE)
    except Exception as exc:  # noqa: BLE001 - the periodic dispatch sends them a little later
        log.warning("could not queue webhook dispatch: %s", type(exc).__name__)


@shared_task(
    name="mizan.score_comment",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=TRANSIENT,
    retry_backoff=1,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=None,
)
def score_comment(self, comment_ids: list[str] | str) -> None:
    """Decide the given comments; a comment already decided is skipped (idempotent)."""
    if isinstance(comment_ids, str):
        comment_ids = [comment_ids]
    decide_pending(comment_ids)


@shared_task(name="mizan.sweep", ignore_result=True, acks_late=False)
def sweep() -> None:
    """Re-queue comments left pending too long and erase expired private metadata.

    A Redis lock keeps two sweeps from overlapping when beat fires while one still runs.
    """
    svc = runtime.service()
    lock = _sweep_lock(svc)
    if lock is not None and not lock.acquire(blocking=False):
        return
    try:
        requeued = svc.requeue_stale()
        erased = svc.erase_expired_metadata()
        if requeued or erased:
            log.info("sweep requeued %d, erased metadata of %d", requeued, erased)
    finally:
        if lock is not None:
            with contextlib.suppress(Exception):  # an expired lock needs no release
                lock.release()


def _sweep_lock(svc):
    client = getattr(svc.sender, "_client", None)
    if client is None:
        return None
    return client.lock("mizan:lock:sweep", timeout=300)


@shared_task(
    name=DISPATCH_TASK,
    acks_late=True,
    ignore_result=True,
    autoretry_for=TRANSIENT,
    retry_backoff=1,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=5,
)
def webhooks_dispatch() -> None:
    """Turn committed decisions (and a held queue that has just crossed the alert age) into
    webhook deliveries, and send the deliveries now due.

    Run after decisions (nudged) and by beat every MIZAN_WEBHOOK_DISPATCH_SECONDS; retries are
    due times in the database, never delayed messages a worker would hold unacknowledged.
    """
    hooks = runtime.webhooks()
    hooks.dispatch()
    hooks.check_backlog()
    for delivery_id in hooks.due():
        webhooks_deliver.apply_async([delivery_id], queue=WEBHOOK_QUEUE)


@shared_task(
    name=DELIVER_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=TRANSIENT,
    retry_backoff=1,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=5,
)
def webhooks_deliver(delivery_id: int) -> None:
    """One attempt at one delivery; a failure is due again after its back-off (with jitter)."""
    runtime.webhooks().deliver(int(delivery_id))
