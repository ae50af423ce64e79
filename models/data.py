"""Load labelled CSVs (text,label,task,lang,source,split,fine_label[,weight]) into arrays."""

from __future__ import annotations

import csv
import hashlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]

# Deterministic evaluation sample shared with the peer bench: at most 3000 rows per file.
SAMPLE_LIMIT = 3000
SAMPLE_SEED = 0


def default_data_dir() -> Path:
    """Return $MIZAN_DATASETS, else ../shared/datasets relative to the repository root."""
    env = os.environ.get("MIZAN_DATASETS")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "datasets"


@dataclass(slots=True)
class Rows:
    """Columns of a labelled text set, one entry per row."""

    text: list[str] = field(default_factory=list)
    label: list[int] = field(default_factory=list)
    task: list[str] = field(default_factory=list)
    lang: list[str] = field(default_factory=list)
    file: list[str] = field(default_factory=list)
    fine_label: list[str] = field(default_factory=list)
    weight: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.text)

    def extend(self, other: Rows) -> None:
        """Append the rows of ``other``."""
        for name in self.__slots__:
            getattr(self, name).extend(getattr(other, name))

    def take(self, idx) -> Rows:
        """Return the rows at positions ``idx``, in that order."""
        out = Rows()
        for name in self.__slots__:
            col = getattr(self, name)
            getattr(out, name).extend(col[int(i)] for i in idx)
        return out


def _to_label(value: str) -> int:
    v = value.strip().lower()
    if v in {"1", "1.0", "true", "yes", "spam", "abuse", "offensive", "toxic"}:
        return 1
    if v in {"0", "0.0", "false", "no", "ham", "clean", "not", "ok"}:
        return 0
    raise ValueError(f"unrecognised label {value!r}")


def read_csv(path: str | os.PathLike, task: str | None = None) -> Rows:
    """Read one CSV; needs ``text`` and ``label`` columns, the rest is optional."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    path = Path(path)
    rows = Rows()
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"text", "label"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path.name}: missing column(s) {sorted(missing)}")
        for r in reader:
            if task and r.get("task") and r["task"] != task:
                continue
            rows.text.append(r["text"] or "")
            rows.label.append(_to_label(r["label"]))
            rows.task.append(r.get("task") or task or "")
            rows.lang.append(r.get("lang") or "")
            rows.file.append(path.stem)
            rows.fine_label.append(r.get("fine_label") or "")
            w = (r.get("weight") or "").strip()
            rows.weight.append(float(w) if w else 1.0)
    return rows


def dataset_files(data_dir: str | os.PathLike) -> list[Path]:
    """Return the dataset CSVs of a directory, sorted by name."""
    return sorted(Path(data_dir).glob("*.csv"))


def file_task(path: Path) -> str:
    """Return the task of a dataset file (read from its first row)."""
    with open(path, newline="", encoding="utf-8") as fh:
        first = next(csv.DictReader(fh), None)
    return (first or {}).get("task", "")


def sha256(path: str | os.PathLike) -> str:
    """Return the hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sample_index(n: int, limit: int = SAMPLE_LIMIT, seed: int = SAMPLE_SEED) -> np.ndarray:
    """Return the shared evaluation sample: default_rng(seed).permutation(n)[:min(limit, n)]."""
    return np.random.default_rng(seed).permutation(n)[: min(limit, n)]


LEXICON_FILES = ("ldnoobw_ar.txt", "ldnoobw_en.txt", "lexicon_combined.csv")
LEXICON_SOURCES = {"LDNOOBW_ar", "LDNOOBW_en", "Attia_2025"}  # AraHate PMI terms are too noisy


def read_lexicon(data_dir: str | os.PathLike) -> tuple[tuple[str, ...], list[Path]]:
    """Return the offensive terms of ``data_dir/lexicons`` and the files they came from."""
    d = Path(data_dir) / "lexicons"
    terms: set[str] = set()
    used = []
    for name in LEXICON_FILES:
        p = d / name
        if not p.is_file():
            continue
        used.append(p)
        if p.suffix == ".txt":
            terms.update(ln.strip() for ln in p.read_text(encoding="utf-8").splitlines())
        else:
            with open(p, newline="", encoding="utf-8") as fh:
                terms.update(
                    r["term"] for r in csv.DictReader(fh) if r["source"] in LEXICON_SOURCES
                )
    return tuple(sorted(t for t in terms if t)), used


# Arabizi (Latin-script Arabic) insults: the lexicons are Arabic-script only, and Arabizi is
# common in comments.  Used as lexicon features only, never as labels.
ARABIZI_TERMS = (
    "kalb",
    "kelb",
    "klab",
    "7mar",
    "hmar",
    "7mara",
    "hmara",
    "7ayawan",
    "hayawan",
    "khanzir",
    "5anzir",
    "5anzeer",
    "khanzeer",
    "sharmouta",
    "sharmoota",
    "sharmota",
    "charmouta",
    "3ars",
    "3arss",
    "a7a",
    "kos",
    "koss",
    "kuss",
    "kosomak",
    "kosomk",
    "kosom",
    "zeb",
    "zebi",
    "zobi",
    "3rs",
    "manyak",
    "mnayek",
    "metnak",
    "metnaka",
    "neek",
    "nik",
    "nayek",
    "teez",
    "tiz",
    "7aqir",
    "haqir",
    "7a2ir",
    "wese5",
    "wis5",
    "wsekh",
    "ghabi",
    "8abi",
    "habal",
    "7abal",
    "zamel",
    "zamil",
    "qa7ba",
    "9a7ba",
    "ga7ba",
    "kahba",
    "qahba",
    "9ahba",
    "khra",
    "5ara",
    "khara",
    "wald el kalb",
    "ibn el kalb",
    "ibn kalb",
    "weld l9a7ba",
    "ya 7mar",
    "tafeh",
    "zbala",
    "zbele",
    "wa9i7",
    "waqe7",
    "ya kalb",
)
