"""Celery tasks: thin wrappers that claim pending comments, call the policy and record decisions.

Batching: the intake sends one task per comment, but a task decides up to MIZAN_SCORE_BATCH
pending comments at once (its own first, then the oldest others) with one claim query, one
scoring call, a few history queries and one transaction. The tasks of comments decided that way
then return at once from an in-process memory of recently decided ids, without touching the
database. Exactly-once holds because recording is conditional on the comment still being pending
(and a unique index allows one automatic decision per comment).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence

import redis.exceptions
from celery import shared_task
from sqlalchemy.exc import InterfaceError, OperationalError

import mizan.models.classifier  # noqa: F401 - import scikit-learn once, before the worker pool forks
from mizan.service import policy
from mizan.service.db import DecisionRecord
from mizan.service.policy import Outcome, PendingComment, PolicyRepository
from mizan.service.queue import redis_url_for_client
from mizan.worker import scoring
from mizan.worker.signals import service

log = logging.getLogger("mizan.tasks")

TRANSIENT = (
    OperationalError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
MODEL_CHECK_SECONDS = 5.0


class _Recent:
    """Ids this process has decided (and committed) lately: their tasks need no query."""

    def __init__(self, size: int = 50_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def __contains__(self, cid: str) -> bool:
        with self._lock:
            return cid in self._ids

    def add(self, ids: Sequence[str]) -> None:
        with self._lock:
            for cid in ids:
                self._ids[cid] = None
            while len(self._ids) > self._size:
                self._ids.popitem(last=False)


recent = _Recent()


class _Context:
    """Per-process policy state, built on first use after fork."""

    def __init__(self) -> None:
        from mizan.service.policy import RuleEngine

        svc = service()
        self.settings = svc.settings
        self.config = policy.PolicyConfig.from_settings(svc.settings)
        self.repo = PolicyRepository(svc.repo.engine)
        client = None
        if svc.settings.broker_url.startswith(("redis://", "rediss://", "redis+socket://")):
            import redis

            client = redis.Redis.from_url(
                redis_url_for_client(svc.settings.broker_url),
                socket_connect_timeout=1,
                socket_timeout=2,
            )
        self.engine = RuleEngine(
            self.repo,
            svc.keys,
            self.config,
            redis_client=client,
            duplicate_window=svc.settings.duplicate_window,
            cache_seconds=svc.settings.policy_cache_seconds,
        )
        self._model_stamp = _model_stamp(svc.settings.model_path)
        self._model_checked = time.monotonic()

    def model(self):
        """The classifier; a newly written artifact at the model path is picked up in seconds."""
        now = time.monotonic()
        if now - self._model_checked >= MODEL_CHECK_SECONDS:
            self._model_checked = now
            stamp = _model_stamp(self.settings.model_path)
            if stamp != self._model_stamp:
                self._model_stamp = stamp
                log.info("model artifact changed; reloading")
                scoring.reset()
        return scoring.scorer()

    def decide(self, batch: list[PendingComment]) -> list[Outcome]:
        """One scoring call and one pass of the rules for the whole batch."""
        model = self.model()
        version = getattr(model, "version", None)
        scores: list = [None] * len(batch)
        failure = {"code": "no_model"}
        if model is not None:
            try:
                scores = list(model.score([c.body for c in batch]))
            except Exception as exc:  # noqa: BLE001 - hold, never approve blindly, never drop
                log.error("scoring failed: %s", type(exc).__name__)
                failure = {"code": "scoring_failed", "error": type(exc).__name__}
                scores = [None] * len(batch)
        facts = self.engine.facts(batch)
        pversion = self.config.version
        out = []
        for c, s, f in zip(batch, scores, facts, strict=True):
            t = self.config.thresholds(getattr(model, "thresholds", None), c.section)
            v = policy.decide(s, t, f, self.config, failure=failure)
            rec = DecisionRecord(
                comment_id=c.id,
                outcome=v.outcome,
                decided_by=v.decided_by,
                scores=v.scores,
                reasons=v.reasons,
                model_version=version if s is not None else None,
                policy_version=pversion,
                applied=v.applied,
            )
            out.append(Outcome(rec, v.status))
        return out


def _model_stamp(path: str) -> tuple:
    try:
        from mizan.models.artifact import resolve
        from mizan.models.classifier import default_artifact_path

        files = resolve(path or default_artifact_path())
        return tuple(
            (os.stat(f).st_mtime_ns, os.stat(f).st_size) if os.path.exists(f) else None
            for f in files
        )
    except Exception:  # noqa: BLE001 - no model path is a state, not an error
        return ()


_ctx: _Context | None = None
_ctx_lock = threading.Lock()


def context() -> _Context:
    global _ctx
    with _ctx_lock:
        if _ctx is None or _ctx.settings is not service().settings:
            _ctx = _Context()
        return _ctx


def decide_pending(comment_ids: Sequence[str]) -> list[str]:
    """Decide these comments (and other pending ones, up to the batch size); returns ids decided."""
    ids = [cid for cid in comment_ids[:500] if isinstance(cid, str) and cid not in recent]
    if not ids:
        return []
    ctx = context()
    done = ctx.repo.decide_batch(ids, ctx.settings.score_batch, ctx.decide)
    recent.add(done)
    return done


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
    svc = service()
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
