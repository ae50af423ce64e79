"""Database access for the integrations: sites and their checks, webhook endpoints, deliveries.

Webhook events come from the decisions table, which every status change of a comment already
writes (the worker's automatic decisions, moderators' actions, reader reports): a cursor records
how far it has been read, so no other feature needs to know that webhooks exist, and an event is
only ever read after the transaction that made it has committed. The one event that is not a
comment's, ``queue.backlog``, comes from the held queue itself, with a state row so that it goes
out once each time the queue crosses the alert age.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mizan.service.db import DecisionRecord, aware, decision_row, utcnow
from mizan.service.tables import (
    Comment,
    Decision,
    Site,
    SiteCheck,
    WebhookAlert,
    WebhookCursor,
    WebhookDelivery,
    WebhookEndpoint,
)

CURSOR = "decisions"
BACKLOG_ALERT = "queue.backlog"


@dataclass(frozen=True, slots=True)
class DecisionEvent:
    """A committed status change with the comment's public fields at the time it is read."""

    decision_id: int
    comment_id: str
    kind: str
    outcome: str
    from_status: str | None
    applied: bool
    reasons: list
    created_at: datetime
    post_id: str
    parent_id: str | None
    permalink: str | None
    author_name: str
    author_url: str | None
    body: str
    comment_created_at: datetime


@dataclass(frozen=True, slots=True)
class BacklogCrossing:
    """The held queue's oldest comment has just become older than the alert age."""

    held: int
    oldest_age_seconds: int
    crossing: int  # how many times the alert has started (1, 2, ...): part of the delivery key
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one delivery attempt changed: the delivery's status, and the endpoint's state."""

    status: str
    attempts: int
    endpoint_disabled: bool


class IntegrationRepository:
    """Statements over one engine for sites, checks, webhook endpoints and deliveries."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    # --- sites --------------------------------------------------------------------------------
    def create_site(
        self, name: str, origin: str, key_hash: str, prefix: str, created_by: str | None
    ) -> int | None:
        """Insert a site; None when the name is taken."""
        try:
            with self.engine.begin() as conn:
                return conn.execute(
                    insert(Site).returning(Site.id),
                    {
                        "name": name,
                        "origin": origin,
                        "key_hash": key_hash,
                        "key_prefix": prefix,
                        "created_by": created_by,
                        "created_at": utcnow(),
                    },
                ).scalar_one()
        except IntegrityError:
            return None

    def sites(self) -> list[Site]:
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(select(Site).order_by(Site.id)))

    def site_stats(self) -> dict[int, dict[str, int]]:
        """Comments checked per site, and how many of them are not published now."""
        stmt = (
            select(SiteCheck.site_id, Comment.status, func.count())
            .join(Comment, Comment.id == SiteCheck.comment_id)
            .group_by(SiteCheck.site_id, Comment.status)
        )
        out: dict[int, dict[str, int]] = {}
        with self.engine.connect() as conn:
            for site_id, status, n in conn.execute(stmt):
                s = out.setdefault(site_id, {"checks": 0, "spam": 0})
                s["checks"] += int(n)
                if status not in ("approved", "pending"):
                    s["spam"] += int(n)
        return out

    def site_for_key(self, key_hash: str) -> Site | None:
        """The live site owning this key; marks it used (at most once a minute)."""
        now = utcnow()
        stmt = select(Site).where(Site.key_hash == key_hash, Site.revoked_at.is_(None))
        with Session(self.engine, expire_on_commit=False) as session:
            site = session.scalars(stmt).first()
        if site is None:
            return None
        used = aware(site.last_used_at)
        if used is None or now - used > timedelta(minutes=1):
            with self.engine.begin() as conn:
                conn.execute(update(Site).where(Site.id == site.id).values(last_used_at=now))
        return site

    def any_live_site(self) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(select(Site.id).where(Site.revoked_at.is_(None)).limit(1))
            return found.first() is not None

    def revoke_site(self, name: str) -> bool:
        with self.engine.begin() as conn:
            res = conn.execute(
                update(Site)
                .where(Site.name == name, Site.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
            return bool(res.rowcount)

    # --- checks -------------------------------------------------------------------------------
    def record_check(
        self, comment: dict[str, Any], check: dict[str, Any], decision: DecisionRecord | None
    ) -> None:
        """Store the comment, the check that names it and its decision, in one transaction."""
        with self.engine.begin() as conn:
            conn.execute(insert(Comment), comment)
            conn.execute(insert(SiteCheck), check)
            if decision is not None:
                conn.execute(
                    insert(Decision), decision_row(decision, "pending", comment["created_at"])
                )

    def record_untested(self, comment: dict[str, Any], decision: DecisionRecord) -> None:
        """Store a comment a site reports without having checked it, with its decision."""
        with self.engine.begin() as conn:
            conn.execute(insert(Comment), comment)
            conn.execute(insert(Decision), decision_row(decision, "pending", comment["created_at"]))

    def comment_status(self, comment_id: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(Comment.status).where(Comment.id == comment_id)).scalar()

    def find_check(self, site_id: int, content_hash: str, guid: str | None) -> str | None:
        """The comment a site's earlier check recorded: by guid, else the latest same text."""
        with self.engine.connect() as conn:
            if guid:
                found = conn.execute(
                    select(SiteCheck.comment_id).where(
                        SiteCheck.guid == guid, SiteCheck.site_id == site_id
                    )
                ).scalar()
                if found:
                    return found
            return conn.execute(
                select(SiteCheck.comment_id)
                .where(SiteCheck.site_id == site_id, SiteCheck.content_hash == content_hash)
                .order_by(SiteCheck.created_at.desc())
                .limit(1)
            ).scalar()

    # --- webhook endpoints --------------------------------------------------------------------
    def create_endpoint(
        self, url: str, events: list[str], secret_enc: str, created_by: str | None
    ) -> int:
        """Store an endpoint. When no enabled endpoint existed, the dispatch cursor first moves
        to the newest decision: a new webhook hears of what happens from now on, not of the
        site's whole history (nor of what happened while nobody listened)."""
        with self.engine.begin() as conn:
            listening = conn.execute(
                select(WebhookEndpoint.id).where(WebhookEndpoint.enabled.is_(True)).limit(1)
            ).first()
            if listening is None:
                top = conn.execute(select(func.max(Decision.id))).scalar() or 0
                moved = conn.execute(
                    update(WebhookCursor)
                    .where(WebhookCursor.name == CURSOR)
                    .values(last_decision_id=func.greatest(WebhookCursor.last_decision_id, top))
                    if self.postgres
                    else update(WebhookCursor)
                    .where(WebhookCursor.name == CURSOR)
                    .values(last_decision_id=func.max(WebhookCursor.last_decision_id, top))
                ).rowcount
                if not moved:
                    conn.execute(insert(WebhookCursor), {"name": CURSOR, "last_decision_id": top})
            return conn.execute(
                insert(WebhookEndpoint).returning(WebhookEndpoint.id),
                {
                    "url": url,
                    "events": events,
                    "secret_enc": secret_enc,
                    "enabled": True,
                    "consecutive_failures": 0,
                    "created_by": created_by,
                    "created_at": utcnow(),
                },
            ).scalar_one()

    def endpoints(self) -> list[WebhookEndpoint]:
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))

    def endpoint(self, endpoint_id: int) -> WebhookEndpoint | None:
        with Session(self.engine, expire_on_commit=False) as session:
            return session.get(WebhookEndpoint, endpoint_id)

    def any_enabled_endpoint(self) -> bool:
        with self.engine.connect() as conn:
            return (
                conn.execute(
                    select(WebhookEndpoint.id).where(WebhookEndpoint.enabled.is_(True)).limit(1)
                ).first()
                is not None
            )

    def set_enabled(self, endpoint_id: int, enabled: bool, reason: str | None = None) -> bool:
        """Enable (failures forgotten) or disable an endpoint; False when it does not exist."""
        now = utcnow()
        values: dict[str, Any] = (
            {
                "enabled": True,
                "consecutive_failures": 0,
                "disabled_at": None,
                "disabled_reason": None,
            }
            if enabled
            else {"enabled": False, "disabled_at": now, "disabled_reason": reason}
        )
        with self.engine.begin() as conn:
            res = conn.execute(
                update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).values(**values)
            )
            if enabled and res.rowcount:
                # Deliveries left waiting while it was off are due again.
                conn.execute(
                    update(WebhookDelivery)
                    .where(
                        WebhookDelivery.endpoint_id == endpoint_id,
                        WebhookDelivery.status == "pending",
                    )
                    .values(next_attempt_at=now)
                )
            return bool(res.rowcount)

    def delete_endpoint(self, endpoint_id: int) -> bool:
        from sqlalchemy import delete

        with self.engine.begin() as conn:
            conn.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id))
            res = conn.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))
            return bool(res.rowcount)

    def deliveries(self, endpoint_id: int, limit: int = 20) -> list[WebhookDelivery]:
        stmt = (
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(stmt))

    # --- turning decisions into deliveries ----------------------------------------------------
    def dispatch(
        self,
        limit: int,
        lag: timedelta,
        build: Callable[[Sequence[DecisionEvent], list[WebhookEndpoint]], list[dict[str, Any]]],
    ) -> tuple[list[int], bool]:
        """Read the decisions after the cursor, let `build` turn them into delivery rows, store
        those and move the cursor, in one transaction. Returns the new delivery ids and whether
        decisions younger than `lag` were left for later.

        On PostgreSQL ids are handed out before commit, so a younger decision may still commit
        behind an older id: only decisions older than `lag` are read there. The cursor moves
        with a conditional UPDATE, so two dispatchers never turn the same decision into events.
        """
        now = utcnow()
        with self.engine.begin() as conn:
            last = conn.execute(
                select(WebhookCursor.last_decision_id).where(WebhookCursor.name == CURSOR)
            ).scalar()
            if last is None:
                conn.execute(insert(WebhookCursor), {"name": CURSOR, "last_decision_id": 0})
                last = 0
            stmt = (
                select(
                    Decision.id,
                    Decision.comment_id,
                    Decision.kind,
                    Decision.outcome,
                    Decision.from_status,
                    Decision.applied,
                    Decision.reasons,
                    Decision.created_at,
                    Comment.post_id,
                    Comment.parent_id,
                    Comment.permalink,
                    Comment.author_name,
                    Comment.author_url,
                    Comment.body,
                    Comment.created_at,
                )
                .join(Comment, Comment.id == Decision.comment_id)
                .where(Decision.id > last)
                .order_by(Decision.id)
                .limit(limit)
            )
            newer = False
            if self.postgres and lag:
                rows = conn.execute(stmt.where(Decision.created_at <= now - lag)).all()
                newer = (
                    conn.execute(
                        select(Decision.id).where(
                            Decision.id > last, Decision.created_at > now - lag
                        )
                    ).first()
                    is not None
                )
            else:
                rows = conn.execute(stmt).all()
            if not rows:
                return [], newer
            events = [
                DecisionEvent(
                    decision_id=r[0],
                    comment_id=r[1],
                    kind=r[2],
                    outcome=r[3],
                    from_status=r[4],
                    applied=bool(r[5]),
                    reasons=list(r[6] or []),
                    created_at=aware(r[7]),
                    post_id=r[8],
                    parent_id=r[9],
                    permalink=r[10],
                    author_name=r[11],
                    author_url=r[12],
                    body=r[13],
                    comment_created_at=aware(r[14]),
                )
                for r in rows
            ]
            moved = conn.execute(
                update(WebhookCursor)
                .where(WebhookCursor.name == CURSOR, WebhookCursor.last_decision_id == last)
                .values(last_decision_id=events[-1].decision_id)
            )
            if moved.rowcount != 1:
                conn.rollback()
                return [], True
            endpoints = list(
                Session(bind=conn).scalars(
                    select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True))
                )
            )
            ids = _insert_deliveries(conn, build(events, endpoints) if endpoints else [], now)
            return ids, newer or len(rows) == limit

    def check_backlog(
        self,
        limit: timedelta | None,
        build: Callable[[BacklogCrossing, list[WebhookEndpoint]], list[dict[str, Any]]],
    ) -> list[int]:
        """Compare the held queue's oldest comment with `limit` (None: alerts off) and record
        the alert's state; when it has just crossed, let `build` turn it into delivery rows and
        store them, in the same transaction. Returns the new delivery ids.

        The state row moves with a conditional UPDATE, so of two dispatchers one records the
        crossing (and its deliveries); it goes back to off only when the oldest held comment is
        no older than `limit` (or none is held), so the event goes out once per crossing."""
        now = utcnow()
        with self.engine.begin() as conn:
            held, oldest = conn.execute(
                select(func.count(), func.min(Comment.created_at)).where(Comment.status == "held")
            ).one()
            first = aware(oldest)
            over = limit is not None and first is not None and now - first > limit
            state = conn.execute(
                select(WebhookAlert.active, WebhookAlert.crossings).where(
                    WebhookAlert.name == BACKLOG_ALERT
                )
            ).first()
            if state is None:
                conn.execute(
                    insert(WebhookAlert), {"name": BACKLOG_ALERT, "active": False, "crossings": 0}
                )
                active, crossings = False, 0
            else:
                active, crossings = bool(state[0]), int(state[1])
            if over == active:
                return []
            moved = conn.execute(
                update(WebhookAlert)
                .where(
                    WebhookAlert.name == BACKLOG_ALERT,
                    WebhookAlert.active.is_(active),
                    WebhookAlert.crossings == crossings,
                )
                .values(active=over, crossings=crossings + int(over), changed_at=now)
            )
            if moved.rowcount != 1 or not over:
                return []
            assert first is not None
            crossing = BacklogCrossing(
                held=int(held),
                oldest_age_seconds=int((now - first).total_seconds()),
                crossing=crossings + 1,
                occurred_at=now,
            )
            endpoints = list(
                Session(bind=conn).scalars(
                    select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True))
                )
            )
            return _insert_deliveries(conn, build(crossing, endpoints) if endpoints else [], now)

    # --- delivering -----------------------------------------------------------------------------
    def delivery(self, delivery_id: int) -> tuple[WebhookDelivery, WebhookEndpoint] | None:
        with Session(self.engine, expire_on_commit=False) as session:
            d = session.get(WebhookDelivery, delivery_id)
            if d is None:
                return None
            e = session.get(WebhookEndpoint, d.endpoint_id)
            return (d, e) if e is not None else None

    def record_attempt(
        self,
        delivery_id: int,
        *,
        ok: bool,
        status_code: int | None,
        error: str | None,
        retry_at: datetime | None,
        disable_after: int,
    ) -> Attempt:
        """Record one attempt on the delivery and its endpoint (failures counted, success resets).

        `retry_at` None means this was the last attempt: a failure marks the delivery failed.
        """
        now = utcnow()
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            stmt = select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
            if self.postgres:
                stmt = stmt.with_for_update()
            d = session.scalars(stmt).one()
            e = session.get(WebhookEndpoint, d.endpoint_id, with_for_update=self.postgres)
            assert e is not None
            d.attempts += 1
            d.last_status_code = status_code
            disabled = False
            if ok:
                d.status, d.delivered_at, d.last_error, d.next_attempt_at = (
                    "delivered",
                    now,
                    None,
                    None,
                )
                e.consecutive_failures, e.last_success_at = 0, now
            else:
                d.last_error = (error or "")[:300]
                if retry_at is None:
                    d.status, d.next_attempt_at = "failed", None
                else:
                    d.next_attempt_at = retry_at
                e.consecutive_failures += 1
                e.last_failure_at, e.last_error = now, (error or "")[:300]
                if e.enabled and e.consecutive_failures >= disable_after:
                    e.enabled, e.disabled_at = False, now
                    e.disabled_reason = f"{e.consecutive_failures} consecutive failed attempts"
                    disabled = True
            return Attempt(d.status, d.attempts, disabled)

    def claim_due(self, now: datetime, lease_until: datetime, limit: int = 200) -> list[int]:
        """Pending deliveries of enabled endpoints due by `now`, leased until `lease_until` (a
        task lost with the broker makes its delivery due again then); returns their ids."""
        stmt = (
            select(WebhookDelivery.id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= now,
                WebhookEndpoint.enabled.is_(True),
            )
            .order_by(WebhookDelivery.id)
            .limit(limit)
        )
        with self.engine.begin() as conn:
            ids = list(conn.execute(stmt).scalars())
            if not ids:
                return []
            # Conditional: of two dispatchers, each delivery goes to one.
            claimed = conn.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id.in_(ids),
                    WebhookDelivery.status == "pending",
                    WebhookDelivery.next_attempt_at <= now,
                )
                .values(next_attempt_at=lease_until)
                .returning(WebhookDelivery.id)
            )
            return sorted(claimed.scalars())


def _insert_deliveries(conn: Connection, rows: list[dict[str, Any]], now: datetime) -> list[int]:
    """Store delivery rows as pending and due now; returns their ids."""
    return [
        conn.execute(
            insert(WebhookDelivery).returning(WebhookDelivery.id),
            {
                "decision_id": None,
                "comment_id": None,
                **row,
                "status": "pending",
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
            },
        ).scalar_one()
        for row in rows
    ]
