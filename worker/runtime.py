"""Per-process state of a worker: the service, the classifier, the policy context.

Everything here is built on first use after fork and forgotten by one `reset()` (connected to
Celery's worker_process_init in signals.py), so no connection is shared across fork.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence

from mizan.service import classifier as models_registry
from mizan.service.config import load_settings
from mizan.service.intake import Service
from mizan.service.integrations import IntegrationRepository, Webhooks
from mizan.service.policy import (
    Decider,
    Outcome,
    PendingComment,
    PolicyConfig,
    PolicyRepository,
    RuleEngine,
)
from mizan.service.queue import redis_url_for_client

log = logging.getLogger("mizan.worker")
tlog = logging.getLogger("mizan.tasks")

# --- the service (database, keys, task sender) -----------------------------------------------

_service_lock = threading.Lock()
_service: Service | None = None


def service() -> Service:
    """This process's Service (created on first use, after fork)."""
    global _service
    with _service_lock:
        if _service is None:
            settings = load_settings()
            _service = Service.from_settings(settings, pool_size=2)
        return _service


# --- the classifier ----------------------------------------------------------------------------

slog = logging.getLogger("mizan.scoring")

_lock = threading.Lock()
_loaded = False
_scorer = None
_error: str | None = None
# The version activated in the database (`mizan models activate`) when the model was loaded,
# re-read at most every MIZAN_MODEL_CHECK_SECONDS so a new activation needs no restart.
_UNKNOWN = object()
_active_seen: object = _UNKNOWN
_checked_at = 0.0


def _db_active():
    """The activated version in the database (None: none), or _UNKNOWN when it cannot be read."""
    try:
        return models_registry.active_version(service().repo.engine)
    except Exception:  # noqa: BLE001 - no database (or no table yet) keeps the current model
        return _UNKNOWN


def _load():
    global _active_seen
    from mizan.models.classifier import ModelUnavailable, load, load_default

    settings = load_settings()
    _active_seen = active = _db_active()
    path = models_registry.artifact_path(settings, active if isinstance(active, str) else None)
    try:
        return (load(str(path)) if path else load_default()), None
    except ModelUnavailable as exc:
        return None, str(exc)


def scorer():
    """The loaded Classifier, or None when no usable artifact exists (see `load_error`)."""
    global _loaded, _scorer, _error, _checked_at
    with _lock:
        now = time.monotonic()
        if _loaded and now - _checked_at >= service().settings.model_check_seconds:
            _checked_at = now
            current = _db_active()
            if current is not _UNKNOWN and current != _active_seen:
                _loaded = False  # another version was activated: load it now
        if not _loaded:
            _checked_at = now
            try:
                _scorer, _error = _load()
            except Exception as exc:  # noqa: BLE001 - a broken artifact must not kill the worker
                _scorer, _error = None, f"{type(exc).__name__}"
            _loaded = True
            if _scorer is None:
                slog.warning("no classifier loaded; comments will be held (%s)", _error)
            else:
                slog.info("classifier %s loaded", _scorer.version)
        return _scorer


def load_error() -> str | None:
    return _error


def reset_scorer() -> None:
    """Forget the loaded model (when another version is activated or the file changed)."""
    global _loaded, _scorer, _error, _active_seen
    with _lock:
        _loaded, _scorer, _error, _active_seen = False, None, None, _UNKNOWN


# --- the policy context (rule engine, caches) -------------------------------------------------

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
        svc = service()
        self.settings = svc.settings
        self.config = PolicyConfig.from_settings(svc.settings)
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
        self._model_stamp = models_registry.stamp(svc.settings.model_path)
        self._model_checked = time.monotonic()
        self._decider = Decider(self.config, self.engine, self.model)

    def model(self):
        """The classifier; a newly written artifact at the model path is picked up in seconds."""
        now = time.monotonic()
        if now - self._model_checked >= MODEL_CHECK_SECONDS:
            self._model_checked = now
            stamp = models_registry.stamp(self.settings.model_path)
            if stamp != self._model_stamp:
                self._model_stamp = stamp
                tlog.info("model artifact changed; reloading")
                reset_scorer()
        return scorer()

    def decide(self, batch: list[PendingComment]) -> list[Outcome]:
        """One scoring call and one pass of the rules for the whole batch."""
        return self._decider.decide(batch)


_ctx: _Context | None = None
_ctx_lock = threading.Lock()


def context() -> _Context:
    global _ctx
    with _ctx_lock:
        if _ctx is None or _ctx.settings is not service().settings:
            _ctx = _Context()
        return _ctx


# --- webhooks ----------------------------------------------------------------------------------

_webhooks: Webhooks | None = None
_hooks_seen = (0.0, False)


def webhooks() -> Webhooks:
    """This process's webhook dispatch and delivery (created on first use, after fork)."""
    global _webhooks
    with _service_lock:
        svc = _service
    svc = svc or service()
    if _webhooks is None or _webhooks.settings is not svc.settings:
        _webhooks = Webhooks(svc.settings, IntegrationRepository(svc.repo.engine), svc.keys)
    return _webhooks


def webhooks_wanted() -> bool:
    """Whether an endpoint is enabled (re-read at most every few seconds)."""
    global _hooks_seen
    at, wanted = _hooks_seen
    now = time.monotonic()
    if now - at >= MODEL_CHECK_SECONDS:
        try:
            wanted = webhooks().repo.any_enabled_endpoint()
        except Exception:  # noqa: BLE001 - the periodic dispatch still runs
            wanted = False
        _hooks_seen = (now, wanted)
    return wanted


def reset() -> None:
    """Forget all per-process state (after fork): it is rebuilt on first use."""
    global _service, _ctx, recent, _webhooks, _hooks_seen
    _webhooks, _hooks_seen = None, (0.0, False)
    with _service_lock:
        _service = None
    with _ctx_lock:
        _ctx = None
    recent = _Recent()
    reset_scorer()
