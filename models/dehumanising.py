"""Dehumanising speech about a group: people called vermin, told to go back to the jungle.

Hate aimed at a group often carries no insult word: "refugees are vermin", "رجعوهم للغابة",
"المرأة ناقصة عقل ومكانها المطبخ". The n-gram model learnt group nouns from the
comments that insult groups and was then made to read them as neutral (models/train.py,
``neutralise_terms``), so such a comment can score like a polite one.  Two kinds of
evidence hold it for a moderator whatever its scores (service/policy/verdict.py); neither
rejects on its own:

* a group noun followed within three words by a word that makes people vermin or
  animals ("المهاجرين كلهم حشرات", "migrants are animals", "les migrants sont des rats");
* a phrase that sends a group back to the jungle or the kitchen, or denies it is human.

In the 73k published comments of the news-comment sets they match 5 times: one "يهود انجاس"
and four "ناقصات عقل", mostly comments explaining the saying (a moderator's call); in the
abusive sets of ../shared/datasets 70 abusive comments against 27 others, most of those
mislabelled ("يهود كلاب" marked not hateful).  Pure functions of the normalised text,
shared by the worker's policy and ``mizan evaluate``.
"""

from __future__ import annotations

import re

from .signals import phrase_pattern

# Plural (and collective) nouns for peoples, faiths, sects, origins, women and minorities, as a
# comment names them; the Arabic ones with and without the article.
_AR_GROUPS = (
    "مهاجرين",
    "مهاجرون",
    "افارقه",
    "افريقيين",
    "سود",
    "عبيد",
    "زنوج",
    "يهود",
    "نصارى",
    "مسيحيين",
    "شيعه",
    "روافض",
    "سنه",
    "امازيغ",
    "اكراد",
    "عرب",
    "اعراب",
    "بدو",
    "سوريين",
    "مصريين",
    "ليبيين",
    "توانسه",
    "تونسيين",
    "جزايريين",
    "مغاربه",
    "سودانيين",
    "تشاديين",
    "نيجيريين",
    "فلسطينيين",
    "لاجئين",
    "اجانب",
    "غجر",
    "نساء",
    "نسوان",
    "حريم",
    "بنات",
    "مثليين",
    "ملحدين",
    "اتراك",
    "ايرانيين",
    "فرس",
    "مجوس",
    "اخوان",
    "سلفيين",
    "صعايده",
    "خليجيين",
    "سعوديين",
    "قطريين",
    "اماراتيين",
    "توارق",
    "طوارق",
    "تبو",
)
_LATIN_GROUPS = (
    "migrants",
    "immigrants",
    "refugees",
    "muslims",
    "jews",
    "christians",
    "arabs",
    "africans",
    "blacks",
    "women",
    "gays",
    "foreigners",
    "les migrants",
    "les immigrés",
    "les réfugiés",
    "les musulmans",
    "les juifs",
    "les arabes",
    "les africains",
    "les noirs",
    "les femmes",
    "les étrangers",
)
GROUPS: tuple[str, ...] = (
    _AR_GROUPS
    + tuple("ال" + g for g in _AR_GROUPS)
    + tuple("و" + g for g in _AR_GROUPS)
    + tuple("وال" + g for g in _AR_GROUPS)
    + _LATIN_GROUPS
)
# What the group is called: vermin, animals.  Disease and rubbish words are left out: they are
# news vocabulary beside a group noun ("فحص النساء للكشف عن سرطان الثدي").
VERMIN: tuple[str, ...] = (
    "حيوانات",
    "حشرات",
    "جراثيم",
    "صراصير",
    "جرذان",
    "فئران",
    "ديدان",
    "طفيليات",
    "بهايم",
    "بهائم",
    "قرود",
    "خنازير",
    "كلاب",
    "انجاس",
    "animals",
    "vermin",
    "rats",
    "cockroaches",
    "roaches",
    "parasites",
    "savages",
    "apes",
    "monkeys",
    "subhuman",
    "subhumans",
    "filth",
    "des animaux",
    "des rats",
    "des cafards",
    "des parasites",
    "des singes",
    "des sauvages",
)
# Phrases that send people back to the jungle or the kitchen, or deny they are human.
PHRASES: tuple[str, ...] = (
    "ارجعوهم للغابه",
    "رجعوهم للغابه",
    "رجعوهم للغابة",
    "ارجعوا للغابه",
    "يرجعوا للغابه",
    "ترجع للغابه",
    "مكانهم الغابه",
    "مكانكم الغابه",
    "ديروهم في مركب",
    "حطوهم في مركب",
    "ارموهم في مركب",
    "ناقصات عقل",
    "مكانها المطبخ",
    "مكانها الكوزينه",
    "مكانهم المطبخ",
    "مكانهم الكوزينه",
    "مكانكم المطبخ",
    "ليسوا بشرا",
    "ليسوا بشر",
    "ماهمش بشر",
    "go back to the jungle",
    "back to the jungle",
    "back to africa",
    "not even human",
    "shot at sea",
    "belong in the kitchen",
    "retournez dans la jungle",
    "pas des humains",
)

# Vermin words and the phrases are rare, so they are searched first; only a vermin word looks
# back for a group noun (at most three words before it, within _LOOK_BACK characters).
_VERMIN = phrase_pattern(VERMIN)
_PHRASE = phrase_pattern(PHRASES, prefix="[وف]")
_GROUP_BEFORE = re.compile(phrase_pattern(GROUPS).pattern + r"(?:\s+\S+){0,3}?\s+\Z")
_LOOK_BACK = 100


def dehumanising_spans(normalized: str) -> list[tuple[int, int]]:
    """Return the (start, end) offsets of dehumanising pairs and phrases in normalised text."""
    spans = [m.span() for m in _PHRASE.finditer(normalized)]
    for m in _VERMIN.finditer(normalized):
        lead = max(0, m.start() - _LOOK_BACK)
        group = _GROUP_BEFORE.search(normalized, lead, m.start())
        if group is not None:
            spans.append((group.start(), m.end()))
    return sorted(spans)


def has_dehumanising(normalized: str) -> bool:
    """True when the normalised text calls a group vermin or holds a dehumanising phrase."""
    return bool(dehumanising_spans(normalized))
