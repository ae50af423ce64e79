"""Threat and incitement evidence (models/threats.py): what lowers the bar to hold."""

from __future__ import annotations

import pytest

from mizan.models.normalize import normalize
from mizan.models.threats import has_threat, threat_spans


@pytest.mark.parametrize(
    "text",
    [
        "نعرف وين ساكن وبنجيك",
        "هذا الخاين يستاهل رصاصة في راسه",
        "والله لو نشوفك نذبحك",
        "هؤلاء يجب أن يُقتلوا",
        "فاقتلوهم حيث وجدتموهم يا شباب",
        "n3arfou darek ya khayen",
        "We know where you live.",
        "you should be hanged for writing this",
        "these people should all be shot",
        "On sait où tu habites, fais attention",
        "عنوانك عندي يا صحفي، استنى وتشوف",
        "رقم تلفونك عندي وكل كلمة محسوبة عليك",
        "We know your family, keep writing and see",
        "نعرفوا حوشك وين، قعد تكتب وتشوف",
        "نعرفو وين تسكن، ديما نشوفو فيك",
        "عارفين فين ساكن يا صحفي",
        "انعرفو وين ساكن، رد بالك",
        "نهارك قريب يا خاين",
    ],
)
def test_threats_and_calls_to_violence_are_found(text):
    assert has_threat(normalize(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "قتل ثلاثة أشخاص في هجوم على البوابة",
        "المحكمة أصدرت حكم بالإعدام في قضية القتل",
        "الشرطة تعرف مكان سكن المتهم",
        "نقتل الوقت في الطابور من الفجر",
        "بنجيكم بكرة للعزاء إن شاء الله",  # "we will come to you (plural)" is not "بنجيك"
        "They should be shot down by air defence, the minister said",
        "The killing of the doctor shocked everyone",
        "الرئيس في زيارة قريبة إلى الجنوب",
        "الحكومة حتدفع الثمن في الانتخابات الجاية",
        "ليبيا تدفع الثمن غالي من سنين الحرب",
        "حسابك في المصرف لازم يتحدث قبل آخر الشهر",
        # second-person phrases that read as threats only out of context
        "البنزين بيكلفك غالي هالأيام",
        "استنى زيارة الوزير وبعدين احكم",
        "نعرف عيلتك ناس طيبين والله",
        "خفف السرعة راك مراقب بالرادار",
        "رقمك عندي نكلمك بعدين",
        "بنجيبوك معانا للعرس",
        "The minister promised: we will find you a job",
        # where someone lives, said of a third person
        "لا نعلم اين تعيش عائلته بعد النزوح",
        "نعرف وين ساكنه العيله المنكوبه",
        "Stay safe and watch your back out there",
        "on va te retrouver un logement",
    ],
)
def test_reporting_words_and_near_misses_are_not(text):
    assert not has_threat(normalize(text)), text


def test_spans_point_at_the_phrase():
    norm = normalize("يا صحفي نعرف وين ساكن")
    ((start, end),) = threat_spans(norm)
    assert norm[start:end] == "نعرف وين ساكن"
