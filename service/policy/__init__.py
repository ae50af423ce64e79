"""The moderation policy: decide(), thresholds, and the rules (authors, duplicates, flood, links,
word lists). Pure code the worker calls; its repository holds word lists, bans and post settings.

Public interface (import from here, not from the modules inside).
"""

from __future__ import annotations

from mizan.service.policy.decider import Decider
from mizan.service.policy.engine import RuleEngine
from mizan.service.policy.evaluation import confusion, frequent_words, outcome, route_texts
from mizan.service.policy.repository import (
    BAN_KINDS,
    WORD_LISTS,
    Outcome,
    PendingComment,
    PolicyRepository,
    PostPolicy,
)
from mizan.service.policy.verdict import (
    Facts,
    PolicyConfig,
    Verdict,
    decide,
    decide_without_model,
    needs_explanation,
    reason_category,
    route,
    with_spans,
)

__all__ = [
    "BAN_KINDS",
    "WORD_LISTS",
    "confusion",
    "frequent_words",
    "outcome",
    "route_texts",
    "Decider",
    "Facts",
    "Outcome",
    "PendingComment",
    "PolicyConfig",
    "PolicyRepository",
    "PostPolicy",
    "RuleEngine",
    "Verdict",
    "decide",
    "decide_without_model",
    "needs_explanation",
    "reason_category",
    "route",
    "with_spans",
]
