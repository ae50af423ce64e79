"""The moderation policy: scores and rules in, a decision with its reasons out.

Routing on the classifier's calibrated probabilities (spam, abuse) and the evidence it found in
the text (``Scores.spam_signals``: a link, phone number, handle, contact, money, promotion or
"healer" phrase; ``Scores.insult``: a word of the insult lexicon):

* spam needs evidence: spam when spam >= spam and the comment carries a spam signal; a signal
  with a lower score holds (a way to reach someone or an offer is worth a moderator's look);
  without any signal the spam score only holds, and only from hold_spam_unsupported up;
* rejected when abuse >= reject_abuse (held instead with MIZAN_HIGH_ABUSE_ACTION=hold, or
  when the comment has fewer than MIN_WORDS_TO_REJECT words);
* held when abuse >= approve_abuse, or >= approve_abuse_insult (never higher) when the
  comment has an insult word: the word is evidence that lowers the bar, not a verdict; a
  comment of one or two words without an insult word is held only from reject_abuse up
  (MIN_WORDS_FOR_SCORE_ALONE);
* held, whatever its scores, when the comment has a threat or a call to violence
  (``Scores.threat``, models/threats.py: "we know where you live", "يستاهل رصاصة في راسه");
  the phrases occur in 11 of 73k published news comments, each a call to kill someone;
* held, whatever its scores, when the comment calls a group vermin or animals or sends it
  back to the jungle (``Scores.dehumanising``, models/dehumanising.py: hate that carries no
  insult word);
* approved otherwise.

Thresholds, first match wins: the post's section (MIZAN_SECTION_THRESHOLDS), the site-wide
overrides (MIZAN_THRESHOLD_*), the thresholds shipped in the model's sidecar (chosen by the model's
evaluation for a stated precision: see models/MODEL_CARD.md), then DEFAULT_THRESHOLDS below.

Rules add findings: banned author, blocked domain, blocked term and near-duplicate across articles
are spam (a blocked term may reject instead); watched terms, too many links and the soft flood
limit hold. The most severe outcome wins (spam > rejected > held > approved). A trusted author
(enough approved comments under the same email and the same signed browser token) skips the spam
score and the holding rules, and is approved unless the abuse score reaches approve_abuse; bans,
blocked terms and domains and duplicates still apply. Pre-moderation turns an approval into a hold.
With no model, or when scoring fails, nothing is approved: the comment is held with the reason
unless a rule already made it spam or rejected. Shadow mode records the computed decision with
applied=false and gives the comment the fixed status.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from mizan.service.policy.rules import SEVERITY, Finding

POLICY_VERSION = "policy-7"

# A model rejection needs at least this many words; shorter comments are held instead.
MIN_WORDS_TO_REJECT = 3
# Below this many words the abuse score alone holds only from the reject cut up; an insult word
# (or a masked one) restores the ordinary cuts. The annotated news comments that choose the cuts
# hold 8 comments of one or two words in 3,200, so for a lone word ("قتل", "اليهود", "انتم")
# the calibrated score is an extrapolation, and a hold costs the reader the publication.
MIN_WORDS_FOR_SCORE_ALONE = 3
# Used only when neither the settings nor the model provide a threshold.
DEFAULT_THRESHOLDS = {
    "approve_spam": 0.5,
    "approve_abuse": 0.5,
    "approve_abuse_insult": 0.5,
    "spam": 0.9,
    "hold_spam_unsupported": 0.99,
    "reject_abuse": 0.95,
}


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    """The policy's knobs, read once from the settings."""

    shadow_mode: str = "off"
    overrides: tuple[tuple[str, float], ...] = ()
    sections: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()
    high_abuse_action: str = "reject"
    max_links: int = 2
    flood_hold_email_limit: int = 5
    flood_hold_ip_limit: int = 30
    flood_hold_window: int = 600
    trusted_min_approved: int = 3

    @classmethod
    def from_settings(cls, settings) -> PolicyConfig:
        return cls(
            shadow_mode=settings.shadow_mode,
            overrides=settings.threshold_overrides,
            sections=settings.section_thresholds,
            high_abuse_action=settings.high_abuse_action,
            max_links=settings.max_links,
            flood_hold_email_limit=settings.flood_hold_email_limit,
            flood_hold_ip_limit=settings.flood_hold_ip_limit,
            flood_hold_window=settings.flood_hold_window,
            trusted_min_approved=settings.trusted_min_approved,
        )

    def thresholds(self, model_thresholds: dict | None, section: str | None) -> dict[str, float]:
        """Thresholds for a comment in `section` (see the module docstring for precedence)."""
        t = {
            **DEFAULT_THRESHOLDS,
            **{k: float(v) for k, v in (model_thresholds or {}).items() if k in DEFAULT_THRESHOLDS},
        }
        t.update(dict(self.overrides))
        if section:
            t.update(dict(dict(self.sections).get(section, ())))
        return t

    @property
    def version(self) -> str:
        """The policy version recorded with each decision: code version + digest of the knobs."""
        blob = json.dumps(
            [
                self.shadow_mode,
                self.overrides,
                self.sections,
                self.high_abuse_action,
                self.max_links,
                self.flood_hold_email_limit,
                self.flood_hold_ip_limit,
                self.flood_hold_window,
                self.trusted_min_approved,
            ]
        )
        return f"{POLICY_VERSION}+{hashlib.blake2b(blob.encode(), digest_size=4).hexdigest()}"


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules found about one comment."""

    findings: Sequence[Finding] = ()
    trusted: bool = False
    premoderation: bool = False


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: str
    decided_by: str
    reasons: list = field(default_factory=list)
    scores: dict = field(default_factory=dict)
    applied: bool = True
    status: str = ""

    def __post_init__(self) -> None:
        if not self.status:
            object.__setattr__(self, "status", self.outcome)


def _round_scores(scores) -> dict:
    s = {"spam": round(float(scores.spam), 4), "abuse": round(float(scores.abuse), 4)}
    for label, value in (getattr(scores, "labels", None) or {}).items():
        s[label] = round(float(value), 4)
    return s


def route(
    s: dict,
    t: dict[str, float],
    *,
    high_abuse_action: str = "reject",
    trusted: bool = False,
    insult: bool = False,
    signals: Sequence[str] = (),
    words: int = 0,
    threat: bool = False,
    dehumanising: bool = False,
) -> list[Finding]:
    """The model's own findings from rounded scores, thresholds and evidence (empty when clean).

    ``words``: the comment's word count (0 = unknown). Below MIN_WORDS_TO_REJECT the model
    holds instead of rejecting: one or two words ("لعنة", the oil "curse" of a news headline)
    carry too little context for a decision no moderator sees.
    """
    out: list[Finding] = []
    if not trusted:
        if signals and s["spam"] >= t["spam"]:
            reason = {"code": "spam_score", "score": s["spam"], "threshold": t["spam"]}
            out.append(Finding("spam", {**reason, "signals": list(signals)}))
        elif signals:
            reason = {"code": "spam_signal", "score": s["spam"], "signals": list(signals)}
            out.append(Finding("held", reason))
        elif s["spam"] >= t["hold_spam_unsupported"]:
            reason = {
                "code": "spam_score",
                "score": s["spam"],
                "threshold": t["hold_spam_unsupported"],
                "signals": [],
            }
            out.append(Finding("held", reason))
    approve = min(t["approve_abuse_insult"], t["approve_abuse"]) if insult else t["approve_abuse"]
    if s["abuse"] >= t["reject_abuse"]:
        short = 0 < words < MIN_WORDS_TO_REJECT
        outcome = "rejected" if high_abuse_action == "reject" and not short else "held"
        reason = {"code": "abuse_score", "score": s["abuse"], "threshold": t["reject_abuse"]}
        out.append(Finding(outcome, {**reason, "insult_term": insult}))
    elif s["abuse"] >= approve and (insult or not 0 < words < MIN_WORDS_FOR_SCORE_ALONE):
        reason = {"code": "abuse_score", "score": s["abuse"], "threshold": approve}
        out.append(Finding("held", {**reason, "insult_term": insult}))
    if threat:  # a moderator reads every threat; the score decides only whether to reject
        out.append(Finding("held", {"code": "threat_phrase", "score": s["abuse"]}))
    if dehumanising:  # hate without an insult word: a moderator reads it
        out.append(Finding("held", {"code": "dehumanising_phrase", "score": s["abuse"]}))
    return out


def decide(
    scores,
    thresholds: dict[str, float] | None,
    facts: Facts | None = None,
    config: PolicyConfig | None = None,
    *,
    failure: dict | None = None,
) -> Verdict:
    """Combine the model's scores (None when unavailable) with the rules' findings."""
    config = config or PolicyConfig()
    facts = facts or Facts()
    t = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    candidates: list[tuple[Finding, str]] = []  # (finding, decided_by)
    for f in facts.findings:
        if facts.trusted and f.outcome == "held":
            continue  # trusted authors skip the holding rules (links, watched terms, flood)
        candidates.append((f, "rule"))
    s: dict = {}
    if scores is None:
        candidates.append((Finding("held", failure or {"code": "no_model"}), "failure"))
    else:
        s = _round_scores(scores)
        found = route(
            s,
            t,
            high_abuse_action=config.high_abuse_action,
            trusted=facts.trusted,
            insult=bool(getattr(scores, "insult", False)),
            signals=tuple(getattr(scores, "spam_signals", ()) or ()),
            words=int(getattr(scores, "words", 0) or 0),
            threat=bool(getattr(scores, "threat", False)),
            dehumanising=bool(getattr(scores, "dehumanising", False)),
        )
        candidates.extend((f, "model") for f in found)
    if facts.premoderation:
        candidates.append((Finding("held", {"code": "premoderation"}), "rule"))
    if candidates:
        top = max(SEVERITY[f.outcome] for f, _ in candidates)
        # sorted() is stable: among equally severe findings the rules' order is kept
        ordered = sorted(candidates, key=lambda c: -SEVERITY[c[0].outcome])
        outcome = ordered[0][0].outcome
        decided_by = ordered[0][1]
        reasons = [f.reason for f, _ in ordered]
        assert SEVERITY[outcome] == top
    else:
        outcome = "approved"
        if facts.trusted:
            decided_by, reasons = "rule", [{"code": "trusted_author"}]
        else:
            decided_by, reasons = (
                "model",
                [
                    {
                        "code": "below_thresholds",
                        "thresholds": {"spam": t["approve_spam"], "abuse": t["approve_abuse"]},
                    }
                ],
            )
    if facts.trusted and outcome != "approved":
        reasons.append({"code": "trusted_author"})
    if config.shadow_mode in ("hold", "approve"):
        status = "held" if config.shadow_mode == "hold" else "approved"
        reasons.append({"code": "shadow_mode", "status": status})
        return Verdict(outcome, decided_by, reasons, s, applied=False, status=status)
    return Verdict(outcome, decided_by, reasons, s)


# Which head's explanation a model reason points at.
_HEAD_OF_CODE = {
    "abuse_score": "abuse",
    "threat_phrase": "abuse",
    "dehumanising_phrase": "abuse",
    "spam_score": "spam",
    "spam_signal": "spam",
}
EXPLAINED_SPANS = 3


def needs_explanation(v: Verdict) -> bool:
    """True when the verdict holds, rejects or marks spam on the model's own findings."""
    return v.decided_by == "model" and any(r.get("code") in _HEAD_OF_CODE for r in v.reasons)


# The explanation items (``evidence``) a phrase reason points at.
_EVIDENCE_OF_CODE = {"threat_phrase": "threat", "dehumanising_phrase": "dehumanising"}


def with_spans(reasons: list[dict], explanation: dict[str, list[dict]]) -> list[dict]:
    """Attach to each model reason the spans of the words that pushed its score most.

    A threat or dehumanising reason points at its phrase; the abuse score beside it points at
    the model's words, so the desk names each range by the reason it belongs to.
    """
    codes = {r.get("code") for r in reasons}
    phrases = {_EVIDENCE_OF_CODE[c] for c in codes if c in _EVIDENCE_OF_CODE}
    words_shown = "abuse_score" in codes
    out = []
    for r in reasons:
        head = _HEAD_OF_CODE.get(r.get("code", ""))
        items = explanation.get(head, []) if head else []
        kind = _EVIDENCE_OF_CODE.get(r.get("code", ""))
        if kind:  # its phrase first; the model's words too, once, unless the score shows them
            own = [it for it in items if it.get("evidence") == kind]
            words = [] if words_shown else [it for it in items if not it.get("evidence")]
            words_shown = True
            items = own + words
        else:
            items = [it for it in items if it.get("evidence") not in phrases]
        spans: list[list[int]] = []
        for it in items:  # a word and its entity placeholder can point at the same range,
            # a threat phrase holds the words the model weighed in it, and an insult pair
            # ("يا كلب") holds its insult word: a range that overlaps a stronger one is left out
            sp = it.get("span")
            if sp and not any(sp[0] < e0 and s0 < sp[1] for s0, e0 in spans):
                spans.append(list(sp))
        spans = spans[:EXPLAINED_SPANS]
        out.append({**r, "spans": spans} if head else r)
    return out


def decide_without_model(error: str | None = None) -> Verdict:
    """Failure policy: with no usable model, hold for a moderator; never approve blindly."""
    return decide(None, None, failure={"code": "no_model"})


# --- what the author's status poll may show ---------------------------------------------------
SPAM_CODES = frozenset(
    {"spam_score", "spam_signal", "blocked_domain", "duplicate", "banned_author", "honeypot"}
)
ABUSE_CODES = frozenset({"abuse_score", "threat_phrase", "dehumanising_phrase"})


def reason_category(outcome: str, reasons: Sequence[dict] | None) -> str | None:
    """What the author's status poll may show: a category, never which rule fired.

    One of "spam", "abuse", "links", "review" (held for a person to look at), or None for an
    approved or pending comment.
    """
    if outcome in ("approved", "pending"):
        return None
    first = (reasons or [{}])[0] if reasons else {}
    code = first.get("code")
    if outcome == "spam" or code in SPAM_CODES and outcome != "held":
        return "spam"
    if outcome == "rejected" or code in ABUSE_CODES:
        return "abuse"
    if code == "too_many_links":
        return "links"
    return "review"
