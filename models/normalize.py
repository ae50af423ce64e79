"""Text normalisation for Mizan (Arabic MSA and dialects, Arabizi, English).

Pure functions, standard library only (``re``, ``unicodedata``). The normaliser runs before the
classifier's features, before word-list matching and before duplicate detection.

Public API
----------
``normalize(text)``
    Fast path, used on every comment. Pipeline (in this order):

    1. ``fold``: character-level folding (see below).
    2. Whitespace collapsed to single spaces.
    3. Entity marking: URLs -> `` xurlx ``, e-mails -> `` xemailx ``, phone numbers ->
       `` xphonex ``, WhatsApp/Telegram references -> `` xhandlex `` (``wa.me/..``, ``t.me/..``
       links, and a number or handle that follows a keyword such as واتساب / تلغرام / whatsapp;
       the keyword itself is kept). A bare ``@name`` alone is a reply mention and is NOT marked.
       A host with any 2-6 letter top-level domain counts as a URL when a path follows
       ("youtu.be/x1", "shorturl.at/abc"). A digit run is a phone number only when
       ``plausible_phone`` accepts it: "000000000", "55555555" and "10000000000" (emphasis,
       amounts) stay digits.
       An entity does not start inside a Latin word or number, except directly after another
       entity ("a.com+218912345678" -> two entities, as its marked form "xurlx +218..." reads);
       a placeholder never starts an entity ("xurlx . com" stays).
    4. Leetspeak inside Latin tokens (rule below).
    5. Runs of 3+ identical *letters* collapse to ONE letter; doubled letters are kept
       ("كلللب" -> "كلب", "stuuuupid" -> "stupid", "هههههه" -> "ه", "good" -> "good").
       Digits are never collapsed (phone numbers, prices, "1000000").
    6. Before it (and again after it, when it joined letters): the end of an Arabic word spelled
       out letter by letter and glued to its first two or three letters loses its separators
       ("الق_ح_ب_ة" -> "القحبه"), unless another word is joined on either side (hashtags:
       "#يوم_و_ك_تاريخ" stays); step 5 runs again on a joined word.
       Spaced-out letters rejoined: a run of 3+ single-letter tokens separated by spaces, dots,
       dashes, underscores, asterisks, "~", "+", "•" becomes one word ("ك ل ب" -> "كلب",
       "s.p.a.m" -> "spam"). A single-letter word such as "و" before an ordinary word is never
       touched, and neither is a letter glued to a digit, "$" or a non-leading "@" (it belongs
       to a leet token: "$a a b" stays; "@n_a_y_f" -> "@nayf"; rejoining must not create a token
       that step 4 would map on a second pass). When some separators are plain spaces, a
       separator containing "." keeps the dot, so "g o o g l e . c o m" -> "google.com" (and
       is then marked as a URL); but when a separator is a dot without a space and the dots
       alone make words of 2+ letters ("ي.ا ك.ل.ب"), those are the words and the spaces stay
       between them ("يا كلب"). Step 5 runs again.
    7. Entity marking again (catches entities that only appear after steps 4-6, e.g. "fr33.c0m").
    8. Whitespace collapsed again, ends stripped.

``fold(text)``
    Character-level folding only, for word lists and dictionaries: strip invisible characters
    (zero-width, bidi controls, soft hyphen, CGJ, Unicode tags, Hangul fillers, C0/C1 controls
    other than whitespace), Arabic diacritics and tatweel (a gap with tatweel on both sides,
    "يلـ ـعن", "حقـ.ـير", is closed first: it is how a word is cut to hide it); NFKC; casefold;
    unify alef/hamza forms (أ إ آ ٱ -> ا, ؤ -> و, ئ -> ي, standalone ء kept), ى -> ي, ة -> ه,
    Persian/Urdu look-alikes (ک گ -> ك, ی -> ي, ہ ھ ۀ -> ه, ڤ -> ف, پ -> ب, چ -> ج, plus ڪ ڭ ->
    ك, ڨ -> ق, ے ې -> ي); Arabic-Indic and Persian digits -> ASCII; Cyrillic/Greek homoglyphs ->
    Latin. Homoglyphs are mapped inside a word only when the word also contains a Latin letter,
    or when *every* Cyrillic/Greek letter in it has a Latin look-alike ("ѕрам" -> "spam",
    "раураl" -> "paypal"), so genuine Russian/Greek words ("привет") are left alone.

``normalize_with_offsets(text)`` / ``original_span(...)``
    Same output as ``normalize`` plus, for every output character, the index of the original
    character it came from. Slower; used for explanations and word-list spans.

``extract_entities(text)``
    URLs, registrable domains, e-mails, phones and messenger handles found in the original text.

Leetspeak vs Arabizi (decision)
-------------------------------
Leet is applied per token of ``[a-z0-9@$]`` characters, and only when the token contains at
least two Latin letters. The map is 0->o 1->i 3->e 4->a 5->s 7->t @->a $->s. A token is left as
it is when

* it contains 2, 6, 8 or 9 (Arabizi letters ء ط غ ق/ص, or an alphanumeric code: "covid19");
* it has a run of 3+ digits, more leet characters than letters + 1, or is an ordinal ("1st");
* its only leet character is one digit at the very end ("mp3", "web3", "ahmed1");
* its only leet characters are among 3, 5, 7 (which are also Arabizi ع خ ح) and its letters
  contain a vowel (a e i o u). Leetspeak replaces vowels (3 = e), so a leet word loses them
  ("fr33", "s3x", "t3st" -> "free", "sex", "test"), while Arabizi writes the vowels and uses the
  digits for consonants ("3ayb", "7mar", "ya5i", "5ara" stay unchanged).

A leading "@" is a mention and is never mapped; an inner "@" is ("b@d" -> "bad"). A token whose
last character carries a combining mark ("aa@" + U+0300) is left alone: mapping it would make a
character that composes with the mark on the next ``fold``.

``normalize`` is idempotent: ``normalize(normalize(x)) == normalize(x)`` (property-tested).

Timings
-------
Measured with ``timeit`` (best of 5-7) on CPython 3.11 on the shared 2-core development machine
while other jobs were running (load average 2-7; a calibration ``("abc " * 50).split()`` took
3-6 µs there, several times slower than on a typical idle core). Best observed figures:

* ``normalize``, typical 200-char Arabic comment: ~29 µs (budget 25 µs)
* ``normalize``, 2,000-char Arabic comment: ~280 µs (budget 200 µs)
* ``normalize``, 200-char English comment without entities: ~26 µs
* ``normalize``, 200-char English comment with a URL and a phone: ~90 µs (entity regex runs)
* ``normalize_with_offsets``, 200-char Arabic comment: ~370 µs (not on the hot path)

These need re-measuring on an idle machine; the budgets were not verified here. The hot path
uses one translate table (with a ``str.replace`` shortcut for the seven common Arabic letters),
and every regex step sits behind a cheap pre-check that is a necessary condition for it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

__all__ = [
    "Entities",
    "extract_entities",
    "fold",
    "normalize",
    "normalize_with_offsets",
    "original_span",
]

URL_MARK = " xurlx "
EMAIL_MARK = " xemailx "
PHONE_MARK = " xphonex "
HANDLE_MARK = " xhandlex "

# ---------------------------------------------------------------------------------------------
# Character table (one str.translate table for every single-character mapping / deletion)
# ---------------------------------------------------------------------------------------------


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    delete_ranges = [
        (0x200B, 0x200F),  # zero-width space/joiners, LRM/RLM
        (0x2060, 0x2064),  # word joiner, invisible operators
        (0xFEFF, 0xFEFF),  # BOM / ZWNBSP
        (0x00AD, 0x00AD),  # soft hyphen
        (0x034F, 0x034F),  # combining grapheme joiner
        (0x180E, 0x180E),  # Mongolian vowel separator
        (0x202A, 0x202E),  # bidi embeddings/overrides
        (0x2066, 0x2069),  # bidi isolates
        (0x061C, 0x061C),  # Arabic letter mark
        (0x064B, 0x065F),  # harakat
        (0x0670, 0x0670),  # superscript alef
        (0x06D6, 0x06ED),  # Quranic marks
        (0x0610, 0x061A),  # Arabic signs
        (0x0640, 0x0640),  # tatweel
        (0xFE00, 0xFE0F),  # variation selectors
        (0xE0000, 0xE007F),  # Unicode tags (invisible text smuggling)
        (0x115F, 0x1160),  # Hangul fillers (render blank)
        (0x3164, 0x3164),
        (0xFFA0, 0xFFA0),
        (0x0000, 0x0008),  # C0/C1 controls that are not whitespace
        (0x000E, 0x001B),
        (0x007F, 0x0084),
        (0x0086, 0x009F),
    ]
    for lo, hi in delete_ranges:
        for cp in range(lo, hi + 1):
            table[cp] = None
    letters = {
        "ا": "أإآٱٲٳ",
        "و": "ؤٶٷ",
        "ي": "ئىیېےۓٸ",
        "ه": "ةہھۀۃ",
        "ك": "کگڪڭ",
        "ف": "ڤ",
        "ب": "پ",
        "ج": "چ",
        "ق": "ڨ",
    }
    for target, sources in letters.items():
        for ch in sources:
            table[ord(ch)] = target
    for i in range(10):
        table[0x0660 + i] = str(i)
        table[0x06F0 + i] = str(i)
    return table


_TABLE = _build_table()

# Cyrillic / Greek / exotic Latin look-alikes (lower case: applied after casefold).
_HOMOGLYPHS = {
    # Cyrillic
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "з": "3",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "ѕ": "s",
    "ԁ": "d",
    "ԛ": "q",
    "ԝ": "w",
    "һ": "h",
    "ү": "y",
    "ӏ": "l",
    "ь": "b",
    "г": "r",
    # Greek
    "α": "a",
    "β": "b",
    "γ": "y",
    "ε": "e",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "ω": "w",
    "ϲ": "c",
    "ϳ": "j",
    "ζ": "z",
    # Latin look-alikes that NFKC/casefold leave alone
    "ı": "i",
    "ɑ": "a",
    "ɡ": "g",
    "ɩ": "i",
    "ʋ": "u",
}
del _HOMOGLYPHS["з"]  # "з" looks like a digit, not a letter: never map letters to digits
_HOMO_TABLE = str.maketrans(_HOMOGLYPHS)
_HOMO_CHARS = frozenset(_HOMOGLYPHS)
_CG_TOKEN = re.compile(r"[^\W_]*[\u0370-\u03ff\u0400-\u052f\u0131\u0251\u0261\u0269\u028b][^\W_]*")
_ASCII_LETTER = re.compile(r"[a-z]")


def _homoglyph_repl(m: re.Match[str]) -> str:
    tok = m.group()
    if _ASCII_LETTER.search(tok) or all(
        ch in _HOMO_CHARS
        for ch in tok
        if "\u0370" <= ch <= "\u052f" or ch in "\u0131\u0251\u0261\u0269\u028b"
    ):
        return tok.translate(_HOMO_TABLE)
    return tok


def _common_pairs() -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for ch in "أإآؤئىة":
        dst = _TABLE[ord(ch)]
        assert dst is not None, "these letters are mapped by _build_table, never deleted"
        pairs.append((ch, dst))
    return tuple(pairs)


_COMMON = _common_pairs()


def _char_class(cps: list[int]) -> str:
    """A compact regex character class (ranges) for the given code points."""
    parts = []
    cps = sorted(cps)
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = re.escape(chr(cps[i])), re.escape(chr(cps[j]))
        parts.append(lo if i == j else f"{lo}-{hi}")
        i = j + 1
    return "[" + "".join(parts) + "]"


_RARE = re.compile(_char_class([cp for cp in _TABLE if chr(cp) not in "أإآؤئىة"]))
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")
_CG_HINT = re.compile(r"[\u0370-\u03ff\u0400-\u052f\u0131\u0251\u0261\u0269\u028b]")
_NFKC = unicodedata.normalize
_IS_NORMALIZED = unicodedata.is_normalized
_COMBINING = unicodedata.combining


def _fold_chars(s: str) -> str:
    """NFKC + casefold + table, iterated to a fixed point. ``s`` has already been translated."""
    t = _NFKC("NFKC", s).casefold()
    if t == s:
        return s
    s = _translate(t)  # the same as t.translate(_TABLE), ten times faster on common text
    for _ in range(4):
        if _IS_NORMALIZED("NFKC", s):
            break
        t = _translate(_NFKC("NFKC", s).casefold())
        if t == s:
            break
        s = t
    return s


def _translate(text: str) -> str:
    """``text.translate(_TABLE)``, with a cheaper path for the usual Arabic comment."""
    if _RARE.search(text):
        return text.translate(_TABLE)
    for src, dst in _COMMON:
        if src in text:
            text = text.replace(src, dst)
    return text


# A word cut in two with tatweel on both sides of the gap ("يلـ ـعن", "حقـ.ـير"): no honest
# writer types that, and it hides an insult from every word-level match, so the gap is closed
# before folding: spaces, or between Arabic letters the separators step 6 rejoins letters
# across ("2020ـ - ـ2021" is a range of years).
_TATWEEL_SPLIT = re.compile(
    r"\u0640+\s+\u0640+|(?<=[\u0621-\u064a])\u0640+[\s.\-_*•·~+]+\u0640+(?=[\u0621-\u064a])"
)


def fold(text: str) -> str:
    """Character-level folding only (no entity marking, repeat collapsing or rejoining).

    For word-list and dictionary matching. See the module docstring for the exact rules.
    """
    if text.isascii():
        if _ASCII_CONTROL.search(text):
            text = text.translate(_TABLE)
        return text.lower()
    if "\u0640" in text:
        text = _TATWEEL_SPLIT.sub("", text)
    s = _fold_chars(_translate(text))
    if _CG_HINT.search(s):
        t = _CG_TOKEN.sub(_homoglyph_repl, s)
        if t != s:
            s = _fold_chars(t)  # e.g. Cyrillic "ѕ" + U+0301 -> "s" + U+0301 -> "ś"
    return s


# ---------------------------------------------------------------------------------------------
# Entities (patterns run on folded, whitespace-collapsed text: lower case, ASCII digits)
# ---------------------------------------------------------------------------------------------

_TLDS = (
    "com|net|org|info|biz|io|co|me|ly|tv|cc|ws|xyz|top|site|online|club|shop|store|app|dev|"
    "link|live|click|vip|pro|tk|ml|ga|cf|gq|ru|su|cn|uk|de|fr|tr|eu|ae|sa|eg|tn|dz|ma|qa|kw|"
    "bh|om|jo|lb|sy|iq|ps|sd|ye|gov|edu|mobi|news|blog|website|space|fun|icu|buzz|work|bet|"
    "casino|win|loan|money|cash|gl|gd|fm|ai|gg|ink|ir|pk|in|us|ca|au|ch|nl|es|pl|br"
)
_SPACED_TLDS = "com|net|org|ly|io|xyz|info|biz|ru|site|online|top|shop|app"
_TRAIL = r"[^\s.,!?;:'\")\]}»،؛؟…]"
_PATH = rf"(?:[/?#](?:\S*{_TRAIL})?)?"
# labels each followed by a dot (possessive: no backtracking)
_HOST = r"(?:[a-z0-9\-]++\.(?=[a-z0-9]))++"

_HANDLE_LINK = (
    r"(?:(?:https?://)?(?:www\.)?(?:wa\.me|t\.me|telegram\.(?:me|dog)|"
    r"(?:api\.|chat\.)?whatsapp\.com|wa\.link)(?![a-z0-9\-])" + _PATH + ")"
)
_EMAIL = (
    r"(?:[a-z0-9][a-z0-9._%+\-]*+ ?(?:@|\[at\]|\(at\)) ?"
    rf"{_HOST}[a-z]{{2,24}}(?![a-z0-9\-]))"
)
_URL = (
    rf"(?:(?:https?|hxxps?|ftp)://\S*{_TRAIL}"
    rf"|www[0-9]?\.\S*{_TRAIL}"
    rf"|{_HOST}(?:{_TLDS})(?![a-z0-9\-]){_PATH}"
    rf"|[a-z0-9\-]++(?: ?(?:\[\.\]|\(\.\)|\[dot\]|\(dot\)) ?| \. ?| ?\. | dot )"
    rf"(?:{_SPACED_TLDS})(?![a-z0-9\-]){_PATH}"
    r"|[a-z0-9\-]++ ?دوت ?(?:com|net|org|كوم|نت|اورج)(?![a-z0-9\u0621-\u064a])"
    # any other top-level domain, when a path follows ("youtu.be/x1", "shorturl.at/abc")
    rf"|{_HOST}[a-z]{{2,6}}/\S*{_TRAIL})"
)
_KEYWORDS = (
    r"(?:واتس ?اب|واتساب|واتسب|وتساب|وتس اب|واتس|وتس|"
    r"تلغرام|تليغرام|تلجرام|تليجرام|تيليجرام|تيليغرام|تيلجرام|تلقرام|تليقرام|فايبر|"
    r"(?<![a-z])(?:whats ?app|watsapp|wtsapp|telegram|viber|wa|tg|wts)(?![a-z]))"
)
_KW_FILL = r"(?: ?[:\-=]* ?(?:(?:علي|رقم|الرقم|رقمي|on|at|no|number|id)(?![a-z]) ?[:\-=]* ?)?)"
_KW_TARGET = (
    r"(?:\+?[0-9](?: ?[\-.()]? ?[0-9]){6,14}(?![0-9a-z])"
    r"|(?!x(?:url|email|phone|handle)x(?![a-z0-9_]))@?[a-z][a-z0-9_.]{2,31}(?<!\.)(?![a-z0-9_]))"
)
_SEP_D = r"(?: ?[\-.()/]? ?)"
_PHONE = (
    r"(?:"
    rf"(?:(?:\+|00)[0-9](?:{_SEP_D}[0-9]){{6,14}}"
    rf"|\(?0{_SEP_D}[0-9](?:{_SEP_D}[0-9]){{6,13}}"
    r"|[1-9](?![0-9]*00000(?![0-9]))[0-9]{7,14})"
    r"(?![0-9a-z]))"
)

_ENTITY_BODY = (
    # one cheap guard for every alternative; a placeholder never starts an entity (otherwise
    # "xurlx . com" would become a URL on a second pass)
    r"(?=[a-z0-9+(\[وتف])(?!x(?:url|email|phone|handle)x(?:\s|$))"
    rf"(?:(?P<hlink>{_HANDLE_LINK})|(?P<email>{_EMAIL})|(?P<url>{_URL})"
    rf"|(?P<kw>{_KEYWORDS})(?P<kwfill>{_KW_FILL})(?P<kwt>{_KW_TARGET})"
    rf"|(?P<phone>{_PHONE}))"
)
# an entity never starts inside a Latin word/number ...
_ENTITY_RE = re.compile(r"(?<![a-z0-9@.\-_/%+])" + _ENTITY_BODY)
# ... except right where the previous entity ended: its placeholder ends in a space, so the
# marked text is read as if that entity were followed by a space ("a.com+218..." is a URL and a
# phone, as "xurlx +218..." would be).
_ENTITY_NEXT = re.compile(_ENTITY_BODY)


def plausible_phone(digits: str) -> bool:
    """True when a run of digits (international prefix removed) could be a phone number.

    8 to 15 digits (E.164's limit), not mostly one repeated digit, not ten or more digits that
    repeat a group of two or three and do not start with 0, not ending in five zeros: readers
    write "000000000", "55555555", "13 13 13 13 13 13" or "1000000000000 مبروك" for emphasis
    or a huge amount, and such runs made published news comments read as spam.
    """
    if not 8 <= len(digits) <= 15 or digits.endswith("00000"):
        return False
    if (
        len(digits) >= 10
        and digits[0] != "0"
        and any(digits == digits[:k] * (len(digits) // k) for k in (2, 3))
    ):
        return False  # a short group repeated ("13 13 13 13 13 13"): emphasis, where a
        # vanity number in local form starts with 0 ("06 06 06 06 06") or has 8-9 digits
    return max(digits.count(d) for d in set(digits)) < 0.75 * len(digits)


def _phone_digits(raw: str) -> str:
    digits = "".join(c for c in raw if c.isdigit())
    return digits[2:] if digits.startswith("00") else digits


def _entity_matches(s: str) -> Iterator[re.Match[str]]:
    """The entity matches in ``s``, left to right (see ``_ENTITY_NEXT``)."""
    m = _ENTITY_RE.search(s)
    while m is not None:
        end = m.end()
        if m.lastgroup == "phone" and not plausible_phone(_phone_digits(m.group())):
            m = _ENTITY_RE.search(s, end)  # digits, not a phone number: left as they are
            continue
        yield m
        m = _ENTITY_NEXT.match(s, end) or _ENTITY_RE.search(s, end)


# Cheap necessary conditions for any entity above (the big regex is skipped on most comments).
_DOT_HINT = re.compile(rf"\.(?:[a-z0-9]| (?:{_SPACED_TLDS})(?![a-z0-9\-]))")
_DIGITS_HINT = re.compile(r"[0-9](?: ?[\-.()/]? ?[0-9]){6}")
_KW_SHORT_HINT = re.compile(r"(?:wa|tg)(?![a-z])")


def _entity_hint(s: str) -> bool:
    # What each alternative of _ENTITY_BODY must contain: a handle link, an e-mail and a host
    # have a "." before a letter or digit (_DOT_HINT); a scheme has "://"; the bracketed dot
    # forms and the keywords are listed; a phone number has seven digits. A bare "@name" (a
    # reply mention, a fifth of tweets) is none of them. "www." before a character other than
    # a letter or digit is marked only when the text has "@", "/", "[" or "(" (the hint the
    # shipped model was trained with; the features depend on the exact output). The keyword
    # tests are written out: a generator over a tuple costs more than all of them.
    if "://" in s or ("www" in s and ("@" in s or "/" in s or "[" in s or "(" in s)):
        return True
    if ("[" in s and ("[.]" in s or "[dot]" in s)) or ("(" in s and ("(.)" in s or "(dot)" in s)):
        return True
    if _DOT_HINT.search(s) is not None or _DIGITS_HINT.search(s) is not None:
        return True
    # the Arabic keywords ("رام" ends every spelling of Telegram)
    if not s.isascii() and ("واتس" in s or "وتس" in s or "رام" in s or "فايبر" in s or "دوت" in s):
        return True
    return (  # the Latin keywords, then the short ones
        "wts" in s
        or "whats" in s
        or "watsapp" in s
        or "wtsapp" in s
        or "telegram" in s
        or "viber" in s
        or "dot " in s
        or (("wa" in s or "tg" in s) and _KW_SHORT_HINT.search(s) is not None)
    )


_PLACEHOLDER = {"hlink": HANDLE_MARK, "email": EMAIL_MARK, "url": URL_MARK, "phone": PHONE_MARK}


def _entity_build(m: re.Match[str]) -> tuple[str, list[int]]:
    """Replacement text for an entity match and, per output char, its position in the match."""
    # The placeholder maps to the start of the entity and its trailing space to the character
    # after the match (position len(match)), so that original_span() covers the whole entity.
    kind = m.lastgroup
    end = m.end() - m.start()
    if kind in _PLACEHOLDER:
        rep = _PLACEHOLDER[kind]
        return rep, [0] * (len(rep) - 1) + [end]
    # keyword + target: keep the keyword, replace the target
    kw = m.group("kw")
    t0 = m.start("kwt") - m.start()
    rep = kw + HANDLE_MARK
    return rep, list(range(len(kw))) + [t0] * (len(HANDLE_MARK) - 1) + [end]


def _mark_entities(s: str) -> str:
    """Replace every entity in ``s`` by its placeholder."""
    parts: list[str] = []
    pos = 0
    for m in _entity_matches(s):
        parts.append(s[pos : m.start()])
        parts.append(_entity_build(m)[0])
        pos = m.end()
    if not parts:
        return s
    parts.append(s[pos:])
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Leetspeak, repeats, spaced-out letters
# ---------------------------------------------------------------------------------------------

# A leet character next to a letter. A token's leading "@" is a mention and never mapped, so it
# counts only inside a token ("b@d"; "@user" alone needs no pass).
_LEET_HINT = re.compile(r"[0-9@$](?<![^a-z0-9@$]@)(?<!^@)(?:(?<=[a-z].)|(?=[a-z]))")
_LEET_TOKEN = re.compile(r"(?<![a-z0-9@$])[a-z0-9@$]*(?:[a-z][0-9@$]|[0-9@$][a-z])[a-z0-9@$]*+")
_LEET_TABLE = str.maketrans("013457@$", "oieastas")
_ORDINAL = re.compile(r"[0-9]+(?:st|nd|rd|th)")
_DIGIT_RUN3 = re.compile(r"[0-9]{3}")


def _leet_repl(m: re.Match[str]) -> str:
    tok = m.group()
    end = m.end()
    if end < len(m.string) and _COMBINING(m.string[end]):
        # the last character carries a combining mark: "@" + U+0300 is not a token character,
        # and mapping it to "a" would compose to "à" on the next fold
        return tok
    prefix = ""
    body = tok
    if body.startswith("@"):  # a mention, keep its "@"
        prefix, body = "@", body[1:]
    letters = sum(1 for c in body if "a" <= c <= "z")
    if letters < 2:
        return tok
    leet = [c for c in body if c in "013457@$"]
    if not leet:
        return tok
    if (
        any(c in body for c in "2689")
        or _DIGIT_RUN3.search(body)
        or len(leet) > letters + 1
        or _ORDINAL.fullmatch(body)
        or (len(leet) == 1 and body[-1] == leet[0] and leet[0].isdigit())
    ):
        return tok
    if all(c in "357" for c in leet) and any(c in "aeiou" for c in body):
        return tok  # Arabizi: digits are consonants, vowels are written
    return prefix + body.translate(_LEET_TABLE)


_REPEAT_HINT = re.compile(r"(.)\1\1")
_REPEAT = re.compile(r"(.)\1{2,}")
# Step 6a: the end of an Arabic word spelled out letter by letter, glued to its first two or
# three letters ("الق_ح_ب_ة", "حق-ي-ر"): step 6 rejoins only runs that start a word, so it
# would leave "الق_حبه". The separators of such a word (two or more single letters after the
# start, each joined by a separator other than a space, and no other word joined on either
# side) are removed. It runs on folded text after step 5, so diacritics, invisible characters
# and repeated letters cannot hide the pattern from a first pass and reveal it to a second.
# Hashtags that join words with "_" ("#يوم_و_ليلة") are left alone.
# Hint: a single letter between two separators, which every such word has (a search that
# starts at a separator fails at once on most characters: a third of the cost of one that
# starts at a letter).
_GLUED_HINT = re.compile(r"[.\-_*•·~+][\u0621-\u064a][.\-_*•·~+]")
_GLUED_SPELLING = re.compile(
    r"(?<![^\W_])(?<![.\-_*•·~+])[\u0621-\u064a]{2,3}(?:[.\-_*•·~+]{1,3}[\u0621-\u064a]){2,}"
    r"(?![.\-_*•·~+]*[^\W_])"
)
_GLUED_SEP = re.compile(r"[.\-_*•·~+]")


def _unglue(m: re.Match[str]) -> str:
    return _GLUED_SEP.sub("", m.group())


_REJOIN_HINT = re.compile(r"[\s.\-_*•·~+]\w[\s.\-_*•·~+]{1,3}\w(?!\w)")
# A letter glued to a digit, "$" or a non-leading "@" is not a single-letter token (it is part
# of a leet token): "$a a b" is left alone, as rejoining it would make the leet token "$aab".
# A mention's leading "@" is never mapped, so "@n_a_y_f" still becomes "@nayf".
_REJOIN = re.compile(
    r"(?<![^\W_])(?<!\$)(?<![a-z0-9@$]@)"
    r"[^\W\d_](?:[\s.\-_*•·~+]{1,3}[^\W\d_](?![^\W_]|[@$])){2,}"
)
_REJOIN_SEP = re.compile(r"[\s.\-_*•·~+]+")


def _single_after_repeat(word: str) -> bool:
    """``word`` (letters only) is one letter after step 5 ("a", "aaa"; not "aa", "ab")."""
    return len(word) != 2 and word == word[0] * len(word)


def _rejoin_repl(m: re.Match[str]) -> str:
    tok = m.group()
    seps = _REJOIN_SEP.findall(tok)
    letters = _REJOIN_SEP.split(tok)
    if not any(s.isspace() for s in seps):
        return "".join(letters)
    if any("." in s and not any(c.isspace() for c in s) for s in seps):
        # letters joined by dots within words and spaces between the words ("ي.ا ك.ل.ب" ->
        # "يا كلب"), when every word so made has 2+ letters; otherwise ("p a y p a l.c o m")
        # the spaces join letters as below
        parts = [letters[0]]
        for sep, letter in zip(seps, letters[1:], strict=True):
            if any(c.isspace() for c in sep):
                parts.append(letter)
            else:
                parts[-1] += letter
        if not any(_single_after_repeat(p) for p in parts):
            return " ".join(parts)
    # keep the dots: the words between separators that contain a "."
    words = [letters[0]]
    for sep, letter in zip(seps, letters[1:], strict=True):
        if "." in sep:
            words.append(letter)
        else:
            words[-1] += letter
    if len(words) < 3:
        return ".".join(words)
    # 3+ dot-separated words that are (after step 5) single letters would be rejoined, without
    # their dots, on a second pass ("a.o.a.aa" -> "aoa.aa"): join them now.
    out: list[str] = []
    run: list[str] = []
    for word in [*words, "--"]:  # "--": a non-single sentinel that flushes the last run
        if _single_after_repeat(word):
            run.append(word)
            continue
        if len(run) >= 3:
            out.append("".join(run))
        else:
            out.extend(run)
        run = []
        out.append(word)
    return ".".join(out[:-1])


# ---------------------------------------------------------------------------------------------
# normalize (fast path)
# ---------------------------------------------------------------------------------------------


def _repeat_repl(m: re.Match[str]) -> str:
    ch = m.group(1)
    return ch if ch.isalpha() else m.group()


# (precheck, pattern, replacement) for the regex steps 4-6; shared by both paths.
_Step = tuple[re.Pattern[str], re.Pattern[str], Callable[[re.Match[str]], str]]
_LEET_STEP: _Step = (_LEET_HINT, _LEET_TOKEN, _leet_repl)
_REPEAT_STEP: _Step = (_REPEAT_HINT, _REPEAT, _repeat_repl)
_REJOIN_STEP: _Step = (_REJOIN_HINT, _REJOIN, _rejoin_repl)
_GLUED_STEP: _Step = (_GLUED_HINT, _GLUED_SPELLING, _unglue)


def _run(step: _Step, s: str) -> str:
    hint, pattern, repl = step
    if hint.search(s):
        return pattern.sub(repl, s)
    return s


def normalize(text: str) -> str:
    """Normalise a comment (see the module docstring for the pipeline)."""
    s = " ".join(fold(text).split())
    r = s
    if _entity_hint(s):
        s = _mark_entities(s)
    t = _run(_LEET_STEP, s)
    t = _run(_REPEAT_STEP, t)
    g = _run(_GLUED_STEP, t)
    if g != t:  # a joined word may make a run of 3+ letters ("اا_ا_ا")
        g = _run(_REPEAT_STEP, g)
    u = _run(_REJOIN_STEP, g)
    if u != g:  # rejoined letters may start a glued spelling ("ر ك.ي_ا")
        u = _run(_GLUED_STEP, u)
    if u != t:
        u = _run(_REPEAT_STEP, u)
    if u != s and _entity_hint(u):
        u = _mark_entities(u)
    if u != r:
        return " ".join(u.split())
    return u


# ---------------------------------------------------------------------------------------------
# normalize_with_offsets (tracked path; every step mirrors the fast path)
# ---------------------------------------------------------------------------------------------


def _align(src: str, rep: str) -> list[int]:
    """Position in ``src`` for each char of ``rep`` (monotone subsequence alignment)."""
    if len(src) == len(rep):
        return list(range(len(rep)))
    out = []
    p = 0
    last = len(src) - 1
    for ch in rep:
        q = src.find(ch, p)
        if q == -1:
            out.append(min(p, last))
        else:
            out.append(q)
            p = q + 1
    return out


def _sub_tracked(
    finditer: Callable[[str], Iterable[re.Match[str]]],
    build: Callable[[re.Match[str]], tuple[str, list[int]]],
    s: str,
    offs: list[int],
) -> tuple[str, list[int]]:
    """``pattern.sub`` that also maps offsets; ``finditer(s)`` yields the matches (e.g. a
    ``pattern.finditer``), ``build(m) -> (text, rel_positions)``."""
    parts: list[str] = []
    new_offs: list[int] = []
    pos = 0
    for m in finditer(s):
        a, b = m.span()
        parts.append(s[pos:a])
        new_offs.extend(offs[pos:a])
        rep, rel = build(m)
        parts.append(rep)
        last = len(offs) - 1
        new_offs.extend(offs[min(a + r, last)] for r in rel)
        pos = b
    parts.append(s[pos:])
    new_offs.extend(offs[pos:])
    return "".join(parts), new_offs


def _aligned(
    repl: Callable[[re.Match[str]], str],
) -> Callable[[re.Match[str]], tuple[str, list[int]]]:
    def build(m: re.Match[str]) -> tuple[str, list[int]]:
        rep = repl(m)
        return rep, _align(m.group(), rep)

    return build


def _ws_tracked(s: str, offs: list[int]) -> tuple[str, list[int]]:
    parts: list[str] = []
    new_offs: list[int] = []
    prev_end = -1
    for m in re.finditer(r"\S+", s):
        a, b = m.span()
        if prev_end >= 0:
            parts.append(" ")
            new_offs.append(offs[prev_end])
        parts.append(m.group())
        new_offs.extend(offs[a:b])
        prev_end = b
    return "".join(parts), new_offs


def _safe_start(ch: str) -> bool:
    return ch.isascii() or "\u0621" <= ch <= "\u064a"


def _fold_tracked(text: str) -> tuple[str, list[int]]:
    # 1. table, char by char (deletions drop the char, mappings keep its index)
    chars: list[str] = []
    idx: list[int] = []
    gaps = {i for m in _TATWEEL_SPLIT.finditer(text) for i in range(*m.span())}
    for i, ch in enumerate(text):
        if i in gaps:
            continue
        t = ch.translate(_TABLE)
        for c in t:
            chars.append(c)
            idx.append(i)
    s1 = "".join(chars)
    if s1.isascii():
        return s1.lower(), idx
    s, offs = _segment_fold(s1, idx)
    if _CG_HINT.search(s):
        t, t_offs = _sub_tracked(_CG_TOKEN.finditer, _aligned(_homoglyph_repl), s, offs)
        if t != s:
            s, offs = _segment_fold(t, t_offs)
    return s, offs


def _segment_fold(s1: str, idx: list[int]) -> tuple[str, list[int]]:
    """``_fold_chars`` with offsets: NFKC/casefold per segment, a boundary being placed only
    where folding the pieces separately gives the same result as folding them together."""
    out: list[str] = []
    offs: list[int] = []
    seg_start = 0
    for k in range(1, len(s1) + 1):
        if k < len(s1):
            c = s1[k]
            if not _safe_start(c):
                if unicodedata.combining(c):
                    continue
                fc = _fold_chars(c)
                if not fc or unicodedata.combining(fc[0]):
                    continue
                seg = s1[seg_start:k]
                if _fold_chars(seg + c) != _fold_chars(seg) + fc:
                    continue
        seg = s1[seg_start:k]
        f = seg.lower() if seg.isascii() else _fold_chars(seg)
        out.append(f)
        offs.extend([idx[seg_start]] * len(f))
        seg_start = k
    return "".join(out), offs


def _run_tracked(step: _Step, s: str, offs: list[int]) -> tuple[str, list[int]]:
    hint, pattern, repl = step
    if hint.search(s):
        return _sub_tracked(pattern.finditer, _aligned(repl), s, offs)
    return s, offs


def _normalize_tracked(text: str) -> tuple[str, list[int]]:
    s, offs = _fold_tracked(text)
    s, offs = _ws_tracked(s, offs)
    if _entity_hint(s):
        s, offs = _sub_tracked(_entity_matches, _entity_build, s, offs)
    t, t_offs = _run_tracked(_LEET_STEP, s, offs)
    t, t_offs = _run_tracked(_REPEAT_STEP, t, t_offs)
    g, g_offs = _run_tracked(_GLUED_STEP, t, t_offs)
    if g != t:
        g, g_offs = _run_tracked(_REPEAT_STEP, g, g_offs)
    u, u_offs = _run_tracked(_REJOIN_STEP, g, g_offs)
    if u != g:
        u, u_offs = _run_tracked(_GLUED_STEP, u, u_offs)
    if u != t:
        u, u_offs = _run_tracked(_REPEAT_STEP, u, u_offs)
    if u != s and _entity_hint(u):
        u, u_offs = _sub_tracked(_entity_matches, _entity_build, u, u_offs)
    return _ws_tracked(u, u_offs)


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """Return the normalised text and, for each of its characters, the index in `text` of the
    original character it came from (so a span [i, j) of the normalised text maps to
    original[offsets[i] : offsets[j-1] + 1]).

    Offsets are non-decreasing. Placeholder tokens map to the start of the entity they replace.
    The text is always identical to ``normalize(text)``; in the (theoretical) case where the
    tracked pipeline disagrees with the fast one, the fast result is returned with offsets
    interpolated linearly.
    """
    s, offs = _normalize_tracked(text)
    fast = normalize(text)
    if s != fast or len(offs) != len(s):  # pragma: no cover - safety net
        n = max(len(text), 1)
        m = max(len(fast), 1)
        return fast, [min(i * n // m, len(text) - 1) for i in range(len(fast))]
    return s, offs


def original_span(offsets: list[int], start: int, end: int, original_len: int) -> tuple[int, int]:
    """Map the span [start, end) of the normalised text to a span of the original text.

    The start is ``offsets[start]``. The end extends past ``offsets[end - 1]`` over characters
    that normalisation dropped (diacritics, tatweel, invisibles, repeated letters, separators of
    spaced-out letters) up to the original character of the next normalised character, or to the
    end of the original text. So "كلب" found in "كَلْـــبٌ" maps back to all of "كَلْـــبٌ".
    """
    if not 0 <= start < end <= len(offsets):
        raise ValueError(f"bad span [{start}, {end}) for {len(offsets)} offsets")
    a = offsets[start]
    b = offsets[end - 1] + 1
    nxt = offsets[end] if end < len(offsets) else original_len
    return a, max(b, min(nxt, original_len))


# ---------------------------------------------------------------------------------------------
# extract_entities
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entities:
    urls: tuple[str, ...]
    domains: tuple[str, ...]
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    handles: tuple[str, ...]


_SECOND_LEVEL = frozenset(
    [
        "co",
        "com",
        "net",
        "org",
        "gov",
        "edu",
        "ac",
        "or",
        "ne",
        "go",
        "info",
        "biz",
        "sch",
        "mil",
        "nic",
        "gob",
        "web",
    ]
)
_HOST_RE = re.compile(r"^(?:(?:https?|hxxps?|ftp)://)?([^/?#\s:]+)", re.IGNORECASE)
_SPACED_DOT = re.compile(r" ?(?:\[\.\]|\(\.\)|\[dot\]|\(dot\)|دوت|\.| dot ) ?")
_AR_TLD = {"كوم": "com", "نت": "net", "اورج": "org"}


def _registrable(host: str) -> str:
    host = host.strip(".").lower()
    if host.startswith("www.") or host.startswith("www2."):
        host = host.split(".", 1)[1]
    labels = [x for x in host.split(".") if x]
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _clean_url(raw: str) -> str:
    raw = raw.strip()
    m = re.match(r"^(\S+?) ?(?:\[\.\]|\(\.\)|\[dot\]|\(dot\)|دوت|\.| dot ) ?(\S+)$", raw)
    if (" " in raw or "[" in raw or "(" in raw or "دوت" in raw) and m:
        tld = _AR_TLD.get(m.group(2), m.group(2))
        return f"{m.group(1)}.{tld}"
    return raw


def _original_case(text: str, folded: str) -> str:
    """The substring of ``text`` that folds to ``folded`` (URL paths are case-sensitive)."""
    m = re.search(re.escape(folded), text, re.IGNORECASE)
    return m.group() if m else folded


def _digits(s: str) -> str:
    d = "".join(c for c in s if c.isdigit())
    return ("+" + d) if s.lstrip().startswith("+") else d


def _platform(kw: str) -> str:
    if kw.startswith(("و", "wa", "wh", "wt")):
        return "whatsapp"
    if kw.startswith(("فا", "vi")):
        return "viber"
    return "telegram"


def extract_entities(text: str) -> Entities:
    """Entities in the ORIGINAL comment text (obfuscations such as zero-width characters,
    Arabic-Indic digits or "bit . ly" are seen through). URLs keep the original case of their
    path; domains are lower-cased registrable hosts ("bit.ly", "bbc.co.uk"); phones are digits
    with a leading "+" when written internationally; handles are "t.me/name", "wa.me/number",
    or "whatsapp:0912345678" / "telegram:@name" for a number or handle after a keyword.
    """
    s = " ".join(fold(text).split())
    urls: list[str] = []
    domains: list[str] = []
    emails: list[str] = []
    phones: list[str] = []
    handles: list[str] = []
    if not _entity_hint(s):
        return Entities((), (), (), (), ())

    def add(lst: list[str], item: str) -> None:
        if item and item not in lst:
            lst.append(item)

    for m in _entity_matches(s):
        kind = m.lastgroup
        raw = m.group()
        if kind in ("url", "hlink"):
            url = _clean_url(raw)
            if url == raw:
                url = _original_case(text, raw)
            add(urls, url)
            hm = _HOST_RE.match(url)
            if hm:
                add(domains, _registrable(hm.group(1)))
            if kind == "hlink":
                add(handles, re.sub(r"^(?:https?://)?(?:www\.)?", "", url, flags=re.IGNORECASE))
        elif kind == "email":
            e = re.sub(r"\s?(?:@|\[at\]|\(at\))\s?", "@", raw)
            add(emails, e)
            add(domains, _registrable(e.rsplit("@", 1)[1]))
        elif kind == "phone":
            add(phones, _digits(raw))
        else:
            target = m.group("kwt")
            platform = _platform(m.group("kw"))
            if target[0].isdigit() or target[0] == "+":
                add(phones, _digits(target))
                add(handles, f"{platform}:{_digits(target)}")
            else:
                add(handles, f"{platform}:{target if target[0] == '@' else '@' + target}")
    return Entities(tuple(urls), tuple(domains), tuple(emails), tuple(phones), tuple(handles))
