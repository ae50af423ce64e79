"""Metrics of a classifier on labelled rows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_fscore_support, roc_auc_score

KEYS = ("n", "roc_auc", "pr_auc", "precision", "recall", "f1")


def metrics(y: Sequence[int], p: Sequence[float], threshold: float) -> dict:
    """Return n, ROC-AUC, PR-AUC and precision/recall/F1 of ``p >= threshold``."""
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    both = len(np.unique(y)) == 2
    pred = (p >= threshold).astype(int)
    prec, rec, f1, _ = precision_recall_fscore_support(y, pred, average="binary", zero_division=0.0)
    return {
        "n": int(len(y)),
        "roc_auc": round(float(roc_auc_score(y, p)), 4) if both else None,
        "pr_auc": round(float(average_precision_score(y, p)), 4) if y.any() else None,
        "precision": round(float(prec), 4),
        "recall": round(float(rec), 4),
        "f1": round(float(f1), 4),
    }


def evaluate_rows(clf, texts: Sequence[str], labels: Sequence[int], task: str) -> dict:
    """Score ``texts`` with ``clf`` and return the metrics at the task's flag threshold."""
    if task not in {"abuse", "spam"}:
        raise ValueError(f"unknown task {task!r}")
    col = clf.head_names.index(task)
    p = clf.predict_matrix(texts)[:, col] if len(texts) else np.zeros(0)
    return metrics(labels, p, clf.thresholds[f"approve_{task}"])
