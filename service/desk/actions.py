"""Actions on comments (single and bulk, with undo) and reader reports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from mizan.service.db import utcnow
from mizan.service.desk.common import (
    ACTIONS,
    MSG_FIELDS,
    REJECT_REASONS,
    TRANSITIONS,
    Actor,
    DeskBase,
    _examples,
    _restore_target,
    log,
)
from mizan.service.desk.repository import Plan, ReportOutcome
from mizan.service.errors import (
    Conflict,
    NotFound,
    TooManyRequests,
    ValidationFailed,
)
from mizan.service.tables import Comment, Decision


class Actions(DeskBase):
    """Actions on comments (single and bulk, with undo) and reader reports."""

    # --- actions ---------------------------------------------------------------------------------
    def act(
        self,
        actor: Actor,
        comment_id: str,
        action: str,
        reason: str | None = None,
        note: str | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """Apply one action to one comment in one transaction; raise on an illegal transition."""
        self._check_action(action, reason)
        done = self.repo.transition(
            comment_id, self._planner(actor, action, reason, note, request_id)
        )
        if done is None:
            raise NotFound("Not found.")
        comment, plan = done
        return {
            "id": comment_id,
            "action": action,
            "from_status": plan.decision["from_status"],
            "status": comment.status,
        }

    def act_many(
        self,
        actor: Actor,
        ids: Sequence[str],
        action: str,
        reason: str | None = None,
        note: str | None = None,
        request_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Apply an action to each comment, each in its own transaction; report each outcome."""
        self._check_action(action, reason)
        results = []
        for cid in dict.fromkeys(ids):
            try:
                results.append(
                    {**self.act(actor, cid, action, reason, note, request_id), "ok": True}
                )
            except (NotFound, Conflict) as exc:
                results.append(
                    {
                        "id": cid,
                        "action": action,
                        "ok": False,
                        "error": {"code": exc.code, "message": exc.message},
                    }
                )
        return results

    def approve_author(
        self, actor: Actor, comment_id: str, request_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Approve every waiting comment of a comment's author (held, spam, reported).

        Their later comments from the same browser then pass as a trusted author's once they
        have MIZAN_TRUSTED_MIN_APPROVED approved ones (the policy's trusted-author rule).
        """
        row = self.repo.comment(comment_id)
        if row is None:
            raise NotFound("Not found.")
        ids = [
            c.id
            for c in self.repo.comments_by_author(row.author_email_hash, 200)
            if c.status in ("held", "spam", "reported")
        ]
        return self.act_many(actor, ids, "approve", None, "approve_and_trust", request_id)

    @staticmethod
    def _check_action(action: str, reason: str | None) -> None:
        if action not in ACTIONS:
            raise ValidationFailed(
                MSG_FIELDS, fields={"action": [f"Must be one of: {', '.join(ACTIONS)}."]}
            )
        if action == "reject" and reason not in REJECT_REASONS:
            raise ValidationFailed(
                MSG_FIELDS, fields={"reason": [f"Must be one of: {', '.join(REJECT_REASONS)}."]}
            )
        if action != "reject" and reason is not None and reason not in REJECT_REASONS:
            raise ValidationFailed(
                MSG_FIELDS, fields={"reason": [f"Must be one of: {', '.join(REJECT_REASONS)}."]}
            )

    def _planner(
        self,
        actor: Actor,
        action: str,
        reason: str | None,
        note: str | None,
        request_id: str | None,
    ) -> Callable[[Comment, list[Decision]], Plan]:
        def plan_for(comment: Comment, history: list[Decision]) -> Plan:
            allowed, to = TRANSITIONS[action]
            frm = comment.status
            if action == "restore":
                to = _restore_target(comment, history)
            if frm not in allowed or to is None or to == frm:
                raise Conflict(
                    f"Cannot {action.replace('_', ' ')} a comment that is {frm}.",
                    fields={"status": [frm]},
                )
            auto = next((d for d in history if d.kind == "automatic"), None)
            decision: dict[str, Any] = {
                "kind": "moderator",
                "outcome": to,
                "from_status": frm,
                "decided_by": "moderator",
                "actor": actor.email[:100],
                "scores": {},
                "reasons": [
                    {
                        "code": "moderator",
                        "action": action,
                        **({"reason": reason} if reason else {}),
                    }
                ],
                "model_version": None,
                "policy_version": None,
                "applied": True,
            }
            audit = {
                "actor_id": actor.id,
                "actor": actor.email,
                "action": action,
                "reason": reason,
                "detail": {"note": note} if note else {},
                "request_id": request_id,
            }
            examples = (
                [] if action == "restore" else _examples(comment, auto, action, reason, actor)
            )
            return Plan(to_status=to, decision=decision, audit=audit, examples=examples)

        return plan_for

    # --- reader reports --------------------------------------------------------------------------
    def report(
        self, comment_id: str, reason: str, note: str | None, ip: str | None
    ) -> ReportOutcome:
        """A reader's report; rate-limited per address and per comment."""
        reporter = self.keys.lookup_hash("ip", ip or "unknown") or ""
        hour_ago = utcnow() - timedelta(hours=1)
        if (
            self.repo.reports_since(reporter_hash=reporter, since=hour_ago)
            >= self.conf.reports_per_ip_hour
        ):
            raise TooManyRequests("Too many reports; try again later.", retry_after=3600)
        if (
            self.repo.reports_since(comment_id=comment_id, since=hour_ago)
            >= self.conf.reports_per_comment_hour
        ):
            raise TooManyRequests("Too many reports; try again later.", retry_after=3600)
        outcome = self.repo.add_report(
            comment_id, reason, note, reporter, self.conf.report_threshold
        )
        if outcome is None:
            raise NotFound("Not found.")
        if outcome.moved:
            log.info("comment moved to the reported queue after %d reports", outcome.reports)
        return outcome
