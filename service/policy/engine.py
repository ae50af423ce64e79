"""Gather every rule's findings for a batch of pending comments with a handful of queries."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from mizan.service.crypto import Keys
from mizan.service.policy.repository import PendingComment, PolicyRepository, since
from mizan.service.policy.rules import Finding
from mizan.service.policy.rules.authors import BanList, is_trusted
from mizan.service.policy.rules.duplicates import DuplicateIndex, Item, check_duplicate
from mizan.service.policy.rules.flood import check_flood
from mizan.service.policy.rules.links import check_links
from mizan.service.policy.rules.wordlists import WordList
from mizan.service.policy.verdict import Facts, PolicyConfig

log = logging.getLogger("mizan.rules")


class _Cached:
    """A value reloaded at most every `ttl` seconds (moderators' edits show up within `ttl`)."""

    def __init__(self, load: Callable[[], object], ttl: float) -> None:
        self._load, self._ttl = load, ttl
        self._value: object = None
        self._at = -1e18
        self._lock = threading.Lock()

    def get(self):
        with self._lock:
            now = time.monotonic()
            if now - self._at >= self._ttl:
                self._value = self._load()
                self._at = now
            return self._value


class RuleEngine:
    """Word lists, domains and bans cached per process; history queried per batch."""

    def __init__(
        self,
        repo: PolicyRepository,
        keys: Keys,
        config: PolicyConfig,
        *,
        redis_client=None,
        duplicate_window: int = 0,
        cache_seconds: float = 5.0,
    ) -> None:
        self.repo = repo
        self.keys = keys
        self.config = config
        self.duplicates = DuplicateIndex(redis_client, duplicate_window) if redis_client else None
        self._words = _Cached(
            lambda: WordList((t.term, t.list, t.action) for t in repo.terms()), cache_seconds
        )
        self._domains = _Cached(lambda: frozenset(repo.blocked_domains()), cache_seconds)
        self._bans = _Cached(lambda: BanList.build(repo.active_bans()), cache_seconds)

    def facts(self, batch: Sequence[PendingComment]) -> list[Facts]:
        """The rules' findings for each comment of the batch, in order."""
        cfg = self.config
        words: WordList = self._words.get()
        domains = self._domains.get()
        bans: BanList = self._bans.get()
        posts = self.repo.post_policies(c.post_id for c in batch)
        trusted_counts = {}
        if cfg.trusted_min_approved:
            trusted_counts = self.repo.approved_counts(
                (c.author_email_hash, c.browser_token_hash) for c in batch if c.browser_token_hash
            )
        window = since(cfg.flood_hold_window)
        email_counts = {}
        if cfg.flood_hold_email_limit:
            email_counts = self.repo.recent_counts(
                "email", (c.author_email_hash for c in batch), window
            )
        ip_counts = (
            self.repo.recent_counts("ip", (c.ip_hash for c in batch), window)  # type: ignore[misc]
            if cfg.flood_hold_ip_limit
            else {}
        )
        dups = self._duplicates(batch)
        out = []
        for c in batch:
            findings: list[Finding] = []
            ip = self.keys.decrypt(c.ip_enc) if bans.networks and c.ip_enc else None
            findings += bans.check(c.author_email_hash, c.ip_hash, ip)
            findings += check_duplicate(dups.get(c.id))
            findings += check_links(c.body, c.author_url, cfg.max_links, domains)
            for m in words.match(c.body) if words else ():
                if m.list == "blocked":
                    findings.append(
                        Finding(
                            "spam" if m.action == "spam" else "rejected",
                            {
                                "code": "blocked_term",
                                "term": m.term,
                                "span": list(m.span),
                                "action": m.action,
                            },
                        )
                    )
                else:
                    findings.append(
                        Finding(
                            "held", {"code": "watched_term", "term": m.term, "span": list(m.span)}
                        )
                    )
            findings += check_flood(
                email_counts.get(c.author_email_hash, 0),
                ip_counts.get(c.ip_hash, 0) if c.ip_hash else 0,
                email_limit=cfg.flood_hold_email_limit,
                ip_limit=cfg.flood_hold_ip_limit,
                window=cfg.flood_hold_window,
            )
            approved = trusted_counts.get((c.author_email_hash, c.browser_token_hash), 0)  # type: ignore[arg-type]
            post = posts.get(c.post_id)
            out.append(
                Facts(
                    findings,
                    is_trusted(approved, cfg.trusted_min_approved),
                    bool(post and post.premoderation),
                )
            )
        return out

    def _duplicates(self, batch: Sequence[PendingComment]) -> dict:
        if self.duplicates is None:
            return {}
        try:
            return self.duplicates.check(
                [Item(c.id, c.post_id, c.author_email_hash, c.body) for c in batch]
            )
        except Exception as exc:  # noqa: BLE001 - fail open: the other rules still run
            log.warning("duplicate check unavailable: %s", type(exc).__name__)
            return {}
