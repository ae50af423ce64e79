"""A tiny model trained from generated text, shared by the tests of models/."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np
import pytest

from mizan.models import artifact
from mizan.models.pipeline import build_pipeline

ABUSE = ["يا كلب", "يا حمار", "حقير", "you idiot", "stupid bitch", "وسخ", "ya kalb"]
SPAM = ["واتساب 0912345678", "http://bit.ly/win", "casino bonus", "ربح مضمون", "free bitcoin"]
PLAIN = ["شكرا على الخبر", "الوضع صعب", "great report", "I agree", "الله يرحمه", "متى الطريق"]


def tiny_rows(n: int = 120, seed: int = 0) -> list[dict[str, str]]:
    """Return generated labelled rows for both tasks."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        kind = ("abuse", "spam", "plain")[i % 3]
        base = rng.choice(PLAIN)
        if kind == "abuse":
            text = f"{base} {rng.choice(ABUSE)}"
            rows.append({"text": text, "label": "1", "task": "abuse", "lang": "ar"})
            rows.append({"text": text, "label": "0", "task": "spam", "lang": "ar"})
        elif kind == "spam":
            text = f"{rng.choice(SPAM)} {base}"
            rows.append({"text": text, "label": "1", "task": "spam", "lang": "ar"})
        else:
            rows.append({"text": base + f" {i}", "label": "0", "task": "abuse", "lang": "ar"})
            rows.append({"text": base + f" {i}", "label": "0", "task": "spam", "lang": "ar"})
    return rows


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    """Write rows in the datasets' schema."""
    cols = ["text", "label", "task", "lang", "source", "split", "fine_label"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({"source": "generated", "split": "", "fine_label": "", **r})
    return path


@pytest.fixture(scope="session")
def tiny_artifact(tmp_path_factory) -> Path:
    """Train a two-head model on generated rows and save it like the shipped one."""
    rows = tiny_rows()
    texts = sorted({r["text"] for r in rows})
    index = {t: i for i, t in enumerate(texts)}
    y = np.full((len(texts), 2), np.nan)
    for r in rows:
        y[index[r["text"]], 0 if r["task"] == "spam" else 1] = int(r["label"])
    pipe = build_pipeline(random_state=0, heads=("spam", "abuse"), epochs=5, max_nnz=5000)
    pipe.set_params(features__n_bits=16)
    pipe.fit(texts, y)
    del pipe.named_steps["heads"].cv_proba_
    out = tmp_path_factory.mktemp("artifact") / "tiny"
    thresholds = {"approve_spam": 0.4, "approve_abuse": 0.4, "spam": 0.8, "reject_abuse": 0.8}
    artifact.save(pipe, out, {"version": "test-1", "thresholds": thresholds, "seed": 0})
    return out
