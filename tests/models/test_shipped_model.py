"""The shipped model itself: thresholds, score order, explanations (routing: tests/service)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from mizan.models.classifier import ModelUnavailable, default_artifact_path, load_default

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "moderation_examples.csv"


@pytest.fixture(scope="module")
def shipped():
    try:
        return load_default()
    except ModelUnavailable as exc:  # pragma: no cover - the repo ships a model
        pytest.fail(f"no shipped model at {default_artifact_path()}: {exc}")


@pytest.fixture(scope="module")
def examples():
    with open(FIXTURE, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 40
    return rows


def _scored(shipped, examples, task: str, label: str):
    rows = [r for r in examples if r["task"] == task and r["label"] == label]
    return rows, shipped.score([r["text"] for r in rows])


def test_shipped_thresholds_are_ordered(shipped):
    t = shipped.thresholds
    # an insult cut of 0 holds every comment with an insult word (the in-domain search may
    # choose that: see INSULT_CUT_SLACK)
    assert 0 <= t["approve_abuse_insult"] <= t["approve_abuse"] <= t["reject_abuse"] < 1
    assert t["approve_abuse"] > 0
    assert 0 < t["approve_spam"] <= t["spam"] <= 1
    assert 0 < t["hold_spam_unsupported"] <= 1


def test_abusive_score_above_ordinary_on_average(shipped, examples):
    _, bad = _scored(shipped, examples, "abuse", "1")
    _, ok = _scored(shipped, examples, "both", "0")
    assert min(s.abuse for s in bad) > sum(s.abuse for s in ok) / len(ok)


def test_explain_shipped_points_at_the_insult(shipped):
    text = "مقال جيد لكن انت يا حمار ما فهمت شي"
    top = shipped.explain(text, top=3)["abuse"]
    assert any(it["span"] and "حمار" in text[it["span"][0] : it["span"][1]] for it in top), top


def test_the_shipped_model_was_trained_on_this_normalisers_output(shipped):
    # its features depend on the exact normalised text: a normaliser whose output changed
    # needs a retrain (models/normalizer_check.py)
    assert shipped.sidecar["normalizer_check"]["fingerprint"]
    assert shipped.normalizer_changed is False
