"""Dehumanising evidence (models/dehumanising.py): hate about a group without an insult word."""

from __future__ import annotations

import pytest

from mizan.models.dehumanising import PHRASES, VERMIN, dehumanising_spans, has_dehumanising
from mizan.models.normalize import normalize


@pytest.mark.parametrize(
    "text",
    [
        "المهاجرين كلهم حشرات لازم يطلعوا",
        "الأفارقة صراصير في البلاد",
        "واليهود مجرد خنازير",
        "Refugees are vermin, nothing else",
        "refugees are just a bunch of animals",
        "Les migrants sont des cafards",
        "رجعوهم للغابة وين كانوا",
        "المرأة ناقصة عقل ومكانها المطبخ",
        "والله ماهمش بشر",
        "send them back to the jungle where they came from",
        "المهاجرين، حشرات",
        "الافارقه هذوم حشرات",
        # locusts, slaves, savages, scum, a plague: as the last word of a clause
        "اللاجئين جراد، أكلوا الأخضر واليابس",
        "الشيعة عبيد!",
        "العرب همج. ما يتعلموش",
        "هولاء المهاجرين حثالة",
        "المهاجرين وباء، رجعوهم",
        "اللاجئين هذول طاعون.",
        "Refugees are parasites",
        "من يهود انجاس ومتآمرين",
        "حرام نصرفوا فلوسنا على الأفارقة حثالة.",  # "على" is no place of the group
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
        "في غات عند الطوارق جراد بكميات كبيره",  # locusts (and a surname): no vermin word
        "حملة لمكافحة الحشرات في المدارس",
        # a vermin word near a group, but not said of it
        "the women fed the animals at the shelter",
        "refugees suffer from parasites in the camps",
        "migrants living with rats in the old hotel",
        "الفلسطينيين واطلقت عليهم كلاب الجيش",
        "في هذه السنه نفقت حيوانات كثيرة",
        "حملة تطعيم النساء ضد الجراثيم",
        # locusts, slaves, a plague where the group is or was, not what it is called
        "ينتشر بين اللاجئين وباء الكوليرا في المخيمات",
        "أصاب السوريين وباء كورونا في المخيم",
        "ينتشر بين اللاجئين وباء.",
        "ضرب مخيمات اللاجئين وباء فتاك والعالم يتفرج",
        "اللاجئين السوريين: وباء وجوع وبرد، الله يكون في عونهم",
        "المزارعين التوارق: جراد في كل مكان والدولة غايبة",
        "هجم على مزارع الطوارق جراد الصحراء وأكل الزرع كله",
        "في القرن الثامن عشر كان الأفارقة عبيد في مزارع أمريكا",
        "احنا الليبيين مجرد عبيد عند الميليشيات",
        "الرجال والنساء كلهم عبيد لله",
        "الاستعمار كان يعتبر الافارقه همج وهذا كذب",
        "ايام سود وباء وحرب وغلاء",
        "العبيد، عبيد.",  # the group's own name
        # a place noun, a verb of striking, the first person, the past, reported speech, a
        # comparison, an opening quotation mark
        "ينتشر في مخيمات اللاجئين وباء.",
        "بين اللاجئين والمهاجرين وباء.",
        "أصاب اللاجئين وباء.",
        "هاجم مزارع الليبيين جراد، وأتلف المحاصيل",
        "احنا الليبيين عبيد، والميليشيات اسيادنا",
        "في مزارع أمريكا كان الأفارقة عبيد.",
        "قالوا ان العرب همج، وهذا غلط",
        "يعامل المهربون المهاجرين الأفارقة مثل عبيد، وهذا عار",
        'ضرب مخيمات اللاجئين وباء "الكوليرا"',
        # livestock, and "try!"
        "مربين المواشي من البدو، بهايم وإبل ماتت بسبب الجفاف",
        "مطاعم السوريين جرب وبعدين احكم",
        # phrases that are news without a pronoun or an imperative
        "Two Libyan fishermen were shot at sea by the coast guard",
        "Not even human rights groups were allowed in",
        "The Africa Cup comes back to Africa",
        "الحكام ليسوا بشرا معصومين",
        "أطلقوا سراح الدببة لكي ترجع للغابة",
    ],
)
def test_reporting_and_near_misses_are_not(text):
    assert not has_dehumanising(normalize(text)), text


def test_spans_cover_the_group_and_the_word():
    norm = normalize("قالوا إن المهاجرين كلهم حشرات")
    ((start, end),) = dehumanising_spans(norm)
    assert norm[start:end] == normalize("المهاجرين كلهم حشرات")


def test_only_a_copula_and_fillers_may_stand_between():
    assert has_dehumanising(normalize("migrants are animals"))
    assert has_dehumanising(normalize("migrants are just a bunch of animals"))  # 4 fillers
    assert not has_dehumanising(normalize("migrants are just a big bunch of animals"))
    assert not has_dehumanising(normalize("migrants animals"))  # English needs its copula
    assert not has_dehumanising(normalize("migrants walked past the zoo animals"))
    assert has_dehumanising(normalize("اليهود كلهم مجرد خنازير"))
    assert not has_dehumanising(normalize("اليهود زاروا حديقة فيها خنازير"))


def test_overlapping_matches_are_one_span():
    norm = normalize("الروافض كلهم كلاب يا خنازير")
    assert len(dehumanising_spans(norm)) == 1


@pytest.mark.parametrize("form", [*VERMIN, *PHRASES])
def test_the_scoring_prefilter_never_skips_a_match(form):
    # the classifier looks for evidence only in comments its one-pass prefilter matches
    from mizan.models.classifier import _ANY_EVIDENCE_PHRASE

    for text in (f"المهاجرين {form}", f"و{form}", f"ف{form}", f"migrants are {form}"):
        norm = normalize(text)
        if has_dehumanising(norm):
            assert _ANY_EVIDENCE_PHRASE.search(norm), text
