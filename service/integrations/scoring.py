"""Deciding a comment inside the API process, for the Akismet-compatible comment-check.

Each API process loads the active classifier once (in a background thread as soon as the process
serves its first request, so no client waits for scikit-learn to import), and decides with the
same policy as the workers (`mizan.service.policy.Decider`: model, rules, thresholds), recording
the decision exactly once through the policy's repository. A decision that is not ready within
the deadline is left to the workers: the comment stays pending and is queued, the client holds it.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine

from mizan.service import classifier as models_registry
from mizan.service.config import Settings
from mizan.service.crypto import Keys
from mizan.service.policy import (
    Decider,
    Outcome,
    PendingComment,
    PolicyConfig,
    PolicyRepository,
    RuleEngine,
)
from mizan.service.queue import redis_url_for_client

log = logging.getLogger("mizan.akismet")

_UNKNOWN = object()


class _NotYetStored(PolicyRepository):
    """The policy's reads, counting the comments being decided as if they were stored.

    A worker decides comments after intake stored them, so the flood rule's counts include
    them; the API decides before it stores the comment (then writes comment and decision in one
    transaction), so the same counts need the comment added.
    """

    def recent_counts(self, column: str, hashes, since):
        mine = [h for h in hashes if h]
        counts = super().recent_counts(column, mine, since)
        for h in mine:
            counts[h] = counts.get(h, 0) + 1
        return counts


class InProcessDecider:
    """The classifier and the rules of one API process, with a deadline per decision."""

    def __init__(self, settings: Settings, keys: Keys, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.repo = _NotYetStored(engine)
        client = None
        if settings.broker_url.startswith(("redis://", "rediss://", "redis+socket://")):
            import redis

            client = redis.Redis.from_url(
                redis_url_for_client(settings.broker_url),
                socket_connect_timeout=1,
                socket_timeout=1,
            )
        config = PolicyConfig.from_settings(settings)
        rules = RuleEngine(
            self.repo,
            keys,
            config,
            redis_client=client,
            duplicate_window=settings.duplicate_window,
            cache_seconds=settings.policy_cache_seconds,
        )
        # No word spans here: explaining costs ten times the scoring, inside a client's timeout.
        # The desk shows these decisions' reasons and scores without highlighted words.
        self._decider = Decider(config, rules, self.model, explain=False)
        self._pool = ThreadPoolExecutor(
            max_workers=max(2, settings.api_threads), thread_name_prefix="mizan-akismet"
        )
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._warming = False
        self._model: Any = None
        self._active_seen: object = _UNKNOWN
        self._checked_at = 0.0

    # --- the classifier -----------------------------------------------------------------------
    def warm(self) -> None:
        """Start loading the classifier in the background (once per process)."""
        with self._lock:
            if self._warming:
                return
            self._warming = True
        threading.Thread(target=self._load, name="mizan-model-load", daemon=True).start()

    def _active(self) -> object:
        try:
            return models_registry.active_version(self.engine)
        except Exception:  # noqa: BLE001 - no database (or no table yet) keeps the current model
            return _UNKNOWN

    def _load(self) -> None:
        from mizan.models.classifier import ModelUnavailable, load, load_default

        active = self._active()
        path = models_registry.artifact_path(
            self.settings, active if isinstance(active, str) else None
        )
        try:
            model = load(str(path)) if path else load_default()
            model.score(["warm up"])  # the first call builds caches: not a client's cost
        except (ModelUnavailable, Exception) as exc:  # noqa: BLE001 - decided as "no model"
            log.warning("no classifier for the Akismet API: %s", type(exc).__name__)
            model = None
        with self._lock:
            self._model, self._active_seen = model, active
            self._checked_at = time.monotonic()
        self._ready.set()

    def model(self) -> Any:
        """The loaded classifier (None without one); a newly activated version is loaded."""
        now = time.monotonic()
        if now - self._checked_at >= self.settings.model_check_seconds:
            self._checked_at = now
            current = self._active()
            if current is not _UNKNOWN and current != self._active_seen:
                self._load()
        return self._model

    def ready(self) -> bool:
        return self._ready.is_set()

    # --- deciding -----------------------------------------------------------------------------
    def decide(self, comment: PendingComment, deadline: float) -> Outcome | None:
        """Decide a comment not stored yet before `deadline` (time.monotonic()).

        None when the model is not loaded yet or the decision is not ready in time.
        """
        self.warm()
        if not self._ready.wait(max(0.0, deadline - time.monotonic())):
            return None
        future = self._pool.submit(self._decider.decide, [comment])
        try:
            return future.result(timeout=max(0.0, deadline - time.monotonic()))[0]
        except TimeoutError:
            return None
