"""Test factories: writes and reads that only tests need, kept out of the repositories.

They run SQL directly against a repository's engine (the layout rule "only repositories run
SQL" is for the service and the worker, not for tests).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from mizan.service.db import DecisionRecord, decision_row, utcnow
from mizan.service.intake import Repository
from mizan.service.policy import BAN_KINDS, WORD_LISTS, PolicyRepository, PostPolicy
from mizan.service.tables import AuthorBan, BlockedDomain, Comment, Decision, PostSetting, WordTerm


def get_comment(repo: Repository, comment_id: str) -> Comment | None:
    with Session(repo.engine, expire_on_commit=False) as session:
        return session.get(Comment, comment_id)


def get_status(repo: Repository, comment_id: str) -> str | None:
    with repo.engine.connect() as conn:
        return conn.execute(select(Comment.status).where(Comment.id == comment_id)).scalar()


def record_automatic(repo: Repository, decisions: Sequence[DecisionRecord]) -> list[str]:
    """Apply each decision iff its comment is still pending; return the ids decided now.

    The conditional UPDATE plus the unique index on automatic decisions make a decision
    exactly-once even when two workers race on the same comment.
    """
    now = utcnow()
    done: list[str] = []
    with repo.engine.begin() as conn:
        for d in decisions:
            res = conn.execute(
                update(Comment)
                .where(Comment.id == d.comment_id, Comment.status == "pending")
                .values(status=d.outcome, decided_at=now, updated_at=now)
            )
            if res.rowcount == 1:
                conn.execute(insert(Decision), decision_row(d, "pending", now))
                done.append(d.comment_id)
    return done


def add_term(
    repo: PolicyRepository,
    term: str,
    folded: str,
    list_: str,
    action: str,
    actor: str | None = None,
) -> int:
    """Add a term to the blocked or watched list (idempotent on the folded form)."""
    if action not in WORD_LISTS.get(list_, ()):
        raise ValueError(f"list {list_!r} does not take action {action!r}")
    with repo.engine.begin() as conn:
        existing = conn.execute(
            select(WordTerm.id).where(WordTerm.folded == folded, WordTerm.list == list_)
        ).scalar()
        if existing is not None:
            conn.execute(
                update(WordTerm).where(WordTerm.id == existing).values(term=term, action=action)
            )
            return existing
        return conn.execute(  # type: ignore[index]
            insert(WordTerm).values(
                term=term,
                folded=folded,
                list=list_,
                action=action,
                created_by=actor,
                created_at=utcnow(),
            )
        ).inserted_primary_key[0]


def add_blocked_domain(repo: PolicyRepository, domain: str, actor: str | None = None) -> None:
    domain = domain.strip().lower().strip(".")
    with repo.engine.begin() as conn:
        if conn.execute(select(BlockedDomain.id).where(BlockedDomain.domain == domain)).first():
            return
        conn.execute(
            insert(BlockedDomain).values(domain=domain, created_by=actor, created_at=utcnow())
        )


def set_post_policy(
    repo: PolicyRepository,
    post_id: str,
    *,
    comments_closed: bool | None = None,
    premoderation: bool | None = None,
    actor: str | None = None,
) -> PostPolicy:
    """Open/close comments or switch pre-moderation on a post; returns the new settings."""
    now = utcnow()
    with repo.engine.begin() as conn:
        row = conn.execute(
            select(PostSetting.comments_closed, PostSetting.premoderation).where(
                PostSetting.post_id == post_id
            )
        ).first()
        closed = bool(row[0]) if row else False
        premod = bool(row[1]) if row else False
        closed = closed if comments_closed is None else comments_closed
        premod = premod if premoderation is None else premoderation
        values = dict(
            comments_closed=closed, premoderation=premod, updated_by=actor, updated_at=now
        )
        if row:
            conn.execute(update(PostSetting).where(PostSetting.post_id == post_id).values(**values))
        else:
            conn.execute(insert(PostSetting).values(post_id=post_id, **values))
    return PostPolicy(closed, premod)


def add_ban(
    repo: PolicyRepository,
    kind: str,
    *,
    value_hash: str | None = None,
    network: str | None = None,
    note: str | None = None,
    actor: str | None = None,
    expires_at: datetime | None = None,
) -> int:
    """Ban an email or IP (by keyed hash) or a CIDR network."""
    if kind not in BAN_KINDS:
        raise ValueError(f"unknown ban kind {kind!r}")
    if kind == "network":
        network = str(ipaddress.ip_network(network or "", strict=False))
        value_hash = None
    elif not value_hash:
        raise ValueError("an email or IP ban needs the value's lookup hash")
    with repo.engine.begin() as conn:
        return conn.execute(  # type: ignore[index]
            insert(AuthorBan).values(
                kind=kind,
                value_hash=value_hash,
                network=network,
                note=note,
                created_by=actor,
                created_at=utcnow(),
                expires_at=expires_at,
            )
        ).inserted_primary_key[0]


def backdate(repo: Repository, comment_id: str, at: datetime) -> None:
    """Move a comment and its automatic decision back in time (queue ages, stats per day)."""
    with repo.engine.begin() as conn:
        conn.execute(
            update(Comment).where(Comment.id == comment_id).values(created_at=at, updated_at=at)
        )
        conn.execute(
            update(Decision)
            .where(Decision.comment_id == comment_id, Decision.kind == "automatic")
            .values(created_at=at)
        )


def make_reply(repo: Repository, comment_id: str, parent_id: str) -> None:
    """Hang a comment under another one (a reply in the same thread)."""
    with repo.engine.begin() as conn:
        conn.execute(
            update(Comment)
            .where(Comment.id == comment_id)
            .values(parent_id=parent_id, root_id=parent_id)
        )
