"""Moderation rules: each module turns one kind of evidence into findings with reasons."""

from __future__ import annotations

from dataclasses import dataclass, field

# Severity of outcomes: when several rules fire, the most severe wins.
SEVERITY = {"approved": 0, "held": 1, "rejected": 2, "spam": 3}


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule that fired: the outcome it asks for and the reason recorded with the decision."""

    outcome: str
    reason: dict = field(default_factory=dict)
