"""The deterministic row-sampling rule shared by every Mizan benchmark.

Pure stdlib + numpy so that it can be imported from any environment:

    from bench.peers.sample import sample_rows, read_csv_rows

Rule: read the CSV with the ``csv`` module (all rows, in file order), then
``idx = numpy.random.default_rng(0).permutation(n)[:min(3000, n)]`` and keep the
rows in that (permuted) order.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

T = TypeVar("T")

SAMPLE_SEED = 0
SAMPLE_LIMIT = 3000
SAMPLE_RULE = (
    "rows = list(csv.DictReader(open(path, newline='', encoding='utf-8'))) (all rows, file order); "
    "idx = numpy.random.default_rng(0).permutation(n)[:min(3000, n)]; "
    "sample = [rows[i] for i in idx] (permuted order kept)"
)


def sample_rows(rows: Sequence[T], limit: int = SAMPLE_LIMIT, seed: int = SAMPLE_SEED) -> list[T]:
    """Return the deterministic benchmark sample of ``rows`` (all rows of one file, file order)."""
    n = len(rows)
    idx = np.random.default_rng(seed).permutation(n)[: min(limit, n)]
    return [rows[int(i)] for i in idx]


def read_csv_rows(path: str | Path) -> list[dict[str, str]]:
    """Read every row of a dataset CSV with the csv module, in file order."""
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
