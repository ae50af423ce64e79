"""Serve the trained model: batch scores and per-comment explanations."""

from __future__ import annotations

import functools
import os
import pathlib
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from . import artifact, dehumanising, normalizer_check, threats
from . import normalize as _norm
from .data import sha256
from .dehumanising import dehumanising_spans, has_dehumanising
from .features import META_NAMES, to_matrix
from .signals import SPAM_PHRASES, phrase_prefilter, spam_signals
from .threats import has_threat, threat_spans

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

    from .features import HashedTextFeatures
    from .pipeline import CalibratedLinearHeads

ARTIFACTS_DIR = pathlib.Path(__file__).resolve().parent / "artifacts"
SHIPPED = "mizan-classifier"  # a directory: model.skops + model.json (its sidecar)
_FINE = ("obscene", "hate")
# Every comment has a length and a script share: their contribution is part of the baseline,
# not a reason, so explanations leave them out.
_BASELINE_META = frozenset(
    {"meta:length", "meta:n_words", "meta:arabic_share", "meta:latin_share", "meta:short_text"}
)
_LEXICON_META = frozenset({"meta:lexicon_hit", "meta:lexicon_hits", "meta:identity_insult"})
_ENTITY_OF_META = {
    "meta:has_url": "xurlx",
    "meta:n_urls": "xurlx",
    "meta:has_phone": "xphonex",
    "meta:n_phones": "xphonex",
    "meta:has_email": "xemailx",
    "meta:has_handle": "xhandlex",
    "meta:n_handles": "xhandlex",
}


@dataclass(frozen=True, slots=True)
class Scores:
    """Calibrated probabilities for one comment."""

    spam: float
    abuse: float
    labels: dict[str, float]
    # evidence the policy weighs with the scores (see models/signals.py, models/threats.py,
    # models/dehumanising.py and the card)
    insult: bool = False
    spam_signals: tuple[str, ...] = ()
    threat: bool = False
    dehumanising: bool = False
    # words in the normalised text (0 = not counted): a model rejection needs some context
    words: int = 0


# A word with asterisks between its letters ("ك*ب", "f**k"): self-censored profanity, which no
# word list can match because the hidden letter is gone.
_MASKED = re.compile(r"[^\W\d_]\*+[^\W\d_]")


def masked_word(normalized: str) -> bool:
    """True when the (normalised) text holds a word masked with asterisks."""
    return "*" in normalized and _MASKED.search(normalized) is not None


# Most comments hold no spam, threat or dehumanising phrase and no vermin word: one search
# rules out every list.
_ANY_EVIDENCE_PHRASE = phrase_prefilter(
    SPAM_PHRASES + dehumanising.VERMIN,
    threats.PHRASES + dehumanising.PHRASES,
    threats.GLUED_PREFIXES,
)


def _evidence(text: str, norm: str) -> tuple[tuple[str, ...], bool, bool]:
    """The spam signals, the threat flag and the dehumanising flag of a comment (``norm`` =
    its normalised text)."""
    if _ANY_EVIDENCE_PHRASE.search(norm):
        return spam_signals(text, norm), has_threat(norm), has_dehumanising(norm)
    return spam_signals(text, norm, phrases=False), False, False


class ModelUnavailable(Exception):  # noqa: N818 - name fixed by the service contract
    """No usable model artifact."""


class Classifier:
    """A loaded pipeline with its version, thresholds and sidecar metadata."""

    def __init__(self, pipeline: Pipeline, sidecar: dict[str, Any]) -> None:
        self.pipeline = pipeline
        self.sidecar = sidecar
        self.version: str = sidecar.get("version", "unknown")
        self.thresholds: dict[str, float] = dict(sidecar.get("thresholds", {}))
        self._features: HashedTextFeatures = pipeline.named_steps["features"]
        self._heads: CalibratedLinearHeads = pipeline.named_steps["heads"]
        self._index = {h: i for i, h in enumerate(self._heads.heads)}

    @functools.cached_property
    def normalizer_changed(self) -> bool:
        """True when the normaliser's output changed since training: scores may drift, retrain.

        Checked by the fingerprint of its output on fixed texts (``models/normalizer_check.py``,
        computed on first use: about a tenth of a second); a model without one (or recorded
        under another set of texts) is checked by the SHA-256 of models/normalize.py.
        """
        check = self.sidecar.get("normalizer_check") or {}
        if check.get("version") == normalizer_check.VERSION and check.get("fingerprint"):
            return bool(normalizer_check.fingerprint(_norm.normalize) != check["fingerprint"])
        recorded = self.sidecar.get("normalizer_sha256")
        current = pathlib.Path(_norm.__file__)
        return bool(recorded and current.is_file() and sha256(current) != recorded)

    def predict_matrix(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Return calibrated probabilities, one column per head (see ``head_names``)."""
        x = self._features.transform(list(texts))
        return self._heads.predict_proba(x)

    @property
    def head_names(self) -> tuple[str, ...]:
        """Return the heads in column order."""
        return tuple(self._heads.heads)

    def score(self, texts: Sequence[str]) -> list[Scores]:
        """Score a batch of comments."""
        if isinstance(texts, str):
            raise TypeError("score() takes a sequence of texts, not one string")
        if not len(texts):
            return []
        normalized = [_norm.normalize(t) for t in texts]  # once, for features and signals
        x = self._features.transform_normalized(normalized)
        p = self._heads.predict_proba(x)
        hit_col = (1 << self._features.n_bits) + META_NAMES.index("meta:lexicon_hit")
        if x.shape[0] == 1:  # the worker's single comment: no row bookkeeping
            insult = np.array([hit_col in x.indices])
        else:
            at = np.flatnonzero(x.indices == hit_col)
            insult = np.zeros(x.shape[0], dtype=bool)
            insult[np.searchsorted(x.indptr, at, side="right") - 1] = True
        spam, abuse = self._index["spam"], self._index["abuse"]
        fine = [(h, self._index[h]) for h in _FINE if h in self._index]
        return [
            Scores(
                spam=row[spam],
                abuse=row[abuse],
                labels={h: row[i] for h, i in fine},
                insult=hit or masked_word(norm),
                spam_signals=signals,
                threat=threat,
                dehumanising=dehumanised,
                words=len(norm.split()),
            )
            # Python lists: reading numpy rows item by item costs more than the scores
            for row, hit, text, norm in zip(
                p.tolist(), insult.tolist(), texts, normalized, strict=True
            )
            for signals, threat, dehumanised in (_evidence(text, norm),)
        ]

    def explain(self, text: str, top: int = 5) -> dict[str, list[dict[str, Any]]]:
        """Return the words and meta features that push each score up, with original spans."""
        feats = self._features
        normalized, offsets, batch = feats.feature_spans(text)
        x = to_matrix(batch, 1, feats.n_bits).tocsr()
        n_hash = 1 << feats.n_bits
        values = np.zeros(x.shape[1])
        values[x.indices] = x.data
        counts = np.bincount(batch.col, minlength=n_hash) if batch.col.size else None
        # word spans of the normalised text; every n-gram is credited to the word it starts in
        words = [
            (int(s), int(e))
            for s, e, k in zip(batch.start, batch.end, batch.kind, strict=True)
            if k == -1
        ]
        word_starts = np.array([s for s, _ in words], dtype=np.int64)
        out: dict[str, list[dict[str, Any]]] = {}
        for head in ("spam", "abuse"):
            col = self._heads.coef_[:, self._index[head]].toarray().ravel()
            a = float(self._heads.calibration_[self._index[head], 0])
            if int(getattr(self._heads, "stacked_head_", -1)) == self._index[head]:
                a = float(self._heads.stack_coef_[self._index[head]])  # slope on its own margin
            credit = np.zeros(len(words))
            if words and counts is not None:
                per = values[batch.col] * col[batch.col] / np.maximum(counts[batch.col], 1) * a
                owner = np.clip(
                    np.searchsorted(word_starts, batch.start, side="right") - 1, 0, len(words) - 1
                )
                np.add.at(credit, owner, per)
            items: list[dict[str, Any]] = []
            for i, (s, e) in enumerate(words):
                if credit[i] > 0:
                    span = _norm.original_span(offsets, s, e, len(text))
                    items.append(
                        {
                            "feature": normalized[s:e],
                            "weight": float(credit[i]),
                            "span": [int(span[0]), int(span[1])],
                        }
                    )
            for j, name in enumerate(META_NAMES):
                if name in _BASELINE_META:
                    continue
                contrib = float(values[n_hash + j] * col[n_hash + j] * a)
                if contrib > 0 and name in _LEXICON_META and batch.insult_start.size:
                    # the lexicon's weight belongs to the insult words that matched
                    share = contrib / batch.insult_start.size
                    for ws, we in zip(batch.insult_start, batch.insult_end, strict=True):
                        s0, e0 = _norm.original_span(offsets, int(ws), int(we), len(text))
                        items.append(
                            {
                                "feature": normalized[int(ws) : int(we)],
                                "weight": share,
                                "span": [int(s0), int(e0)],
                            }
                        )
                elif contrib > 0:
                    meta_span: list[int] | None = None
                    token = _ENTITY_OF_META.get(name)
                    pos = normalized.find(token) if token else -1
                    if token and pos >= 0:  # `token and`: always true when pos >= 0
                        s0, e0 = _norm.original_span(offsets, pos, pos + len(token), len(text))
                        meta_span = [int(s0), int(e0)]
                    items.append({"feature": name, "weight": contrib, "span": meta_span})
            merged: dict[tuple[str, tuple[int, ...] | None], dict[str, Any]] = {}
            for it in items:  # one entry per word: its n-grams and its lexicon hit add up
                key = (it["feature"], tuple(it["span"]) if it["span"] else None)
                if key in merged:
                    merged[key]["weight"] += it["weight"]
                else:
                    merged[key] = dict(it)
            ranked = sorted(merged.values(), key=lambda d: -d["weight"])
            found = [{**d, "weight": round(d["weight"], 4)} for d in ranked[:top]]
            if head == "abuse":  # a threat or dehumanising phrase is what a moderator should
                # see first
                phrases = []
                for kind, spans in (
                    ("threat", threat_spans(normalized)),
                    ("dehumanising", dehumanising_spans(normalized)),
                ):
                    for ts, te in spans:
                        s0, e0 = _norm.original_span(offsets, ts, te, len(text))
                        phrases.append(
                            {
                                "feature": normalized[ts:te],
                                "weight": 0.0,
                                "span": [int(s0), int(e0)],
                                "evidence": kind,
                            }
                        )
                found = phrases + found
            out[head] = found
        return out


def load(path: str | os.PathLike[str]) -> Classifier:
    """Load an artifact directory or .skops file; raise ModelUnavailable if it is unusable."""
    try:
        pipeline, sidecar = artifact.load(path)
    except artifact.ArtifactError as exc:
        raise ModelUnavailable(str(exc)) from exc
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise ModelUnavailable(f"cannot load model artifact: {exc}") from exc
    return Classifier(pipeline, sidecar)


def default_artifact_path() -> pathlib.Path:
    """Return the shipped artifact directory (models/artifacts/mizan-classifier/)."""
    return ARTIFACTS_DIR / SHIPPED


def load_default() -> Classifier:
    """Load the shipped model; raise ModelUnavailable if none is shipped."""
    path = default_artifact_path()
    if not (path / artifact.MODEL_FILE).is_file():
        raise ModelUnavailable(f"no shipped model at models/artifacts/{SHIPPED}; run mizan train")
    return load(path)
