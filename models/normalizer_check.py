"""Whether the normaliser still does what it did when a model was trained.

A model's features depend on the normaliser's exact output, so a model records a fingerprint
of that output: the SHA-256 of what ``normalize`` makes of a fixed, broad set of texts
(``check_texts``: a hand-written case for every rule, then 3,000 texts generated from pieces
that exercise each one, by a fixed generator).  A rewrite that gives the same output on all of
them (a faster path, a renamed helper) keeps the fingerprint; one that folds, marks, collapses
or rejoins anything differently changes it, and ``Classifier.normalizer_changed`` says so.

The set is fixed: changing it changes every fingerprint.  A model records the set's
``VERSION`` with its fingerprint; a model recorded under another version, or before there
were fingerprints, is checked by the SHA-256 of models/normalize.py instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache

VERSION = 1

# One or more cases per rule of the module docstring of models/normalize.py.
_CASES = (
    "",
    " ",
    "كلام عادي عن الكهرباء في طرابلس",
    "أإآٱ ؤ ئ ء ى ة",  # alef/hamza forms, ى, ة
    "مَرْحَبًا بِكُمْ",  # diacritics
    "كـــــلـــب",  # tatweel
    "يلـ ـعن",  # a word cut with tatweel on both sides of the gap
    "ک گ ی ہ ھ ۀ ڤ پ چ ڪ ڭ ڨ ے ې",  # Persian/Urdu look-alikes
    "٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹",  # Arabic-Indic and Persian digits
    "ѕрам раураl привет Ωmega",  # homoglyphs, a real Russian word
    "zero\u200bwidth\u200c\u200d\u2060 bidi\u202e\u202c soft\u00adhyphen tag\U000e0041",
    "control\x01\x02\x7f\x85 chars\tand\nlines\r\n",
    "ＦＵＬＬＷＩＤＴＨ ﻻ ﷲ ﬁ",  # NFKC
    "CamelCase ÉCOLE Straße",  # casefold
    "visit https://example.com/path?q=1 or www.test.org now",
    "youtu.be/x1 shorturl.at/abc a.com+218912345678 xurlx . com",
    "mail me: someone.name@example.ly",
    "اتصل 0912345678 او +218 91 234 5678 او 00218-91-234-5678",
    "000000000 55555555 10000000000 1000000 dinars",
    "واتساب 0912345678 تلغرام @seller whatsapp me wa.me/218912345678 t.me/shop",
    "@reply_to_someone thanks",
    "fr33 m0n3y $$$ h3ll0 n00b l33t 3arabizi 7mar",
    "كلللب stuuuupid هههههه good ooo",
    "ك ل ب s.p.a.m s-p-a-m s_p_a_m s*p*a*m s~p~a~m s+p+a+m s•p•a•m",
    "g o o g l e . c o m و كتب",
    "$a a b @n_a_y_f",
    "😀😂🔥 !!! ؟؟ ،،، «quote» — …",
    "ya 7mar enta khayen 3la babak",
    "ما شاء الله تبارك الله",
)

# Pieces the generator joins; each exercises one or more rules, alone or next to another.
_PIECES = (
    "أحمد",
    "إسلام",
    "آمال",
    "ٱلله",
    "مؤمن",
    "بئر",
    "مستشفى",
    "مدرسة",
    "ي",
    "و",
    "ال",
    "مَدْرَسَة",
    "ـ",
    "ــــ",
    "کتاب",
    "گل",
    "ی",
    "ہ",
    "پ",
    "چ",
    "ڤيديو",
    "١٢٣",
    "۴۵",
    "0912345678",
    "+218912345678",
    "00218",
    "91",
    "234",
    "5678",
    "٠٩١٢٣٤٥٦٧٨",
    "1000",
    "000000000",
    "55555555",
    "2024",
    "3",
    "7",
    "9",
    "hello",
    "HELLO",
    "w0rld",
    "h4ck3r",
    "l00k",
    "$",
    "@",
    "@user",
    "a@b.com",
    "http://x.com",
    "https://y.org/p",
    "www.z.net",
    "bit.ly/abc",
    "x.co",
    ".",
    "..",
    "-",
    "_",
    "*",
    "~",
    "+",
    "•",
    "/",
    ":",
    "(",
    ")",
    "!",
    "؟",
    "،",
    "ѕ",
    "р",
    "а",
    "о",
    "е",
    "с",
    "Ω",
    "ο",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u00ad",
    "\u202e",
    "\ufeff",
    "\t",
    "\n",
    "\xa0",
    "ﻻ",
    "ﷲ",
    "Ｆ",
    "ß",
    "É",
    "ههههه",
    "ووووو",
    "looool",
    "ooo",
    "كلب",
    "حمار",
    "واتساب",
    "whatsapp",
    "telegram",
    "تلغرام",
    "ك",
    "ل",
    "ب",
    "s",
    "p",
    "m",
    "😀",
    "🔥",
)

_N_GENERATED = 3000


def _lcg(seed: int) -> Callable[[int], int]:
    """A fixed pseudo-random generator (64-bit LCG): the same numbers on every Python."""
    state = [seed]

    def below(n: int) -> int:
        state[0] = (state[0] * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        return (state[0] >> 33) % n

    return below


@cache
def check_texts() -> tuple[str, ...]:
    """The texts the fingerprint is taken on (hand-written cases, then generated ones)."""
    below = _lcg(20261130)
    out = list(_CASES)
    for _ in range(_N_GENERATED):
        parts = []
        for _ in range(1 + below(12)):
            parts.append(_PIECES[below(len(_PIECES))])
            parts.append(("", " ", " ", " ", "  ", ".", " - ")[below(7)])
        out.append("".join(parts))
    return tuple(out)


def fingerprint(normalize: Callable[[str], str]) -> str:
    """SHA-256 (hex) of ``normalize``'s output on ``check_texts()``, each ended by NUL."""
    h = hashlib.sha256()
    for text in check_texts():
        h.update(normalize(text).encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()
