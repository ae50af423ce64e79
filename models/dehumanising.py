"""Dehumanising speech about a group: people called vermin, told to go back to the jungle.

Hate aimed at a group often carries no insult word: "refugees are vermin", "رجعوهم للغابة",
"المرأة ناقصة عقل ومكانها المطبخ". The n-gram model learnt group nouns from the
comments that insult groups and was then made to read them as neutral (models/train.py,
``neutralise_words``), so such a comment can score like a polite one.  Two kinds of
evidence hold it for a moderator whatever its scores (service/policy/verdict.py); neither
rejects on its own:

* a group noun followed by a word that makes people vermin or animals, with nothing but a
  copula, "all", "just" or "nothing but" between ("المهاجرين كلهم حشرات", "migrants are
  animals", "les migrants sont des cafards");
* a phrase that sends people back to the jungle or the kitchen, or denies they are human.

In the 73k published comments of the news-comment sets they match 5 times: one "يهود انجاس"
and four "ناقصات عقل", mostly comments explaining the saying (a moderator's call); in the
abusive sets of ../shared/datasets 32 abusive comments against 16 others, most of those
mislabelled ("يهود كلاب" marked not hateful).  Pure functions of the normalised text,
shared by the worker's policy and ``mizan evaluate``.
"""

from __future__ import annotations

import re

from . import threats
from .normalize import normalize
from .signals import phrase_pattern

# Plural (and collective) nouns for peoples, faiths, sects, origins, women and minorities, as a
# comment names them; the Arabic ones with and without the article.  Words with an everyday
# sense are left out: "سنه" (also "year"), "فرس" ("horse"), "اخوان" ("brothers"), "بنات"
# ("girls"), "تبو" (Libyan "you want").
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
    "مثليين",
    "ملحدين",
    "اتراك",
    "ايرانيين",
    "مجوس",
    "سلفيين",
    "صعايده",
    "خليجيين",
    "سعوديين",
    "قطريين",
    "اماراتيين",
    "توارق",
    "طوارق",
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
# What the group is called: vermin, animals.  Livestock and rubbish words are left out: they
# are news vocabulary beside a group noun ("بهايم" is livestock in Libya, "جرب" both scabies and
# "try!").  Locusts, slaves, savages, scum and a plague (``_CLAUSE_WORDS``) are said of a group
# in hate and of its fields, camps and history in the news ("مزارع الطوارق جراد الصحراء",
# "كان الأفارقة عبيد في مزارع أمريكا", "مخيمات اللاجئين وباء فتاك"): they count only as the
# last word of their clause, and not after the place, victim, speaker or reported-speech
# words of ``_NOT_CALLED`` ("بين اللاجئين وباء.", "احنا الليبيين عبيد!").
_CLAUSE_WORDS: tuple[str, ...] = ("جراد", "عبيد", "همج", "حثاله", "وباء", "وبا", "طاعون")
VERMIN: tuple[str, ...] = (
    "حيوانات",
    "حشرات",
    "صراصير",
    "جرذان",
    "قرود",
    "خنازير",
    "كلاب",
    "انجاس",
    *_CLAUSE_WORDS,
    "animals",
    "vermin",
    "cockroaches",
    "roaches",
    "savages",
    "apes",
    "monkeys",
    "subhuman",
    "subhumans",
    "parasites",
    "locusts",
    "a plague",
    "des animaux",
    "des cafards",
    "des singes",
    "des sauvages",
    "des parasites",
)
# Only these words may stand between the group and the vermin word: a copula, "all", "just",
# "nothing but" ("المهاجرين كلهم حشرات", "اليهود مجرد خنازير", "refugees are nothing but
# vermin").  A Latin-script pair needs its copula ("are", "sont"): "the women fed the animals"
# is no pair.  Punctuation may stand there too ("المهاجرين، حشرات").
_AR_FILLERS = (
    "كلهم",
    "هم",
    "مجرد",
    "عباره",
    "عن",
    "الا",
    "زي",
    "مثل",
    "شويه",
    "بس",
    # "these" of the dialects ("الافارقه هذوم حشرات")
    "هذوم",
    "هذول",
    "هدول",
    "هذولا",
    "هادو",
    "هاذوم",
)
_COPULAS = ("are", "r", "were", "sont", "étaient")
_LATIN_FILLERS = ("all", "just", "nothing", "but", "like", "such", "a", "bunch", "of", "des")
# Phrases that send people back to the jungle or the kitchen, deny they are human or call
# women lesser ("ناقصات عقل"); each says who (a pronoun, an imperative, the women it
# describes): "shot at sea" or "not even human" alone are news.
PHRASES: tuple[str, ...] = (
    "ارجعوهم للغابه",
    "رجعوهم للغابه",
    "ارجعوا للغابه",
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
    "هم ليسوا بشرا",
    "ماهمش بشر",
    "مش بشر اصلا",
    "go back to the jungle",
    "send them back to the jungle",
    "send them back to africa",
    "they are not even human",
    "they're not even human",
    "belong in the kitchen",
    "retournez dans la jungle",
    "ce ne sont pas des humains",
)
# One glued conjunction ("وارجعوهم", "فرجعوهم"), as for the threat phrases.
GLUED_PREFIXES = threats.GLUED_PREFIXES

# Vermin words and the phrases are rare, so they are searched first; only a vermin word looks
# back for a group noun (the fillers above between, within _LOOK_BACK characters).
_VERMIN = phrase_pattern(VERMIN)
_PHRASE = phrase_pattern(PHRASES, prefix=f"[{GLUED_PREFIXES}]")
_SEP = r"[\s،,:;؛.\-]+"


def _filler(words: tuple[str, ...]) -> str:
    return "(?:" + "|".join(re.escape(normalize(w)) for w in words) + ")"


_AR_BEFORE = re.compile(
    r"(?<![\w])(?:"
    + "|".join(
        re.escape(normalize(g))
        for g in sorted(set(GROUPS) - set(_LATIN_GROUPS), key=len, reverse=True)
    )
    + rf")(?:{_SEP}{_filler(_AR_FILLERS)}){{0,3}}{_SEP}\Z"
)
_LATIN_BEFORE = re.compile(
    r"(?<![\w])(?:"
    + "|".join(re.escape(normalize(g)) for g in sorted(_LATIN_GROUPS, key=len, reverse=True))
    + rf"){_SEP}{_filler(_COPULAS)}(?:{_SEP}{_filler(_LATIN_FILLERS)}){{0,4}}{_SEP}\Z"
)
_LOOK_BACK = 100
# Words that, among the two before the group, make it the place, the victim, the speaker or
# the reported view rather than the target of the clause word: prepositions and nouns of
# place ("بين المهاجرين", "في مخيمات اللاجئين", "مزارع الطوارق"), verbs of a plague or swarm
# striking ("أصاب العرب طاعون"), the first person ("احنا الليبيين عبيد"), the past ("كان
# الأفارقة عبيد") and reported speech ("قالوا ان العرب همج").
_NOT_CALLED = frozenset(
    normalize(w)
    for w in (  # noqa: SIM905 - a word list reads best as words
        "بين عند لدى في وسط صفوف داخل مخيم مخيمات مزارع مزرعة حقول مراكز مركز اوساط "
        "أصاب اصاب يصيب تصيب أصابت ضرب ضربت هاجم هاجمت اجتاح اجتاحت تفشى انتشر "
        "احنا نحن حنا كلنا صرنا اصبحنا كان كانوا كانت "
        "قال قالوا يقول يقولوا يقولون يعتبر يعتبرون يعتبروا اعتبر اعتبروا يسمي يسموا وصف "
        "يصف يصفون ان"
    ).split()
) | {"و" + normalize(w) for w in ("بين", "عند", "في", "وسط", "احنا", "نحن", "كان")}
_WORDS_BEFORE = re.compile(r"(\w+)\W+(?:(\w+)\W+)?\Z")
_CLAUSE_FORMS = frozenset(normalize(w) for w in _CLAUSE_WORDS)
# The end of a clause: the end of the text or a closing punctuation mark ("السوريين وباء، وين
# يمشوا"); not a quotation mark, which opens as often as it closes ("وباء \"الكوليرا\"").
_CLAUSE_END = re.compile(r"\s*(?:\Z|[.,،;؛:!?؟…)\]»])")
# A comparison is a description, not a name ("يعاملون المهاجرين مثل عبيد").
_LIKE = frozenset(normalize(w) for w in ("زي", "مثل", "كأنهم", "كانهم"))
_WORD = re.compile(r"\w+")


def _called(normalized: str, group: re.Match[str], word: re.Match[str]) -> bool:
    """True when a clause word names the group before it: it ends its clause, no comparison
    stands between them, none of the two words before the group is in ``_NOT_CALLED``, and it
    is not the group's own name ("العبيد هم عبيد.")."""
    if not _CLAUSE_END.match(normalized, word.end()):
        return False
    if _LIKE & set(_WORD.findall(normalized, group.start(), word.start())):
        return False
    before = _WORDS_BEFORE.search(normalized, max(0, group.start() - 40), group.start())
    if before is not None and _NOT_CALLED & {w for w in before.groups() if w}:
        return False
    name = _WORD.match(normalized, group.start())
    return name is None or not name.group().endswith(word.group())


def dehumanising_spans(normalized: str) -> list[tuple[int, int]]:
    """Return the (start, end) offsets of dehumanising pairs and phrases in normalised text,
    overlapping ones merged."""
    spans = [m.span() for m in _PHRASE.finditer(normalized)]
    for m in _VERMIN.finditer(normalized):
        lead = max(0, m.start() - _LOOK_BACK)
        before = (
            _LATIN_BEFORE if m.group().isascii() or m.group().startswith("des ") else _AR_BEFORE
        )
        group = before.search(normalized, lead, m.start())
        if group is None:
            continue
        if m.group() in _CLAUSE_FORMS and not _called(normalized, group, m):
            continue
        spans.append((group.start(), m.end()))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def has_dehumanising(normalized: str) -> bool:
    """True when the normalised text calls a group vermin or holds a dehumanising phrase."""
    return bool(dehumanising_spans(normalized))
