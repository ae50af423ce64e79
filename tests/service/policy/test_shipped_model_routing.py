"""The shipped model routed by the worker's policy: probe comments, quoted cases, single words.

Everything here goes through `decide()` (model scores and their evidence, no author or flood
rules), exactly as the worker decides. The probe fixture is hand-written and never trained or
tuned on; its full confusion table is in models/MODEL_CARD.md.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from mizan.models.classifier import load_default
from mizan.models.data import default_data_dir, read_csv
from mizan.service.policy import confusion, frequent_words, route_texts

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
NEWS_SETS = ("ar_aoc_news_comments", "ar_cotterell_news_comments", "ar_hespress_news_comments")


@pytest.fixture(scope="module")
def model():
    return load_default()


# The hand-written probes, each by another hand (see the card), by the name the tests use.
PROBE_FILES = {
    "probe": "probe_comments.csv",
    "second_probe": "probe_second_comments.csv",
    "third_probe": "probe_third_comments.csv",
    "fourth_probe": "probe_fourth_comments.csv",
}


@pytest.fixture(scope="module")
def routed_probe(model):
    """Route a probe once per module: (rows, outcomes, confusion table) by its name."""
    done: dict[str, tuple] = {}

    def route(which: str) -> tuple:
        if which not in done:
            with open(FIXTURES / PROBE_FILES[which], newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
            assert len(rows) >= 300
            outcomes = route_texts(model, [r["text"] for r in rows])
            done[which] = (rows, outcomes, confusion([r["expected"] for r in rows], outcomes))
        return done[which]

    return route


# Polite probe comments the shipped model is known to send to spam or reject (see the card):
# the election commission's e-mail on a plain .ly domain looks to the evidence rules like any
# seller's. Exact, so a new misroute fails here, and so does a fix until it is listed no more.
KNOWN_WRONG = {
    "fourth_probe": [
        (
            "spam",
            "للاستفسار راسلوا المفوضيه العليا للانتخابات على بريدهم الرسمي info@hnec.ly",
        )
    ],
}


@pytest.mark.parametrize("which", sorted(PROBE_FILES))
def test_no_polite_probe_comment_goes_to_spam_or_is_rejected(which, routed_probe):
    rows, outcomes, _ = routed_probe(which)
    wrong = [
        (o, r["text"])
        for r, o in zip(rows, outcomes, strict=True)
        if r["expected"] == "benign" and o in ("spam", "rejected")
    ]
    assert wrong == KNOWN_WRONG.get(which, []), wrong


# The targets are 97% of benign approved and at most 5% of abuse and of spam published; the
# card shows how far the shipped model is from them on each probe. These floors (least benign
# approved, most abuse and spam published) only stop a regression.
# - second probe: another hand; 24% of abuse published by 2026.12.01-3 at its first reading,
#   14.7% by 2026.12.01-4, 13.3% by 2026.12.01-5;
# - third: a third hand after 2026.12.01-5 was trained, 29.3% of abuse and 10.9% of spam
#   published at its first reading (24.0% and 5.5% with policy-7);
# - fourth: a fourth hand, first read with 2026.12.01-5 and policy-7: 96.3% of benign approved,
#   22.7% of abuse and 7.3% of spam published.
FLOORS = {
    "probe": (0.90, 0.08, 0.05),
    "second_probe": (0.93, 0.20, 0.05),
    "third_probe": (0.93, 0.30, 0.08),
    "fourth_probe": (0.93, 0.25, 0.08),
}


@pytest.mark.parametrize("which", sorted(FLOORS))
def test_probe_routing_holds_the_shipped_floor(which, routed_probe):
    _, _, table = routed_probe(which)
    benign, abuse, spam = FLOORS[which]
    assert table["benign"]["approved"] >= benign, table
    assert table["abuse"]["approved"] <= abuse, table
    assert table["spam"]["approved"] <= spam, table


# Known misroutes of the shipped model (see the card): strict, so a model that fixes one
# fails here until the mark is removed.
MISSED = pytest.mark.xfail(strict=True, reason="shipped model misroutes it; see MODEL_CARD.md")

POLITE = [
    "متابعة جيدة، شكرا لكم",
    "متابعة ممتازة",
    "الطقس بارد جدا هذه الأيام في الجبل الأخضر",
    "تغطية ممتازة، بارك الله فيكم",
    "بارك الله فيكم على هذا التقرير",
    "حسبي الله ونعم الوكيل",
    "الحكومة فشلت في حل أزمة الكهرباء ويجب أن تحاسب على ذلك",
    "يحتفل يهود جربة بموسم الغريبة في كنيس الغريبة كل عام",
    "المرأة الليبية تستحق مكانا أكبر في الحكومة",
    "Je ne suis pas d'accord avec l'auteur, mais merci pour cet article.",
]
ABUSIVE = [
    "نعرف وين ساكن وبنجيك",
    "هذا الخاين يستاهل رصاصة في راسه",
    "allah yen3al babak ya khayen",
    "يا ك*ب",
]
SPAM = [
    "Great post! I made $3000 a week with crypto signals, visit https://crypto-gains.example now",
]


@pytest.mark.parametrize("text", POLITE)
def test_polite_comments_are_approved(model, text):
    assert route_texts(model, [text]) == ["approved"]


@pytest.mark.parametrize("text", ABUSIVE)
def test_abuse_is_not_published(model, text):
    assert route_texts(model, [text])[0] in ("held", "rejected")


@pytest.mark.parametrize("text", SPAM)
def test_link_drop_spam_goes_to_spam(model, text):
    assert route_texts(model, [text]) == ["spam"]


@pytest.fixture(scope="module")
def frequent_news_words():
    data = default_data_dir()
    paths = [data / f"{name}.csv" for name in NEWS_SETS]
    if not all(p.is_file() for p in paths):
        pytest.skip(f"the clean news-comment sets are not at {data} (set MIZAN_DATASETS)")
    texts = [t for p in paths for t in read_csv(p).text]
    return frequent_words(texts, 5000)


def _single_words(model, words):
    alone = route_texts(model, words)
    inside = route_texts(model, [f"قرأت التعليقات عن {w} في هذا المقال اليوم" for w in words])
    return alone, inside


def test_no_single_word_sends_to_spam_or_rejects(model, frequent_news_words):
    assert len(frequent_news_words) == 5000
    for outcomes in _single_words(model, frequent_news_words):
        hard = [
            (w, o)
            for w, o in zip(frequent_news_words, outcomes, strict=True)
            if o in ("spam", "rejected")
        ]
        assert not hard, hard


def test_at_most_one_percent_of_single_words_hold(model, frequent_news_words):
    for outcomes in _single_words(model, frequent_news_words):
        held = [w for w, o in zip(frequent_news_words, outcomes, strict=True) if o == "held"]
        assert len(held) <= 50, held


@pytest.fixture(scope="module")
def examples(model):
    with open(FIXTURES / "moderation_examples.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return rows, route_texts(model, [r["text"] for r in rows])


def test_examples_abuse_is_never_published_and_spam_goes_to_spam(examples):
    rows, outcomes = examples
    for r, o in zip(rows, outcomes, strict=True):
        if r["task"] == "abuse" and r["label"] == "1":
            assert o in ("held", "rejected"), (r["text"], o)
        if r["task"] == "spam" and r["label"] == "1":
            assert o == "spam", (r["text"], o)


def test_examples_ordinary_comments_are_never_spam_or_rejected_and_rarely_held(examples):
    rows, outcomes = examples
    ordinary = [(r["text"], o) for r, o in zip(rows, outcomes, strict=True) if r["label"] == "0"]
    assert all(o in ("approved", "held") for _, o in ordinary), ordinary
    held = [t for t, o in ordinary if o == "held"]
    # a borderline hold is a cost a moderator pays, not a reader's loss; the shipped model
    # holds none of these 14 (earlier ones held 2); more than 2 is a regression
    assert len(held) <= 2, held
