"""The classifier registry: the one place that finds, loads and activates model artifacts.

Readiness (/readyz), the workers' reload and the `mizan models` commands all go through it.
"""

from __future__ import annotations

from mizan.service.classifier.registry import (
    activate,
    active_version,
    artifact_files,
    artifact_path,
    discover,
    list_versions,
    models_dir,
    resolve,
    shipped_path,
    stamp,
    sync,
)

__all__ = [
    "activate",
    "active_version",
    "artifact_files",
    "artifact_path",
    "discover",
    "list_versions",
    "models_dir",
    "resolve",
    "shipped_path",
    "stamp",
    "sync",
]
