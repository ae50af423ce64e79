"""Metrics of a classifier on labelled rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import average_precision_score, precision_recall_fscore_support, roc_auc_score

KEYS = ("n", "roc_auc", "pr_auc", "precision", "recall", "f1")


def metrics(y: npt.ArrayLike, p: npt.ArrayLike, threshold: float) -> dict[str, Any]:
    """Return n, ROC-AUC, PR-AUC and precision/recall/F1 of ``p >= threshold``."""
    y_true = np.asarray(y, dtype=int)
    p_score = np.asarray(p, dtype=float)
    if not len(y_true):
        # No row of this task (a file of the other task): nothing to measure, no error.
        return {"n": 0, **dict.fromkeys(KEYS[1:])}
    both = len(np.unique(y_true)) == 2
    pred = (p_score >= threshold).astype(int)
    prec, rec, f1, _ = precision_recall_fscore_support(
        y_true, pred, average="binary", zero_division=0.0
    )
    return {
        "n": int(len(y_true)),
        "roc_auc": round(float(roc_auc_score(y_true, p_score)), 4) if both else None,
        "pr_auc": round(float(average_precision_score(y_true, p_score)), 4)
        if y_true.any()
        else None,
        "precision": round(float(prec), 4),
        "recall": round(float(rec), 4),
        "f1": round(float(f1), 4),
    }


OUTCOMES = ("approved", "held", "spam", "rejected")


def routing(outcomes: Sequence[str], labels: Sequence[int]) -> dict[str, dict[str, float]]:
    """Return, for label 0 and label 1 rows, the share of each outcome (and their count)."""
    out: dict[str, dict[str, float]] = {}
    for cls in (0, 1):
        got = [o for o, y in zip(outcomes, labels, strict=True) if int(y) == cls]
        n = len(got)
        shares: dict[str, float] = {"n": n}
        for name in OUTCOMES:
            shares[name] = round(got.count(name) / n, 4) if n else 0.0
        out[str(cls)] = shares
    return out


def evaluate_rows(
    clf: Any,
    texts: Sequence[str],
    labels: Sequence[int],
    task: str,
    route: Callable[[Any, dict[str, float]], str] | None = None,
) -> dict[str, Any]:
    """Score ``texts`` with ``clf``; return the metrics at the task's flag threshold.

    With ``route`` (the policy's function from scores and thresholds to an outcome), also
    return ``routing``: the share of label 0 and label 1 rows approved / held / spam / rejected
    at the model's shipped thresholds.
    """
    if task not in {"abuse", "spam"}:
        raise ValueError(f"unknown task {task!r}")
    if not len(texts):
        result = metrics(labels, np.zeros(0), 0.5)
        return {**result, "routing": routing([], [])} if route else result
    scores = clf.score(list(texts))
    p = np.array([getattr(s, task) for s in scores])
    result = metrics(labels, p, clf.thresholds[f"approve_{task}"])
    if route is not None:
        result["routing"] = routing([route(s, clf.thresholds) for s in scores], labels)
    return result
