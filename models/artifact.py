"""Persist the fitted pipeline with skops (explicit trusted types) plus a JSON sidecar."""

from __future__ import annotations

import json
import os
import platform
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy
import sklearn
import skops
import skops.io as sio

from .data import sha256

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

MODEL_FILE = "model.skops"
SIDECAR_FILE = "model.json"

# The only types the artifact may contain besides what skops trusts by default (numpy
# arrays, sklearn's Pipeline, builtins).  Anything else makes save() and load() refuse.
# Named from this package's own import path, so the list holds under any namespace.
TRUSTED_TYPES = [
    f"{__package__}.features.HashedTextFeatures",
    f"{__package__}.pipeline.CalibratedLinearHeads",
    "scipy.sparse._csc.csc_matrix",
]


class ArtifactError(Exception):
    """The artifact is missing, tampered with, or built for other library versions."""


def library_versions() -> dict[str, str]:
    """Return the versions that must match between training and serving."""
    return {
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "skops": skops.__version__,
        "python": platform.python_version(),
    }


def _major_minor(v: str) -> tuple[str, ...]:
    return tuple(v.split(".")[:2])


def resolve(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Return (model file, sidecar file) for an artifact directory or a .skops file."""
    p = Path(path)
    if p.is_dir():
        return p / MODEL_FILE, p / SIDECAR_FILE
    return p, p.with_suffix(".json")


def save(pipeline: Pipeline, target: str | os.PathLike[str], sidecar: dict[str, Any]) -> Path:
    """Write the model and its JSON sidecar; return ``target``.

    ``target`` is either a ``.skops`` file (sidecar: same name, ``.json``) or a directory
    (``model.skops`` + ``model.json`` inside).
    """
    d = Path(target)
    if d.suffix == ".skops":
        d.parent.mkdir(parents=True, exist_ok=True)
        model_path, side_path = d, d.with_suffix(".json")
    else:
        d.mkdir(parents=True, exist_ok=True)
        model_path, side_path = resolve(d)
    tmp = model_path.with_suffix(".tmp")
    sio.dump(pipeline, tmp, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    untrusted = set(sio.get_untrusted_types(file=tmp)) - set(TRUSTED_TYPES)
    if untrusted:
        tmp.unlink()
        raise ArtifactError(f"artifact would need untrusted types {sorted(untrusted)}")
    tmp.replace(model_path)
    meta = dict(sidecar)
    meta["libraries"] = library_versions()
    meta["model_file"] = model_path.name
    meta["model_sha256"] = sha256(model_path)
    meta["model_bytes"] = model_path.stat().st_size
    side_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return d


def read_sidecar(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the sidecar of an artifact."""
    _, side_path = resolve(path)
    if not side_path.is_file():
        raise ArtifactError(f"no sidecar {side_path.name} next to the model")
    sidecar: dict[str, Any] = json.loads(side_path.read_text(encoding="utf-8"))
    return sidecar


def load(path: str | os.PathLike[str]) -> tuple[Pipeline, dict[str, Any]]:
    """Check the sidecar and load the pipeline; raise ArtifactError on any mismatch."""
    model_path, _ = resolve(path)
    if not model_path.is_file():
        raise ArtifactError(f"no model file at {model_path}")
    meta = read_sidecar(path)
    trained = meta.get("libraries", {}).get("scikit-learn", "")
    if _major_minor(trained) != _major_minor(sklearn.__version__):
        raise ArtifactError(
            f"model was trained with scikit-learn {trained or '?'} but {sklearn.__version__} is "
            f"installed; retrain it (mizan train) or install scikit-learn "
            f"{'.'.join(_major_minor(trained))}.*"
        )
    if meta.get("model_sha256") and meta["model_sha256"] != sha256(model_path):
        raise ArtifactError("model file does not match the SHA-256 recorded in its sidecar")
    untrusted = set(sio.get_untrusted_types(file=model_path)) - set(TRUSTED_TYPES)
    if untrusted:
        raise ArtifactError(f"model file holds untrusted types {sorted(untrusted)}")
    return sio.load(model_path, trusted=TRUSTED_TYPES), meta
