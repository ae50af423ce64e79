"""Scores and rules for a batch of pending comments, turned into outcomes to record.

The worker decides this way, and so does the Akismet-compatible API when it decides a comment
in the request: one scoring call and one pass of the rules per batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from mizan.service.db import DecisionRecord
from mizan.service.policy.engine import RuleEngine
from mizan.service.policy.repository import Outcome, PendingComment
from mizan.service.policy.verdict import PolicyConfig, decide, needs_explanation, with_spans

log = logging.getLogger("mizan.tasks")


class Decider:
    """Decide batches with the classifier that `model()` returns (None: no usable model)."""

    def __init__(
        self,
        config: PolicyConfig,
        engine: RuleEngine,
        model: Callable[[], Any],
        *,
        explain: bool = True,
    ) -> None:
        self.config = config
        self.engine = engine
        self.model = model
        # Which words pushed a score (the desk highlights them): ten times the cost of scoring.
        self.explain = explain

    def decide(self, batch: list[PendingComment]) -> list[Outcome]:
        """One scoring call and one pass of the rules for the whole batch."""
        model = self.model()
        version = getattr(model, "version", None)
        scores: list = [None] * len(batch)
        failure = {"code": "no_model"}
        if model is not None:
            try:
                scores = list(model.score([c.body for c in batch]))
            except Exception as exc:  # noqa: BLE001 - hold, never approve blindly, never drop
                log.error("scoring failed: %s", type(exc).__name__)
                failure = {"code": "scoring_failed", "error": type(exc).__name__}
                scores = [None] * len(batch)
        facts = self.engine.facts(batch)
        pversion = self.config.version
        out = []
        for c, s, f in zip(batch, scores, facts, strict=True):
            t = self.config.thresholds(getattr(model, "thresholds", None), c.section)
            v = decide(s, t, f, self.config, failure=failure)
            reasons = v.reasons
            if self.explain and s is not None and needs_explanation(v):
                try:
                    reasons = with_spans(v.reasons, model.explain(c.body))
                except Exception as exc:  # noqa: BLE001 - an explanation never blocks a decision
                    log.error("explaining failed: %s", type(exc).__name__)
            rec = DecisionRecord(
                comment_id=c.id,
                outcome=v.outcome,
                decided_by=v.decided_by,
                scores=v.scores,
                reasons=reasons,
                model_version=version if s is not None else None,
                policy_version=pversion,
                applied=v.applied,
            )
            out.append(Outcome(rec, v.status))
        return out
