"""The policy: thresholds, rule findings, trust, pre-moderation, shadow mode and categories."""

import pytest

from mizan.models.classifier import Scores
from mizan.service.config import ConfigError, Settings
from mizan.service.policy.rules import Finding
from mizan.service.policy.verdict import (
    DEFAULT_THRESHOLDS,
    Facts,
    PolicyConfig,
    decide,
    decide_without_model,
    needs_explanation,
    reason_category,
)

T = {"approve_spam": 0.3, "approve_abuse": 0.4, "spam": 0.8, "reject_abuse": 0.85}


def s(spam, abuse, signals=(), insult=False):
    return Scores(
        spam=spam, abuse=abuse, labels={"hate": 0.01}, spam_signals=signals, insult=insult
    )


LINK = ("link",)


@pytest.mark.parametrize(
    ("spam", "abuse", "signals", "outcome", "first_reason"),
    [
        (
            0.1,
            0.1,
            (),
            "approved",
            {"code": "below_thresholds", "thresholds": {"spam": 0.3, "abuse": 0.4}},
        ),
        (
            0.8,
            0.1,
            LINK,
            "spam",
            {"code": "spam_score", "score": 0.8, "threshold": 0.8, "signals": ["link"]},
        ),
        (
            0.1,
            0.93,
            (),
            "rejected",
            {"code": "abuse_score", "score": 0.93, "threshold": 0.85, "insult_term": False},
        ),
        # evidence without a spam score worth the name still earns a moderator's look
        (0.05, 0.1, LINK, "held", {"code": "spam_signal", "score": 0.05, "signals": ["link"]}),
        (
            0.1,
            0.6,
            (),
            "held",
            {"code": "abuse_score", "score": 0.6, "threshold": 0.4, "insult_term": False},
        ),
        (0.29, 0.39, (), "approved", None),
        (0.1, 0.4, (), "held", None),  # at the approve threshold: no longer auto-approved
    ],
)
def test_three_way_routing(spam, abuse, signals, outcome, first_reason):
    v = decide(s(spam, abuse, signals), T)
    assert v.outcome == outcome and v.status == outcome and v.applied
    if first_reason:
        assert v.reasons[0] == first_reason
    assert v.scores["spam"] == spam and v.scores["hate"] == 0.01


@pytest.mark.parametrize("spam", [0.5, 0.8, 0.95, 0.989])
def test_spam_score_without_evidence_never_sends_to_spam(spam):
    # "متابعة ممتازة" once scored 0.82 spam: a score alone is not evidence of spam
    assert decide(s(spam, 0.1), T).outcome == "approved"


def test_spam_score_without_evidence_holds_only_above_its_own_cut():
    t = {**T, "hold_spam_unsupported": 0.9}
    v = decide(s(0.95, 0.1), t)
    assert v.outcome == "held"
    assert v.reasons[0] == {"code": "spam_score", "score": 0.95, "threshold": 0.9, "signals": []}


def test_an_insult_word_lowers_the_approve_cut_but_is_no_verdict():
    t = {**T, "approve_abuse_insult": 0.1}
    assert decide(s(0.0, 0.2), t).outcome == "approved"
    held = decide(s(0.0, 0.2, insult=True), t)
    assert held.outcome == "held" and held.reasons[0]["insult_term"] is True
    # the insult cut never raises the bar above the plain one
    assert decide(s(0.0, 0.5, insult=True), {**T, "approve_abuse_insult": 0.9}).outcome == "held"
    # and an insult word with a low score is still approved
    assert decide(s(0.0, 0.05, insult=True), t).outcome == "approved"


def test_a_threat_phrase_holds_whatever_the_score():
    threat = Scores(spam=0.0, abuse=0.01, labels={}, words=4, threat=True)
    held = decide(threat, T)
    assert held.outcome == "held" and held.decided_by == "model"
    assert held.reasons == [{"code": "threat_phrase", "score": 0.01}]
    assert needs_explanation(held)  # the desk highlights the phrase
    assert reason_category(held.outcome, held.reasons) == "abuse"
    # the score still decides a rejection, and the threat stays among the reasons
    both = decide(Scores(spam=0.0, abuse=0.99, labels={}, words=4, threat=True), T)
    assert both.outcome == "rejected"
    assert [r["code"] for r in both.reasons] == ["abuse_score", "threat_phrase"]
    # a trusted author's threat is held too: trust skips the holding rules, not the model
    trusted = decide(threat, T, Facts(trusted=True))
    assert trusted.outcome == "held"
    assert decide(Scores(spam=0.0, abuse=0.01, labels={}, words=4), T).outcome == "approved"


def test_a_dehumanising_phrase_holds_whatever_the_score():
    hate = Scores(spam=0.0, abuse=0.01, labels={}, words=4, dehumanising=True)
    held = decide(hate, T)
    assert held.outcome == "held" and held.decided_by == "model"
    assert held.reasons == [{"code": "dehumanising_phrase", "score": 0.01}]
    assert needs_explanation(held)
    assert reason_category(held.outcome, held.reasons) == "abuse"
    # it never rejects on its own; the score still can
    both = decide(Scores(spam=0.0, abuse=0.99, labels={}, words=4, dehumanising=True), T)
    assert both.outcome == "rejected"
    assert [r["code"] for r in both.reasons] == ["abuse_score", "dehumanising_phrase"]
    assert decide(hate, T, Facts(trusted=True)).outcome == "held"


@pytest.mark.parametrize(
    ("words", "outcome"), [(1, "held"), (2, "held"), (3, "rejected"), (0, "rejected")]
)
def test_a_model_rejection_needs_three_words(words, outcome):
    # 0 = not counted (older callers): the cut alone decides, as before
    scores = Scores(spam=0.1, abuse=0.95, labels={}, words=words)
    v = decide(scores, T)
    assert v.outcome == outcome and v.reasons[0]["code"] == "abuse_score"


@pytest.mark.parametrize(
    ("words", "insult", "outcome"),
    [
        (1, False, "approved"),
        (2, False, "approved"),
        (3, False, "held"),
        (0, False, "held"),
        (1, True, "held"),
        (2, True, "held"),
    ],
)
def test_one_or_two_words_are_held_on_the_score_only_with_an_insult_word(words, insult, outcome):
    # between the approve and reject cuts: a lone word's score is no evidence by itself
    scores = Scores(spam=0.1, abuse=0.7, labels={}, words=words, insult=insult)
    assert decide(scores, T).outcome == outcome


def test_one_word_at_the_reject_cut_is_still_held():
    assert decide(Scores(spam=0.1, abuse=0.95, labels={}, words=1), T).outcome == "held"


def test_high_abuse_can_hold_instead_of_reject():
    v = decide(s(0.1, 0.95), T, config=PolicyConfig(high_abuse_action="hold"))
    assert v.outcome == "held" and v.reasons[0]["code"] == "abuse_score"


def test_thresholds_precedence_model_then_settings_then_section():
    cfg = PolicyConfig(overrides=(("spam", 0.7),), sections=(("sport", (("approve_abuse", 0.6),)),))
    t = cfg.thresholds({"approve_abuse": 0.2, "spam": 0.95, "junk": 1}, None)
    assert t == {**DEFAULT_THRESHOLDS, "approve_abuse": 0.2, "spam": 0.7}
    assert cfg.thresholds({"approve_abuse": 0.2}, "sport")["approve_abuse"] == 0.6
    # the same comment is held on the front page and approved in the sport section
    model = {"approve_abuse": 0.2}
    assert decide(s(0.1, 0.5), cfg.thresholds(model, None)).outcome == "held"
    assert decide(s(0.1, 0.5), cfg.thresholds(model, "sport")).outcome == "approved"


def test_rule_findings_take_the_most_severe_outcome_and_keep_all_reasons():
    facts = Facts(
        [
            Finding("held", {"code": "too_many_links", "count": 4, "limit": 2}),
            Finding("spam", {"code": "blocked_domain", "domain": "1xbet.com"}),
        ]
    )
    v = decide(s(0.1, 0.1), T, facts)
    assert v.outcome == "spam" and v.decided_by == "rule"
    assert [r["code"] for r in v.reasons] == ["blocked_domain", "too_many_links"]


def test_watched_term_holds_a_clean_comment():
    v = decide(
        s(0.0, 0.0),
        T,
        Facts([Finding("held", {"code": "watched_term", "term": "حمار", "span": [4, 8]})]),
    )
    assert v.outcome == "held"
    assert v.reasons == [{"code": "watched_term", "term": "حمار", "span": [4, 8]}]


def test_trusted_author_skips_spam_score_and_holding_rules_but_not_abuse_or_bans():
    trusted = Facts(
        [Finding("held", {"code": "too_many_links", "count": 3, "limit": 2})], trusted=True
    )
    v = decide(s(0.95, 0.1, LINK), T, trusted)
    assert v.outcome == "approved" and v.reasons == [{"code": "trusted_author"}]
    assert decide(s(0.1, 0.5), T, trusted).outcome == "held"
    assert decide(s(0.1, 0.9), T, trusted).outcome == "rejected"
    banned = Facts(
        [Finding("spam", {"code": "banned_author", "by": "email", "ban_id": 1})], trusted=True
    )
    assert decide(s(0.0, 0.0), T, banned).outcome == "spam"


def test_untrusted_author_with_same_scores_is_held():
    assert decide(s(0.5, 0.1, LINK), T, Facts([], trusted=False)).outcome == "held"


def test_premoderation_holds_what_would_be_approved_but_keeps_spam():
    v = decide(s(0.0, 0.0), T, Facts(premoderation=True))
    assert v.outcome == "held" and v.reasons == [{"code": "premoderation"}]
    assert decide(s(0.9, 0.0, LINK), T, Facts(premoderation=True)).outcome == "spam"


def test_without_a_model_nothing_is_approved_but_rules_still_apply():
    v = decide_without_model()
    assert (v.outcome, v.decided_by, v.reasons) == ("held", "failure", [{"code": "no_model"}])
    v = decide(None, T, failure={"code": "scoring_failed", "error": "ValueError"})
    assert v.outcome == "held" and v.reasons[0]["code"] == "scoring_failed"
    ban = Finding("spam", {"code": "banned_author", "by": "ip", "ban_id": 2})
    v = decide(None, T, Facts([ban]))
    assert v.outcome == "spam"
    assert decide(None, T, Facts(trusted=True)).outcome == "held"


@pytest.mark.parametrize(("mode", "status"), [("hold", "held"), ("approve", "approved")])
def test_shadow_mode_records_the_decision_but_applies_the_fixed_status(mode, status):
    cfg = PolicyConfig(shadow_mode=mode)
    v = decide(s(0.95, 0.0, LINK), T, config=cfg)
    assert v.outcome == "spam" and v.status == status and v.applied is False
    assert v.reasons[-1] == {"code": "shadow_mode", "status": status}


def test_shadow_mode_off_applies():
    v = decide(s(0.95, 0.0, LINK), T, config=PolicyConfig(shadow_mode="off"))
    assert v.status == "spam" and v.applied


@pytest.mark.parametrize(
    ("outcome", "reasons", "category"),
    [
        ("approved", [{"code": "below_thresholds"}], None),
        ("pending", [], None),
        ("spam", [{"code": "banned_author", "by": "email", "ban_id": 1}], "spam"),
        (
            "rejected",
            [{"code": "blocked_term", "term": "x", "span": [0, 1], "action": "reject"}],
            "abuse",
        ),
        ("held", [{"code": "abuse_score", "score": 0.6, "threshold": 0.4}], "abuse"),
        ("held", [{"code": "too_many_links", "count": 3, "limit": 2}], "links"),
        ("held", [{"code": "watched_term", "term": "x", "span": [0, 1]}], "review"),
        ("held", [{"code": "no_model"}], "review"),
    ],
)
def test_reason_category_names_a_category_never_the_rule(outcome, reasons, category):
    got = reason_category(outcome, reasons)
    assert got == category
    assert got is None or "term" not in got


def test_policy_version_changes_with_the_knobs():
    assert PolicyConfig().version.startswith("policy-7+")
    assert PolicyConfig().version != PolicyConfig(max_links=5).version


def test_settings_parse_policy_variables():
    st = Settings.from_env(
        {
            "MIZAN_SHADOW_MODE": "hold",
            "MIZAN_THRESHOLD_APPROVE_ABUSE": "0.35",
            "MIZAN_SECTION_THRESHOLDS": '{"sport": {"approve_abuse": 0.6}}',
            "MIZAN_MAX_LINKS": "4",
            "MIZAN_HIGH_ABUSE_ACTION": "hold",
        }
    )
    cfg = PolicyConfig.from_settings(st)
    assert cfg.shadow_mode == "hold" and cfg.max_links == 4 and cfg.high_abuse_action == "hold"
    assert cfg.thresholds({}, "sport")["approve_abuse"] == 0.6
    assert cfg.thresholds({}, "news")["approve_abuse"] == 0.35
    defaults = Settings.from_env({})
    assert (defaults.shadow_mode, defaults.max_links, defaults.flood_email_limit) == ("off", 2, 1)


@pytest.mark.parametrize(
    "env",
    [
        {"MIZAN_SHADOW_MODE": "maybe"},
        {"MIZAN_THRESHOLD_SPAM": "1.5"},
        {"MIZAN_SECTION_THRESHOLDS": "[1]"},
        {"MIZAN_SECTION_THRESHOLDS": '{"sport": {"spamm": 0.5}}'},
        {"MIZAN_SECTION_THRESHOLDS": '{"sport": {"spam": true}}'},
        {"MIZAN_HIGH_ABUSE_ACTION": "delete"},
    ],
)
def test_bad_policy_settings_fail_at_start(env):
    with pytest.raises(ConfigError):
        Settings.from_env(env)


def test_model_reasons_carry_the_spans_of_the_words_behind_them():
    from mizan.service.policy.verdict import needs_explanation, with_spans

    v = decide(s(0.1, 0.6), T)
    assert needs_explanation(v)
    explanation = {
        "abuse": [
            {"feature": "حمار", "weight": 2.0, "span": [10, 14]},
            {"feature": "meta:lexicon_hit", "weight": 1.0, "span": [10, 14]},
            {"feature": "انت", "weight": 0.5, "span": [3, 6]},
        ],
        "spam": [],
    }
    [reason] = with_spans(v.reasons, explanation)
    assert reason["spans"] == [[10, 14], [3, 6]]  # each range once, strongest first
    assert not needs_explanation(decide(s(0.1, 0.1), T))  # approvals explain nothing


def test_a_word_inside_a_threat_phrase_is_not_highlighted_twice():
    from mizan.service.policy.verdict import with_spans

    v = decide(Scores(spam=0.0, abuse=0.01, labels={}, words=6, threat=True), T)
    explanation = {
        "abuse": [
            {"feature": "نعرف وين ساكن", "weight": 0.0, "span": [0, 13], "evidence": "threat"},
            {"feature": "وين", "weight": 0.4, "span": [5, 8]},
            {"feature": "وبنجيك", "weight": 0.3, "span": [15, 21]},
        ],
        "spam": [],
    }
    [reason] = with_spans(v.reasons, explanation)
    assert reason["code"] == "threat_phrase"
    assert reason["spans"] == [[0, 13], [15, 21]]


def test_a_phrase_reason_points_at_its_phrase_and_the_score_at_the_words():
    from mizan.service.policy.verdict import with_spans

    v = decide(Scores(spam=0.0, abuse=0.6, labels={}, words=6, dehumanising=True), T)
    explanation = {
        "abuse": [
            {"feature": "x", "weight": 0.0, "span": [6, 26], "evidence": "dehumanising"},
            {"feature": "كلهم", "weight": 0.8, "span": [16, 20]},
            {"feature": "يعيشوا", "weight": 0.3, "span": [40, 46]},
        ],
        "spam": [],
    }
    score, phrase = with_spans(v.reasons, explanation)
    assert score["code"] == "abuse_score" and score["spans"] == [[16, 20], [40, 46]]
    assert phrase["code"] == "dehumanising_phrase" and phrase["spans"] == [[6, 26]]


def test_two_phrase_reasons_share_the_models_words_once():
    from mizan.service.policy.verdict import with_spans

    both = Scores(spam=0.0, abuse=0.01, labels={}, words=9, threat=True, dehumanising=True)
    explanation = {
        "abuse": [
            {"feature": "t", "weight": 0.0, "span": [0, 10], "evidence": "threat"},
            {"feature": "d", "weight": 0.0, "span": [20, 35], "evidence": "dehumanising"},
            {"feature": "w", "weight": 0.5, "span": [40, 45]},
        ],
        "spam": [],
    }
    threat, hate = with_spans(decide(both, T).reasons, explanation)
    assert threat["spans"] == [[0, 10], [40, 45]]
    assert hate["spans"] == [[20, 35]]


def test_an_insult_pair_and_its_insult_word_are_highlighted_once():
    from mizan.service.policy.verdict import with_spans

    v = decide(s(0.1, 0.6), T)
    explanation = {
        "abuse": [
            {"feature": "كلب", "weight": 2.4, "span": [3, 6]},
            {"feature": "يا كلب", "weight": 1.7, "span": [0, 6]},
            {"feature": "الله يحرقه", "weight": 1.5, "span": [8, 18]},
            {"feature": "يحرقه", "weight": 0.3, "span": [13, 18]},
        ],
        "spam": [],
    }
    [reason] = with_spans(v.reasons, explanation)
    assert reason["spans"] == [[3, 6], [8, 18]]
