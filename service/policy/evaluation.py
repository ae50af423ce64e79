"""Route labelled text through the policy on model scores alone: the figures a model is judged by.

Used by `mizan evaluate`, bench/probe.py and the tests of the shipped model, so that every
reported routing share is what the worker itself would decide (no author, flood or duplicate
rules: those need a live site).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from mizan.service.policy.verdict import decide

OUTCOMES = ("approved", "held", "spam", "rejected")
_WORD = re.compile(r"[^\W\d_]{2,}")


def outcome(scores: Any, thresholds: dict[str, float]) -> str:
    """The outcome the worker's policy gives these model scores, with no rule findings."""
    return decide(scores, thresholds).outcome


def route_texts(model: Any, texts: Sequence[str]) -> list[str]:
    """Score ``texts`` with ``model`` and route each at the model's own thresholds."""
    return [outcome(s, model.thresholds) for s in model.score(list(texts))]


def confusion(expected: Sequence[str], outcomes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per expected class: its count and the share of each outcome."""
    table: dict[str, dict[str, Any]] = {}
    for cls in dict.fromkeys(expected):
        got = [o for e, o in zip(expected, outcomes, strict=True) if e == cls]
        row: dict[str, Any] = {"n": len(got)}
        row.update({o: round(got.count(o) / len(got), 4) for o in OUTCOMES})
        table[cls] = row
    return table


def frequent_words(texts: Iterable[str], k: int) -> list[str]:
    """The ``k`` most frequent words (letters only, two or more) of ``texts``."""
    counts: Counter[str] = Counter()
    for t in texts:
        counts.update(_WORD.findall(t.lower()))
    return [w for w, _ in counts.most_common(k)]
