"""The classifier, loaded once per worker process; a missing model is a state, not a crash."""

from __future__ import annotations

import logging
import os
import threading
import time

log = logging.getLogger("mizan.scoring")

_lock = threading.Lock()
_loaded = False
_scorer = None
_error: str | None = None
# The version activated in the database (`mizan models activate`) when the model was loaded,
# re-read at most every MIZAN_MODEL_CHECK_SECONDS so a new activation needs no restart.
_CHECK_SECONDS = float(os.environ.get("MIZAN_MODEL_CHECK_SECONDS") or 5)
_UNKNOWN = object()
_active_seen: object = _UNKNOWN
_checked_at = 0.0


def _db_active():
    """The activated version in the database (None: none), or _UNKNOWN when it cannot be read."""
    try:
        from mizan.service import classifier as models_registry
        from mizan.worker.signals import service

        return models_registry.active_version(service().repo.engine)
    except Exception:  # noqa: BLE001 - no database (or no table yet) keeps the current model
        return _UNKNOWN


def _load():
    global _active_seen
    from mizan.models.classifier import ModelUnavailable, load, load_default
    from mizan.service.config import load_settings

    settings = load_settings()
    path = settings.model_path
    _active_seen = active = _db_active()
    if isinstance(active, str):
        from mizan.service import classifier as models_registry

        found = models_registry.resolve(settings, active)
        if found is not None:
            path = str(found)
        else:
            log.warning("activated model %s is not on this machine; using the default", active)
    try:
        return (load(path) if path else load_default()), None
    except ModelUnavailable as exc:
        return None, str(exc)


def scorer():
    """The loaded Classifier, or None when no usable artifact exists (see `load_error`)."""
    global _loaded, _scorer, _error, _checked_at
    with _lock:
        now = time.monotonic()
        if _loaded and now - _checked_at >= _CHECK_SECONDS:
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
                log.warning("no classifier loaded; comments will be held (%s)", _error)
            else:
                log.info("classifier %s loaded", _scorer.version)
        return _scorer


def load_error() -> str | None:
    return _error


def reset() -> None:
    """Forget the loaded model (after fork, or when another version is activated)."""
    global _loaded, _scorer, _error, _active_seen
    with _lock:
        _loaded, _scorer, _error, _active_seen = False, None, None, _UNKNOWN
