"""The audit log, feedback for retraining, and statistics."""

from __future__ import annotations

import csv
import io
import os
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from mizan.service.db import aware, utcnow
from mizan.service.desk.common import (
    MSG_FIELDS,
    DeskBase,
    _bucket,
    _iso,
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

    # --- series for the charts -------------------------------------------------------------------
    def series(self, days: int = 30) -> dict[str, Any]:
        """Day by day (in the desk's time zone) over `days` days, today included.

        comments: comments posted per day by their status now; reports: reader reports per
        day; queue: comments held at the end of each day (now for today) and how many hours the
        oldest of them had waited; overturned: per model version, automatic decisions a
        moderator later reversed (approved -> spam/rejected or spam/rejected -> approved).
        """
        if not 1 <= days <= 365:
            raise ValidationFailed(
                MSG_FIELDS, fields={"days": ["Must be a whole number between 1 and 365."]}
            )
        tz = ZoneInfo(self.conf.timezone)
        now = utcnow()
        today = now.astimezone(tz).date()
        labels = [(today - timedelta(days=days - 1 - i)).isoformat() for i in range(days)]
        start = datetime.combine(today - timedelta(days=days - 1), time.min, tzinfo=tz)
        index = {d: i for i, d in enumerate(labels)}

        def day_of(at: datetime) -> int | None:
            return index.get(at.astimezone(tz).date().isoformat())

        statuses = ("approved", "held", "spam", "rejected", "reported", "pending")
        comments = {s: [0] * days for s in statuses}
        for at, status in self.repo.comment_days(start):
            i = day_of(at)
            if i is not None and status in comments:
                comments[status][i] += 1
        reports = [0] * days
        for at in self.repo.report_times(start):
            i = day_of(at)
            if i is not None:
                reports[i] += 1
        # Replay each comment's statuses: held at the end of day d if its last change before
        # then left it held.
        ends = [
            min(now, datetime.combine(date.fromisoformat(d), time.max, tzinfo=tz)) for d in labels
        ]
        timelines: dict[str, tuple[datetime, list[tuple[datetime, str]]]] = {}
        for cid, created, outcome, applied, reasons, at in self.repo.status_changes(start):
            status = str(outcome)
            if not applied:  # shadow mode: the comment got the fixed status, not the outcome
                shadow = [r for r in reasons or [] if isinstance(r, dict)]
                status = next(
                    (str(r.get("status")) for r in shadow if r.get("code") == "shadow_mode"),
                    outcome,
                )
            timelines.setdefault(cid, (created, []))[1].append((at, status))
        queue = [0] * days
        oldest = [0.0] * days
        for created, changes in timelines.values():
            for i, end in enumerate(ends):
                state = None
                for at, status in changes:
                    if at > end:
                        break
                    state = status
                if state == "held":
                    queue[i] += 1
                    oldest[i] = max(oldest[i], (end - created).total_seconds() / 3600)
        overturned: dict[str, dict[str, int]] = {}
        auto: dict[str, tuple[str, str]] = {}
        final: dict[str, str] = {}
        for cid, kind, outcome, version, _created, _id in self.repo.decisions_since(start):
            if kind == "automatic":
                auto[cid] = (outcome, version or "none")
            else:
                final[cid] = outcome
        for cid, (outcome, version) in auto.items():
            row = overturned.setdefault(version, {"decisions": 0, "reviewed": 0, "overturned": 0})
            row["decisions"] += 1
            later = final.get(cid)
            if later is None or outcome == "held":
                continue
            row["reviewed"] += 1
            if (outcome == "approved") != (later == "approved"):
                row["overturned"] += 1
        return {
            "days": labels,
            "comments": comments,
            "reports": reports,
            "queue": queue,
            "oldest_hours": [round(h, 1) for h in oldest],
            "overturned": [
                {"model_version": v, **row, "rate": _ratio(row["overturned"], row["reviewed"])}
                for v, row in sorted(overturned.items())
            ],
        }

    def series_csv(self, days: int = 30) -> str:
        """The charts' numbers as CSV: chart, day or model version, series, value."""
        data = self.series(days)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["chart", "day", "series", "value"])
        for status, values in data["comments"].items():
            for day, v in zip(data["days"], values, strict=True):
                writer.writerow(["comments_per_day", day, status, v])
        for day, v in zip(data["days"], data["reports"], strict=True):
            writer.writerow(["reports_per_day", day, "reports", v])
        for day, v, h in zip(data["days"], data["queue"], data["oldest_hours"], strict=True):
            writer.writerow(["held_queue", day, "held", v])
            writer.writerow(["held_queue", day, "oldest_hours", h])
        for row in data["overturned"]:
            for key in ("decisions", "reviewed", "overturned"):
                writer.writerow(["overturned_by_model", row["model_version"], key, row[key]])
        return out.getvalue()

    # --- the backlog -----------------------------------------------------------------------------
    def backlog(self) -> dict[str, Any]:
        """How long the oldest held comment has waited, and whether that is past the alert."""
        oldest = self.repo.oldest_held()
        minutes = (utcnow() - oldest).total_seconds() / 60 if oldest else 0.0
        limit = self.conf.queue_alert_minutes
        return {
            "oldest_held_at": _iso(oldest),
            "oldest_minutes": round(minutes, 1),
            "alert_minutes": limit,
            "alert": bool(limit and oldest and minutes > limit),
        }
