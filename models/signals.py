"""Spam signals: the evidence a comment must carry before the spam score can send it to spam.

A spam score alone fires on ordinary words (a news comment saying "متابعة ممتازة" is not
spam); what makes comment spam is a way to reach the spammer or their offer: a link, a phone
number, a messaging handle, a contact or money phrase, or self-promotion.  Pure functions of
the text, shared by the worker's policy and ``mizan evaluate``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .normalize import _phone_digits as phone_digits  # the normaliser's own reading
from .normalize import extract_entities, normalize, plausible_phone

_ENTITY = {"xurlx": "link", "xphonex": "phone", "xhandlex": "handle", "xemailx": "handle"}
_TLD = (
    "com|net|org|info|xyz|online|site|shop|top|io|biz|me|ly|co|app|store|link|click|live|"
    "pro|bet|vip"
)
_URL = re.compile(
    rf"(?i)(?:https?://|www\.|\b[a-z0-9-]{{2,63}}\.(?:{_TLD})\b|\bbit\.ly/|\bt\.me/|\bwa\.me/)"
)
# The label before the top-level domain is at most 63 characters (as in DNS): unbounded, a long
# run of letters and hyphens after a link cost time quadratic in its length.
# A cheap first pass: the full URL pattern tries a domain at every Latin letter, so it runs only
# on text that holds a scheme, "www.", a known top-level domain or a short-link path.
_URL_HINT = re.compile(rf"(?i)(?:://|www\.|\.(?:{_TLD})\b|\.ly/|\.me/)")
_PHONE = re.compile(r"(?:\+|00)?\d(?:[\s.-]?\d){7,}")
_DIGIT = re.compile(r"\d")
_HANDLE = re.compile(r"(?<![\w.])@[A-Za-z0-9_.]{3,}")
_PHRASES: dict[str, tuple[str, ...]] = {
    "contact": (
        "واتس",
        "واتساب",
        "وتساب",
        "whatsapp",
        "whats app",
        "telegram",
        "تليجرام",
        "تلجرام",
        "تلغرام",
        "تيليجرام",
        "سناب",
        "snapchat",
        "snap chat",
        "انستا",
        "instagram",
        "insta",
        "viber",
        "فايبر",
        "تواصل معي",
        "تواصل معنا",
        "تواصلوا",
        "للتواصل",
        "راسلني",
        "راسلوني",
        "راسلنا",
        "اتصل علي",
        "اتصلوا",
        "للاستفسار",
        "علي الخاص",
        "في الخاص",
        "ع الخاص",
        "contact me",
        "contact us",
        "dm me",
        "dm us",
        "message me",
        "inbox me",
        "text me",
        "call now",
        "call me",
        "reach out to",
        "contacter",
        "contactez",
    ),
    # only phrases that mean an offer: "قرض" or "profit" alone are ordinary news words, and so
    # are "bonus" / "بونص" (a salary bonus), "كازينو" (a café or poultry shop in Egypt) and
    # "بتكوين" ("by forming"): only their betting and crypto phrases count
    "money": (
        "اربح",
        "اربحي",
        "ربح يومي",
        "دخل يومي",
        "ارباح يوميه",
        "بدون فوائد",
        "بدون ضمانات",
        "قرض شخصي",
        "قروض شخصيه",
        "قروض سريعه",
        "فوركس",
        "بيتكوين",
        "عملات رقميه",
        "كريبتو",
        "مراهنات",
        "كازينو اونلاين",
        "كازينو اون لاين",
        "العاب الكازينو",
        "بونص ترحيبي",
        "اول ايداع",
        "كود خصم",
        "كوبون خصم",
        "كود كوبون",
        "بروموكود",
        "برومو كود",
        "كود برومو",
        "سجل واربح",
        "سجلوا واربحوا",
        "سجلو واربحو",
        "شارك واربح",
        "ادخل واربح",
        "سحب فوري",
        "اعمل من البيت",
        "العمل من المنزل",
        "العمل من البيت",
        "earn money",
        "make money",
        "earn $",
        "bitcoin",
        "crypto",
        "forex",
        "betting",
        "casino",
        # betting sites whose codes flood Arabic comment sections
        "melbet",
        "1xbet",
        "linebet",
        "betwinner",
        "mostbet",
        "22bet",
        "welcome bonus",
        "deposit bonus",
        "first deposit",
        "no deposit",
        "free spins",
        "bonus code",
        "promo code",
        "promocode",
        "work from home",
        "per day",
        "gagner de l'argent",
        "paris sportifs",
        "code promo",
        "use my code",
        "awel dépôt",
        "awel depot",
    ),
    # "حسابي" ("at my expense"), "موقعي" ("my position"), "للطلب" / "للحجز" ("for the
    # application", "to the impound") alone are ordinary news words: only as an invitation
    "promotion": (
        "قناتي",
        "قناتنا",
        "صفحتي",
        "صفحتنا",
        # with a glued preposition or conjunction ("لايك لصفحتي", "اشتركوا بقناتي")
        "لقناتي",
        "بقناتي",
        "وقناتي",
        "لصفحتي",
        "بصفحتي",
        "وصفحتي",
        "لصفحتنا",
        "بصفحتنا",
        "لقناتنا",
        "بقناتنا",
        "ادخل موقعي",
        "ادخلوا موقعي",
        "موقعنا الالكتروني",
        "تابعوا حسابي",
        "تابعو حسابي",
        "اشتركوا",
        "اشترك في",
        "اشترك بالقناه",
        "تابعوني",
        "تابعونا",
        "زوروا",
        "زوروني",
        "لايك واشتراك",
        "متجرنا",
        "اطلب الان",
        "اطلبي الان",
        "للطلب والاستفسار",
        "للطلب اتصل",
        "للطلب واتساب",
        "للحجز والاستفسار",
        "للحجز اتصل",
        "للحجز واتساب",
        "بودكاستي",
        "كتابي الجديد",
        "my podcast",
        "my new book",
        "leave a review",
        "my channel",
        "my videos",
        "my new video",
        "my songs",
        "my new song",
        "sub4sub",
        "sub 4 sub",
        "my page",
        "my site",
        "my website",
        "my blog",
        "my profile",
        "subscribe",
        "follow me",
        "follow us",
        "check out my",
        "visit my",
        "check my",
        "visit our",
        "order now",
        "buy now",
        "ma chaine",
        "ma chaîne",
        "abonnez",
        "link in bio",
        "link in my bio",
        "lien en bio",
        "في البايو",
        "page mte3i",
        "page mta3i",
        "page dyali",
        "chaine dyali",
    ),
    "commerce": (
        "ارخص الاسعار",
        "بارخص الاسعار",
        "اسعار منافسه",
        "الكميه محدوده",
        "التوصيل لكل",
        "توصيل مجاني",
        "توصيل مجانا",
        "التوصيل مجاني",
        "التوصيل مجانا",
        "والتوصيل مجاني",
        "والتوصيل مجانا",
        "توصيل لجميع",
        "للبيع",
        "بيع حسابات",
        "زياده متابعين",
        "شراء متابعين",
        "followers",
        "cheap price",
        "best price",
        "free shipping",
        "limited offer",
        "limited stock",
        "discount code",
        "livraison",
        "abonne",
        "abonnez-vous",
    ),
    "healer": (
        "شيخ روحاني",
        "الشيخ الروحاني",
        "معالج روحاني",
        "جلب الحبيب",
        "فك السحر",
        "رد المطلقه",
        "رد المطلقة",
        "علاج السحر",
        "spell caster",
        "love spell",
        "marabout voyant",
        "voyant médium",
        "retour de l'être aimé",
        "retour de l’être aimé",
        "retour de l'etre aime",
        "retour de l etre aime",
        "voyant medium",
        "medium voyant",
    ),
}


_Trie = dict[str, "_Trie"]


def _trie(forms: set[str]) -> str:
    """A pattern matching exactly ``forms``, as a character trie: at each position of the text
    the engine tests one character class instead of every phrase in turn (twice as fast as a
    plain alternation of 200 phrases)."""
    root: _Trie = {}
    for form in forms:
        node = root
        for ch in form:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: _Trie) -> str:
        branches, leaves = [], []
        for ch in sorted(k for k in node if k):
            child = node[ch]
            if list(child) == [""]:
                leaves.append(re.escape(ch))
            else:
                branches.append(re.escape(ch) + build(child))
        if leaves:
            branches.append(leaves[0] if len(leaves) == 1 else "[" + "".join(leaves) + "]")
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(root)


def phrase_pattern(phrases: tuple[str, ...], prefix: str = "") -> re.Pattern[str]:
    """Match any phrase (normalised like the text) as whole words.

    ``prefix``: an optional pattern allowed before a phrase inside its first word (an Arabic
    conjunction, say: "و" of "وبنجيك").
    """
    forms = {normalize(p) for p in phrases}
    lead = f"(?:{prefix})?" if prefix else ""
    return re.compile(r"(?<![\w])" + lead + "(?:" + _trie(forms) + r")(?![\w])")


def phrase_prefilter(plain: Iterable[str], glued: Iterable[str], prefixes: str) -> re.Pattern[str]:
    """One pattern for several phrase lists: it matches wherever a phrase of ``plain`` matches
    as whole words, or a phrase of ``glued`` with or without one of the letters ``prefixes``
    glued to its front (as ``phrase_pattern(glued, prefix=...)`` finds them).

    A comment it does not match holds none of the phrases, so the per-list searches can be
    skipped; every form goes into one character trie, which costs about half of two passes.
    """
    glued_forms = {normalize(p) for p in glued}
    forms = {normalize(p) for p in plain} | glued_forms
    forms |= {letter + f for f in glued_forms for letter in prefixes}
    return re.compile(r"(?<![\w])(?:" + _trie(forms) + r")(?![\w])")


SPAM_PHRASES: tuple[str, ...] = tuple(p for ps in _PHRASES.values() for p in ps)
_PHRASE_RE = {kind: phrase_pattern(ps) for kind, ps in _PHRASES.items()}
# One pass over an ordinary comment instead of one per kind: most comments match nothing.
_ANY_PHRASE = phrase_pattern(SPAM_PHRASES)


def spam_signals(text: str, normalized: str | None = None, phrases: bool = True) -> tuple[str, ...]:
    """Return the kinds of spam evidence in ``text`` (empty for an ordinary comment).

    ``normalized`` is ``normalize(text)`` when the caller already has it; ``phrases=False``
    skips the phrase search, for a caller whose ``phrase_prefilter`` already found none.
    """
    found: set[str] = set()
    norm = normalize(text) if normalized is None else normalized
    for token, kind in _ENTITY.items():
        if token in norm:  # the normaliser marks only plausible phone numbers
            found.add(kind)
    # every hint has a "." or "://": most comments skip the case-blind search
    if ("." in text or "://" in text) and _URL_HINT.search(text) and _URL.search(text):
        found.add("link")
    # digits the normaliser left unmarked (inside a longer run, oddly split) may still be one
    if (
        "phone" not in found
        and _DIGIT.search(norm)
        and any(plausible_phone(phone_digits(m.group())) for m in _PHONE.finditer(norm))
    ):
        found.add("phone")
    if "@" in text and _HANDLE.search(text):
        found.add("handle")
    if phrases and _ANY_PHRASE.search(norm):
        for kind, rx in _PHRASE_RE.items():
            if rx.search(norm):
                found.add(kind)
    if found & {"link", "handle"} and _only_official_addresses(text, norm):
        found -= {"link", "handle"}
    return tuple(sorted(found))


# Government, university and military domains ("moe.gov.ly", "info@cbl.gov.ly", "gouv.fr",
# "harvard.edu"): readers point each other to them ("the complaints go to info@cbl.gov.ly").
# Only suffixes that a registry reserves for such bodies count: top-level .gov, .edu, .mil and
# .int, and the listed country suffixes ("edu.vip" or "gov.io" may be anybody's name).
_OFFICIAL_TLDS = frozenset({"gov", "edu", "mil", "int"})
_OFFICIAL_SUFFIXES = frozenset(
    f"{kind}.{cc}"
    for kind in ("gov", "edu", "mil")
    for cc in ("ly", "tn", "dz", "ma", "eg", "sa", "jo", "qa", "ae", "kw", "om", "bh", "iq")
) | frozenset({"gouv.fr", "gov.uk", "ac.uk", "ac.ma", "gouv.ma", "gouv.tn", "gouv.dz"})
# Every dotted name in the text, read permissively: a host hidden after "@", "+", "/" or a
# backslash, or in the user part of a URL ("https://moe.gov.ly:443@loans-ly.com"), is still a
# name here, and one that is not official keeps the evidence.  A label is at most 63 characters
# (as in DNS): unbounded, a long run of letters cost time quadratic in its length.
_DOTTED = re.compile(
    r"(?i)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+"
)


def _official(host: str) -> bool:
    host = host.lower()
    if host.rsplit(".", 1)[-1] in _OFFICIAL_TLDS:
        return True
    return any(host == sfx or host.endswith("." + sfx) for sfx in _OFFICIAL_SUFFIXES)


def _only_official_addresses(text: str, norm: str) -> bool:
    """True when every dotted name in ``text`` (links, e-mail domains, anything) is on an
    official domain and it has no messaging handle ("@name", a WhatsApp or Telegram link):
    then its links and e-mail addresses are no spam evidence.

    The names are read twice: off the raw text, and as the normaliser reads links (past a
    zero-width space, fullwidth letters, a one-dot leader, an Arabic host name, a scheme
    without a dot), so that a seller's host the raw reading misses keeps the evidence."""
    if "xhandlex" in norm or ("@" in text and _HANDLE.search(text)):
        return False
    names = [m.group() for m in _DOTTED.finditer(text)]
    names += extract_entities(text).domains
    return bool(names) and all(_official(n) for n in names)
