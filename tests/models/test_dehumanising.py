"""Dehumanising evidence (models/dehumanising.py): hate about a group without an insult word."""

from __future__ import annotations

import pytest

from mizan.models.dehumanising import dehumanising_spans, has_dehumanising
from mizan.models.normalize import normalize


@pytest.mark.parametrize(
    "text",
    [
        "المهاجرين كلهم حشرات لازم يطلعوا",
        "الأفارقة جراثيم في البلاد",
        "واليهود مجرد خنازير",
        "Refugees are vermin, nothing else",
        "those immigrants are nothing but rats",
        "Les migrants sont des cafards",
        "رجعوهم للغابة وين كانوا",
        "المرأة ناقصة عقل ومكانها المطبخ",
        "هاذوم ليسوا بشرا",
        "send them back to the jungle where they came from",
    ],
)
def test_a_group_called_vermin_or_sent_to_the_jungle_is_found(text):
    assert has_dehumanising(normalize(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "المهاجرين يعاملون كالحيوانات في مراكز الاحتجاز، هذا عار",
        "افتتاح حديقة الحيوانات في طرابلس بعد الصيانة",
        "يحتفل يهود جربة بموسم الغريبة كل سنة",
        "النساء والأطفال أول ضحايا الحرب",
        "Migrants rescued at sea, the coast guard said",
        "Rats spread in the old market after the floods",
        "Les femmes de Benghazi manifestent pour la paix",
        "حملة لمكافحة الحشرات في المدارس",
    ],
)
def test_reporting_and_near_misses_are_not(text):
    assert not has_dehumanising(normalize(text)), text


def test_spans_cover_the_group_and_the_word():
    norm = normalize("قالوا إن المهاجرين كلهم حشرات")
    ((start, end),) = dehumanising_spans(norm)
    assert norm[start:end] == normalize("المهاجرين كلهم حشرات")


def test_the_group_must_come_just_before_the_word():
    # three words between the group and "animals": not a predicate any more
    assert not has_dehumanising(normalize("migrants walked past the zoo animals"))
    assert has_dehumanising(normalize("migrants are animals"))
