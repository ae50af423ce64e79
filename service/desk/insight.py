"""The audit log, feedback for retraining, and statistics."""

from __future__ import annotations

import csv
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from mizan.service.db import aware, utcnow
from mizan.service.desk.common import (
    MSG_FIELDS,
    DeskBase,
    _bucket,
    _ratio,
    audit_dict,
)
from mizan.service.errors import (
    ValidationFailed,
)
from mizan.service.http.payload import strict_int


class Insight(DeskBase):
    """The audit log, feedback for retraining, and statistics."""

    # --- audit -----------------------------------------------------------------------------------
    def audit(
        self,
        *,
        comment_id: str | None = None,
        actor_id: int | None = None,
        action: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> dict[str, Any]:
        before = None
        if cursor:
            before = strict_int(cursor, 0, 2**31 - 1)
            if before is None:
                raise ValidationFailed(MSG_FIELDS, fields={"cursor": ["Invalid cursor."]})
        if not 1 <= limit <= 200:
            raise ValidationFailed(
                MSG_FIELDS, fields={"limit": ["Must be a whole number between 1 and 200."]}
            )
        rows, more = self.repo.audit_page(
            comment_id=comment_id, actor_id=actor_id, action=action, before_id=before, limit=limit
        )
        return {
            "entries": [audit_dict(e) for e in rows],
            "next_cursor": str(rows[-1].id) if more and rows else None,
        }

    # --- learning from moderators ----------------------------------------------------------------
    def export_feedback(self, out: str | os.PathLike[str]) -> int:
        """Write moderators' labelled examples as the CSV `mizan train --feedback` reads."""
        rows = [e for e in self.repo.training_examples() if e.task in ("spam", "abuse")]
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["text", "label", "task", "lang", "source", "weight"])
            for e in rows:
                writer.writerow(
                    [
                        e.text,
                        e.label,
                        e.task,
                        (e.meta or {}).get("lang", ""),
                        "mizan-moderators",
                        f"{e.weight:g}",
                    ]
                )
        return len(rows)

    # --- stats -----------------------------------------------------------------------------------
    def stats(self, days: int = 30) -> dict[str, Any]:
        """Per model version and day: automatic outcomes and moderators' agreement with them."""
        if not 1 <= days <= 365:
            raise ValidationFailed(
                MSG_FIELDS, fields={"days": ["Must be a whole number between 1 and 365."]}
            )
        since = (utcnow() - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
        auto: dict[str, tuple[str, str, str]] = {}
        final: dict[str, str] = {}
        for cid, kind, outcome, version, created, _id in self.repo.decisions_since(since):
            if kind == "automatic":
                auto[cid] = (outcome, version or "none", aware(created).date().isoformat())
            else:
                final[cid] = outcome  # ordered by id: the last moderator decision wins
        buckets: dict[tuple[str, str], dict[str, Any]] = {}
        for cid, (outcome, version, day) in auto.items():
            b = buckets.setdefault((version, day), _bucket(version, day))
            b["decisions"] += 1
            b["outcomes"][outcome] = b["outcomes"].get(outcome, 0) + 1
            later = final.get(cid)
            if later is not None:
                b["reviewed"] += 1
                b["moderator_outcomes"][later] = b["moderator_outcomes"].get(later, 0) + 1
            if outcome == "approved" and later is not None:
                b["auto_approve"]["reviewed"] += 1
                b["auto_approve"]["agreed"] += later == "approved"
            if outcome == "spam" and later is not None:
                b["auto_spam"]["reviewed"] += 1
                b["auto_spam"]["agreed"] += later != "approved"
            if outcome == "held" and later is not None:
                b["held_resolved"][later] = b["held_resolved"].get(later, 0) + 1
        rows = sorted(buckets.values(), key=lambda b: (b["day"], b["model_version"]))
        totals: dict[str, dict[str, Any]] = {}
        for b in rows:
            for key in ("auto_approve", "auto_spam"):
                b[key]["precision"] = _ratio(b[key]["agreed"], b[key]["reviewed"])
            t = totals.setdefault(b["model_version"], _bucket(b["model_version"], None))
            t["decisions"] += b["decisions"]
            t["reviewed"] += b["reviewed"]
            for key in ("outcomes", "moderator_outcomes", "held_resolved"):
                for k, v in b[key].items():
                    t[key][k] = t[key].get(k, 0) + v
            for key in ("auto_approve", "auto_spam"):
                t[key]["reviewed"] += b[key]["reviewed"]
                t[key]["agreed"] += b[key]["agreed"]
        for t in totals.values():
            t.pop("day")
            for key in ("auto_approve", "auto_spam"):
                t[key]["precision"] = _ratio(t[key]["agreed"], t[key]["reviewed"])
        return {
            "since": since.date().isoformat(),
            "days": rows,
            "models": sorted(totals.values(), key=lambda t: t["model_version"]),
            "active_model": self.repo.active_model_version(),
        }
