"""Near-duplicates across articles, in the real Redis."""

import pytest

from mizan.service.policy.rules.duplicates import (
    DuplicateIndex,
    Item,
    check_duplicate,
    signature,
    similarity,
)

pytestmark = pytest.mark.redis

AR = "اشترك في قناتي على اليوتيوب للحصول على أفضل العروض اليومية الآن مجانا"
AR_VARIANT = "اشتركوا فى قناتى على اليوتيوب للحصول على افضل العروض اليوميه الان مجانا!!"
EN = "Check out my channel for the best daily offers, subscribe now and win free prizes every day"
EN_VARIANT = (
    "Check out my channel for the best daily offers!! subscribe now and win free prizes each day"
)
OTHER = "الحكومة يجب أن تحل أزمة الكهرباء في طرابلس قبل الصيف القادم وإلا ستكون كارثة على الجميع"


def test_signatures_are_close_for_variants_and_far_for_other_texts():
    assert similarity(signature(AR), signature(AR_VARIANT)) >= 0.7
    assert similarity(signature(EN), signature(EN_VARIANT)) >= 0.7
    assert similarity(signature(AR), signature(OTHER)) < 0.3
    assert signature("شكرا جزيلا") is None  # too short to compare


@pytest.fixture
def index(redis_client):
    return DuplicateIndex(redis_client, 600)


@pytest.mark.parametrize(("first", "again"), [(AR, AR_VARIANT), (EN, EN_VARIANT), (AR, AR)])
def test_repeat_on_another_article_is_spam_after_the_first(index, first, again):
    assert index.check([Item("c1", "post-1", "alice", first)]) == {}
    found = index.check([Item("c2", "post-2", "bob", again)])
    [f] = check_duplicate(found["c2"])
    assert f.outcome == "spam" and f.reason["of"] == "c1" and f.reason["scope"] == "other_article"


def test_same_text_by_other_readers_under_one_article_is_not_spam(index):
    condolence = "إنا لله وإنا إليه راجعون الله يرحمه ويغفر له ويسكنه فسيح جناته يا رب"
    index.check([Item("c1", "obituary", "alice", condolence)])
    found = index.check([Item("c2", "obituary", "bob", condolence)])
    assert check_duplicate(found.get("c2")) == []


def test_same_author_same_article_is_spam(index):
    index.check([Item("c1", "p", "alice", EN)])
    [f] = check_duplicate(index.check([Item("c2", "p", "alice", EN_VARIANT)])["c2"])
    assert f.reason["scope"] == "same_author"


def test_unrelated_and_short_texts_are_not_duplicates(index):
    index.check([Item("c1", "p1", "a", AR), Item("s1", "p1", "a", "شكرا")])
    assert index.check([Item("c2", "p2", "b", OTHER), Item("s2", "p2", "b", "شكرا")]) == {}


def test_within_one_batch_the_earlier_comment_wins_and_reruns_agree(index):
    batch = [Item("c1", "p1", "a", EN), Item("c2", "p2", "b", EN_VARIANT)]
    first = index.check(batch)
    assert set(first) == {"c2"} and first["c2"].of == "c1"
    assert index.check(batch) == first  # a redelivered task decides the same way


def test_disabled_window_checks_nothing(redis_client):
    idx = DuplicateIndex(redis_client, 0)
    idx.check([Item("c1", "p1", "a", EN)])
    assert idx.check([Item("c2", "p2", "b", EN)]) == {}
