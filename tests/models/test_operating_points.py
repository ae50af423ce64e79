"""Choosing the abuse cuts on in-domain out-of-fold scores (models/train.py)."""

from __future__ import annotations

import numpy as np

from mizan.models import train
from mizan.models.train import abuse_operating_points, routing_shares


def _scores(seed: int = 0):
    rng = np.random.default_rng(seed)
    y = (rng.random(3000) < 0.17).astype(int)
    insult = rng.random(3000) < np.where(y == 1, 0.4, 0.07)
    z = rng.normal(np.where(y == 1, 1.6, 0.0) + np.where(insult, 0.4, 0.0), 1.0)
    return 1 / (1 + np.exp(-(z - 3.0))), y, insult


def test_cuts_meet_the_targets_they_are_chosen_for():
    p, y, insult = _scores()
    cuts, curve = abuse_operating_points(p, y, insult)
    shares = routing_shares(p, y, insult, cuts)
    assert shares["offensive"]["approved"] <= train.ABUSE_PUBLISHED_TARGET
    assert cuts["approve_abuse_insult"] <= cuts["approve_abuse"] <= cuts["reject_abuse"]
    if shares["rejections"] >= train.MIN_REJECTIONS:
        assert shares["reject_precision"] >= train.REJECT_PRECISION_TARGET
    assert curve == sorted(curve, key=lambda c: c["threshold"])


def test_the_slack_buys_a_lower_insult_cut_for_at_most_its_benign_cost(monkeypatch):
    p, y, insult = _scores(1)
    monkeypatch.setattr(train, "INSULT_CUT_SLACK", 0.0)
    tight, _ = abuse_operating_points(p, y, insult)
    monkeypatch.setattr(train, "INSULT_CUT_SLACK", 0.02)
    slack, _ = abuse_operating_points(p, y, insult)
    assert slack["approve_abuse_insult"] < tight["approve_abuse_insult"]
    best = routing_shares(p, y, insult, tight)["benign"]["approved"]
    chosen = routing_shares(p, y, insult, slack)
    assert chosen["benign"]["approved"] >= best - 0.02 - 1e-4  # rounding of the cuts
    assert chosen["offensive"]["approved"] <= train.ABUSE_PUBLISHED_TARGET
