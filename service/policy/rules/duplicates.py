"""Near-duplicate texts across articles, remembered in Redis with MinHash and LSH bands.

Each comment's normalised text becomes a 64-value MinHash signature over character 5-grams;
sixteen bands of four values are claimed in Redis with SET NX for the duplicate window. A later
comment that shares a band with an earlier one and whose estimated Jaccard similarity reaches
`SIMILARITY` is a duplicate of it. The duplicate is spam when the earlier copy is on another
article or came from the same author; readers repeating a formula under one article ("الله
يرحمه ...") are left alone. Texts under `MIN_WORDS` words are never compared: "شكرا" is not spam.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mizan.models.normalize import normalize
from mizan.service.policy.rules import Finding

K, BANDS = 64, 16
SHINGLE = 5
ROWS = K // BANDS
SIMILARITY = 0.7
MIN_WORDS = 8
PREFIX = "mizan:dup"
_WORD = re.compile(r"[^\W_]+")
_rng = np.random.default_rng(20261129)  # fixed: every process must compute the same signatures
_A = _rng.integers(1, 2**63 - 1, size=K, dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 2**63 - 1, size=K, dtype=np.uint64)
_P = np.uint64(1_000_003)


def signature(text: str) -> tuple[int, ...] | None:
    """MinHash of the normalised text's character 5-grams; None for texts too short to compare."""
    words = _WORD.findall(normalize(text))
    if len(words) < MIN_WORDS:
        return None
    codes = np.frombuffer(" ".join(words).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = max(1, len(codes) - SHINGLE + 1)
    x = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(min(SHINGLE, len(codes))):  # polynomial hash of each 5-gram, vectorised
            x = x * _P + codes[j : j + n]
        h = (_A[:, None] * x[None, :] + _B[:, None]) >> np.uint64(16)
    return tuple(h.min(axis=1).tolist())


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / K


def _band_keys(sig: Sequence[int]) -> list[str]:
    out = []
    for band in range(BANDS):
        part = sig[band * ROWS : (band + 1) * ROWS]
        digest = hashlib.blake2b(repr(tuple(part)).encode(), digest_size=10).hexdigest()
        out.append(f"{PREFIX}:b{band}:{digest}")
    return out


@dataclass(frozen=True, slots=True)
class Item:
    comment_id: str
    post_id: str
    author: str
    text: str


@dataclass(frozen=True, slots=True)
class Duplicate:
    of: str
    similarity: float
    same_post: bool
    same_author: bool


class DuplicateIndex:
    """The Redis side of duplicate detection; one round trip (two when candidates exist)."""

    def __init__(self, client, window: int) -> None:
        self.client = client
        self.window = window

    def check(self, items: Sequence[Item]) -> dict[str, Duplicate]:
        """Register `items` (in order) and return, per comment id, the earlier copy it repeats.

        Re-running with the same comment ids finds their own claims and reports nothing new,
        so a redelivered task decides the same way.
        """
        if not self.window or not items:
            return {}
        sigs = [(it, signature(it.text)) for it in items]
        sigs = [(it, s) for it, s in sigs if s is not None]
        if not sigs:
            return {}
        pipe = self.client.pipeline(transaction=False)
        for it, sig in sigs:
            meta = json.dumps({"p": it.post_id, "a": it.author, "s": list(sig)})  # type: ignore[arg-type]
            pipe.set(f"{PREFIX}:sig:{it.comment_id}", meta, ex=self.window)
            for key in _band_keys(sig):  # type: ignore[arg-type]
                # SET NX then GET, not SET NX GET: that form needs Redis 7, and the embedded
                # default ships Redis 6.2. GET then names the band's first owner (maybe us).
                pipe.set(key, it.comment_id, nx=True, ex=self.window)
                pipe.get(key)
        replies = pipe.execute()
        owners: dict[str, set[str]] = {}
        step = 1 + 2 * BANDS
        for n, (it, _sig) in enumerate(sigs):
            gets = replies[n * step + 2 : (n + 1) * step : 2]
            prev = {r.decode() for r in gets if r is not None}
            prev.discard(it.comment_id)
            if prev:
                owners[it.comment_id] = prev
        if not owners:
            return {}
        wanted = sorted({o for s in owners.values() for o in s})
        raw_metas = self.client.mget([f"{PREFIX}:sig:{o}" for o in wanted])
        metas = dict(zip(wanted, raw_metas, strict=True))
        out: dict[str, Duplicate] = {}
        for it, sig in sigs:
            best = None
            for other in sorted(owners.get(it.comment_id, ())):
                raw = metas.get(other)
                if raw is None:
                    continue
                meta = json.loads(raw)
                sim = similarity(sig, meta["s"])  # type: ignore[arg-type]
                if sim >= SIMILARITY and (best is None or sim > best.similarity):
                    best = Duplicate(other, sim, meta["p"] == it.post_id, meta["a"] == it.author)
            if best is not None:
                out[it.comment_id] = best
        return out


def check_duplicate(dup: Duplicate | None) -> list[Finding]:
    """Spam when the earlier copy is on another article or from the same author."""
    if dup is None or (dup.same_post and not dup.same_author):
        return []
    return [
        Finding(
            "spam",
            {
                "code": "duplicate",
                "of": dup.of,
                "similarity": round(dup.similarity, 2),
                "scope": "same_author" if dup.same_author else "other_article",
            },
        )
    ]
