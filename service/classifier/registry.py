"""Classifier versions: found on disk, listed and activated in the database, picked up by workers.

Artifacts live in ``<data dir>/models/<VERSION>/`` (either the artifact itself or the
``mizan-classifier/`` directory that ``mizan train --out <data dir>/models/<VERSION>`` writes),
plus the shipped default in ``models/artifacts/``. Activation is a row in ``model_versions``;
each worker re-reads it every few seconds (``worker/scoring.py``) and loads the new version.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sqlalchemy import Engine

from mizan.service.classifier import repository
from mizan.service.config import Settings
from mizan.service.db import aware
from mizan.service.errors import Conflict, NotFound

log = logging.getLogger("mizan.models")

SIDECAR = "model.json"
MODEL_FILE = "model.skops"
SHIPPED = "mizan-classifier"


def models_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "models"


def _artifact_in(directory: Path) -> Path | None:
    for candidate in (directory, directory / SHIPPED):
        if (candidate / SIDECAR).is_file() and (candidate / MODEL_FILE).is_file():
            return candidate
    return None


def _sidecar(path: Path) -> dict:
    try:
        return json.loads((path / SIDECAR).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def shipped_path() -> Path:
    """The artifact shipped in the package (models/artifacts/mizan-classifier/)."""
    from mizan import (
        models,  # the package only: importing the classifier would load numpy and skops
    )

    return Path(models.__file__).resolve().parent / "artifacts" / SHIPPED


def _shipped() -> Path | None:
    path = shipped_path()
    return path if _artifact_in(path) else None


def discover(settings: Settings) -> dict[str, tuple[Path, str, dict]]:
    """Every artifact on disk: version -> (directory, source, sidecar)."""
    found: dict[str, tuple[Path, str, dict]] = {}
    shipped = _shipped()
    if shipped is not None:
        side = _sidecar(shipped)
        found[str(side.get("version", "shipped"))] = (shipped, "shipped", side)
    root = models_dir(settings)
    if root.is_dir():
        for child in sorted(root.iterdir()):
            path = _artifact_in(child) if child.is_dir() else None
            if path is None:
                continue
            side = _sidecar(path)
            version = str(side.get("version") or child.name)
            found[version] = (path, "data_dir", side)
    return found


def resolve(settings: Settings, version: str) -> Path | None:
    """The artifact directory of a version, or None when it is not on this machine."""
    hit = discover(settings).get(version)
    return hit[0] if hit else None


def sync(desk) -> dict[str, tuple[Path, str, dict]]:
    """Register every artifact found on disk in the database (idempotent)."""
    found = discover(desk.settings)
    for version, (_path, source, side) in found.items():
        desk.repo.upsert_model_version(version[:64], source, dict(side.get("thresholds") or {}))
    return found


def list_versions(desk) -> list[dict]:
    found = sync(desk)
    out = []
    for row in desk.repo.model_versions():
        activated = aware(row.activated_at)
        out.append(
            {
                "version": row.version,
                "source": row.source,
                "active": bool(row.active),
                "available": row.version in found,
                "thresholds": row.thresholds or {},
                "activated_at": activated.isoformat() if activated else None,
                "activated_by": row.activated_by,
            }
        )
    return out


def activate(desk, version: str, actor, request_id: str | None = None) -> None:
    """Check that the version loads, then make it the active one (audited)."""
    found = sync(desk)
    if version not in found:
        raise NotFound("Not found.")
    from mizan.models.classifier import ModelUnavailable, load

    try:
        clf = load(found[version][0])
    except ModelUnavailable as exc:
        raise Conflict(f"Model {version} cannot be loaded: {exc}") from None
    if clf.version != version:
        raise Conflict(f"The artifact says it is version {clf.version}, not {version}.")
    desk.repo.activate_model(
        version,
        actor.email,
        {
            "actor_id": actor.id,
            "actor": actor.email,
            "action": "model_activate",
            "comment_id": None,
            "from_status": None,
            "to_status": None,
            "reason": None,
            "request_id": request_id,
        },
    )
    log.info("model %s activated", version)


def active_version(engine: Engine) -> str | None:
    """The activated version (one indexed read), or None when none was ever activated."""
    return repository.active_version(engine)


def artifact_path(settings: Settings, active: str | None) -> Path | None:
    """The artifact a worker loads: the activated version when it is on this machine, else
    MIZAN_MODEL_PATH, else None (the shipped model). Readiness and the workers both ask here."""
    if active:
        found = resolve(settings, active)
        if found is not None:
            return found
        log.warning("activated model %s is not on this machine; using the default", active)
    return Path(settings.model_path) if settings.model_path else None


def artifact_files(path: Path) -> tuple[Path, Path]:
    """(model file, sidecar) of an artifact directory or a .skops file."""
    if path.is_dir():
        return path / MODEL_FILE, path / SIDECAR
    return path, path.with_suffix(".json")


def stamp(path: str | Path | None) -> tuple[tuple[int, int] | None, ...]:
    """(mtime, size) of the artifact's files: a changed stamp means a new artifact to load."""
    try:
        files = artifact_files(Path(path) if path else shipped_path())
        return tuple(
            (f.stat().st_mtime_ns, f.stat().st_size) if f.exists() else None for f in files
        )
    except Exception:  # noqa: BLE001 - no model path is a state, not an error
        return ()
