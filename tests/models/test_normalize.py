"""Tests for models.normalize (pure text functions)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mizan.models.normalize import (
    Entities,
    extract_entities,
    fold,
    normalize,
    normalize_with_offsets,
    original_span,
)

# --------------------------------------------------------------------------------------------
# Table-driven rule tests
# --------------------------------------------------------------------------------------------

INVISIBLE_AND_BIDI = (
    "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u034f"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
)
DIACRITICS = "".join(
    chr(c) for c in [*range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06EE), *range(0x0610, 0x061B)]
)

CASES = [
    # invisible characters, bidi controls, diacritics, tatweel
    ("ك\u200bل\u200cب", "كلب"),
    ("\u202eكلب\u202c", "كلب"),
    ("s\u00adp\u200da\u2060m", "spam"),
    ("كَلْبٌ", "كلب"),
    ("مُحَمَّد", "محمد"),
    ("كـــلـــب", "كلب"),
    ("هٰذا", "هذا"),
    # NFKC
    ("ﻻ", "لا"),
    ("ＦＲＥＥ", "free"),
    ("𝐬𝐩𝐚𝐦", "spam"),
    # alef / hamza / yeh / teh marbuta
    ("أحمد إبراهيم آمنة ٱلله", "احمد ابراهيم امنه الله"),
    ("مؤمن رئيس", "مومن رييس"),
    ("سماء", "سماء"),
    ("مستشفى", "مستشفي"),
    ("مدرسة", "مدرسه"),
    # Persian / Urdu look-alikes
    ("کتاب", "كتاب"),
    ("یوم", "يوم"),
    ("ہذا ھذا", "هذا هذا"),
    ("گول ڤيديو پيتزا چاي", "كول فيديو بيتزا جاي"),
    # digits
    ("٢٠٢٤", "2024"),
    ("۲۰۲۴", "2024"),
    # casefold
    ("Hello WORLD", "hello world"),
    ("STRASSE Straße", "strasse strasse"),
    # repeats: 3+ letters -> one, doubles kept
    ("كلللب", "كلب"),
    ("stuuuupid", "stupid"),
    ("هههههه", "ه"),
    ("ههه", "ه"),
    ("هه", "هه"),
    ("good too", "good too"),
    ("noooo wayyy", "no way"),
    ("1000000", "1000000"),
    ("!!!", "!!!"),
    # spaced-out letters
    ("ك ل ب", "كلب"),
    ("s.p.a.m", "spam"),
    ("f u c k", "fuck"),
    ("f-u-c-k you", "fuck you"),
    ("s_p_a_m", "spam"),
    ("s*p*a*m", "spam"),
    ("ح ي و ا ن", "حيوان"),
    ("و ذهب الولد", "و ذهب الولد"),
    ("قال و ذهب", "قال و ذهب"),
    ("a b", "a b"),
    ("f u ck", "f u ck"),
    ("a b c dog", "abc dog"),
    # homoglyphs
    ("ѕрам", "spam"),
    ("раураl", "paypal"),
    ("frее", "free"),
    ("clіck hеre gοοd", "click here good"),
    ("привет", "привет"),
    # leetspeak
    ("fr33", "free"),
    ("$pam", "spam"),
    ("h3ll0 w0rld", "hello world"),
    ("n00b", "noob"),
    ("sh1t", "shit"),
    ("s3x", "sex"),
    ("b@d", "bad"),
    ("@ahmed شكرا", "@ahmed شكرا"),
    # whitespace
    ("  كلام \t\n  جميل  ", "كلام جميل"),
    # a word cut in two with tatweel on both sides of the gap is joined again
    ("يلـ ـعن ابـ ـوك", "يلعن ابوك"),
    ("يا حقـ.ـير ويا كـ_ـلب", "يا حقير ويا كلب"),  # tatweel on both sides of a dot or "_"
    ("2020ـ - ـ2021", "2020 - 2021"),  # between digits only a space gap is closed
    # the end of a word spelled out letter by letter, glued to its first letters
    ("يا الق_ح_ب_ة", "يا القحبه"),
    ("الك-ل-ب.", "الكلب."),
    ("ياج-ح-ش", "ياجحش"),
    ("كلـــ   ـــب", "كلب"),
    ("قال ـ ثم مضى", "قال ثم مضي"),  # a lone tatweel between words joins nothing
    ("a\u00a0b", "a b"),
]

UNCHANGED = [
    "ذهب الولد الي المدرسه صباحا",
    "الحكومه لازم تتحرك بسرعه",
    "good",
    "too good",
    "2024",
    "in 2024 the price was 1500 dinars",
    "السعر 1500 دينار سنه 2024",
    "3.5 million",
    "3ayb",
    "7mar",
    "ya5i",
    "5ara",
    "3la rasi",
    "mp3 1st 2nd covid19 web3",
    "i am ok",
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_rules(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize("text", UNCHANGED)
def test_unchanged(text):
    assert normalize(text) == text


ENTITY_CASES = [
    ("visit http://x.co/a now", "visit xurlx now"),
    ("https://Example.com/Path?q=1.", "xurlx ."),
    ("www.bit.ly/x", "xurlx"),
    ("example.com/path", "xurlx"),
    ("زوروا example.com", "زوروا xurlx"),
    ("bit . ly", "xurlx"),
    ("bit(.)ly/abc", "xurlx"),
    ("google dot com", "xurlx"),
    ("جوجل google دوت كوم", "جوجل xurlx"),
    ("g o o g l e . c o m", "xurlx"),
    ("fr33.c0m", "xurlx"),
    ("ex\u200bample.com", "xurlx"),
    ("mail me a.b@gmail.com", "mail me xemailx"),
    ("name [at] gmail.com", "xemailx"),
    ("+218 91 234 5678", "xphonex"),
    ("00218912345678", "xphonex"),
    ("0912345678", "xphonex"),
    ("٠٩١٢٣٤٥٦٧٨", "xphonex"),
    ("اتصل ۰۹۱۲۳۴۵۶۷۸ الان", "اتصل xphonex الان"),
    ("091-234-5678", "xphonex"),
    ("0 9 1 2 3 4 5 6 7 8", "xphonex"),
    ("(091) 234 5678", "xphonex"),
    ("youtu.be/xYz0fake123", "xurlx"),  # any top-level domain once a path follows
    ("shorturl.at/abc12 here", "xurlx here"),
    ("wa.me/218912345678", "xhandlex"),
    ("https://t.me/spam_bot", "xhandlex"),
    ("تلغرام @spam_bot", "تلغرام xhandlex"),
    ("تليجرام: spamchannel", "تليجرام xhandlex"),
    ("واتساب ٠٩١٢٣٤٥٦٧٨", "واتساب xhandlex"),
    ("واتس 0912345678", "واتس xhandlex"),
    ("whatsapp +218912345678", "whatsapp xhandlex"),
]

ENTITY_NOT = [
    "2024 2025",
    "السعر 1500 دينار",
    "10000000",
    "e.g. this",
    "it was good. me too",
    "@ahmed اتفق معك",
    "1.5",
    # hashtags joining words with "_" are not a word spelled out
    "#يوم_و_ك_تاريخ",
    "كل_يوم_و_ك",
    "#في_الجزاير",
    # digit runs for emphasis or amounts are not phone numbers (plausible_phone)
    "السلام عليكم 0000000000 امين",
    "55555555 رقم مميز",
    "1000000000 مبروك",
    "10000000000000000 مليون مبروك",
    "km/h and/or e.g. 1.5/10",
]


@pytest.mark.parametrize(("text", "expected"), ENTITY_CASES)
def test_entity_marking(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize("text", ENTITY_NOT)
def test_entity_not_marked(text):
    out = normalize(text)
    assert not any(p in out for p in ("xurlx", "xemailx", "xphonex", "xhandlex"))


def test_extract_entities():
    text = (
        "زوروا Bit.ly/AbC و www.Example.co.uk/x واتساب ٠٩١٢٣٤٥٦٧٨ "
        "mail A@B.com +218 91 234 5678 t.me/Spam bit . ly"
    )
    e = extract_entities(text)
    assert isinstance(e, Entities)
    assert "Bit.ly/AbC" in e.urls  # path case preserved
    assert {"bit.ly", "example.co.uk", "t.me", "b.com"} <= set(e.domains)
    assert e.emails == ("a@b.com",)
    assert "+218912345678" in e.phones
    assert "0912345678" in e.phones
    assert "whatsapp:0912345678" in e.handles
    assert "t.me/Spam" in e.handles


def test_extract_entities_empty():
    assert extract_entities("كلام عادي جدا") == Entities((), (), (), (), ())
    assert extract_entities("") == Entities((), (), (), (), ())


def test_entities_frozen():
    e = extract_entities("x.com")
    with pytest.raises(AttributeError):
        e.urls = ()  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# fold
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("أَحْمَـــد", "احمد"),
        ("ك ل ب", "ك ل ب"),  # no rejoining
        ("كلللب", "كلللب"),  # no repeat collapsing
        ("example.com", "example.com"),  # no entity marking
        ("fr33", "fr33"),  # no leet
        ("ѕрам", "spam"),
        ("٠٩١", "091"),
        ("HELLO", "hello"),
    ],
)
def test_fold(text, expected):
    assert fold(text) == expected


# --------------------------------------------------------------------------------------------
# Offsets
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("original", "word", "expected"),
    [
        ("ك ل ب", "كلب", "ك ل ب"),
        ("يا كَلْـــب يا", "كلب", "كَلْـــب"),
        ("قال كلللب!", "كلب", "كلللب"),
        ("you are s.p.a.m ok", "spam", "s.p.a.m"),
        ("ѕрам here", "spam", "ѕрам"),
        ("زوروا bit.ly/x الان", "xurlx", "bit.ly/x"),
        ("a\u200bb\u200bc spam", "spam", "spam"),
    ],
)
def test_original_span(original, word, expected):
    norm, offs = normalize_with_offsets(original)
    i = norm.index(word)
    a, b = original_span(offs, i, i + len(word), len(original))
    assert original[a:b].strip() == expected


def test_original_span_bad_span():
    with pytest.raises(ValueError):
        original_span([0, 1], 1, 1, 2)


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)
TRICKY = st.lists(
    st.sampled_from(
        list("abcdeilmostwxy013579@$.-_*/: \t\n")
        + list("كلبهاوتسرمغ٠٩")
        + ["\u200b", "\u202e", "\u064e", "\u0640", "أ", "ة", "ى", "ѕ", "р", "\u0301", "ﻻ"]
        + [" . ", "com", "ly", "wa", "www.", "http://", "t.me/", "واتساب ", "تلغرام ", "+218"]
    ),
    max_size=30,
).map("".join)
ANY_TEXT = st.one_of(TEXT, TRICKY)

FORBIDDEN = set(INVISIBLE_AND_BIDI) | set(DIACRITICS) | {"\u0640"}


# Inputs on which normalize() was once not idempotent (found by the properties below), with
# their expected output.
IDEMPOTENCY_REGRESSIONS = [
    # a placeholder followed by a spaced TLD was re-marked as a URL on the second pass
    ("WWW.0. COM", "xurlx . com"),
    ("0.ME. COM", "xurlx . com"),
    ("bit.ly . com", "xurlx . com"),
    ("xurlx . com", "xurlx . com"),
    # spaced-out letters glued to "$"/"@" were rejoined into a new leet token ("$aab" -> "saab")
    ("$a\u200b.a.b", "$a.a.b"),
    ("$a a b", "$a a b"),
    ("$a\u200b a\u0640 b", "$a a b"),
    ("a.a.b$", "a.a.b$"),
    ("a a b@", "a a b@"),
    ("x@a.b.c", "xaa.b.c"),
    ("@@a.b.c", "@@a.b.c"),
    ("@N_a_y_f_2", "@nayf_2"),  # a mention's leading "@" is not mapped: still rejoined
    # leet mapped a character that carried a combining mark ("a" + U+0300 composes to "à")
    ("AA@\u0300", "aa@\u0300"),
    ("$o o o\u0301", "$o o \u00f3"),
    # rejoining made a leet token ("aoa@") after the leet step had run
    ("A.0OO.A@", "a.o.a@"),
    # dots kept between single letters ("a.o.a.aa") were rejoined on the second pass
    ("A.0OO.A.A A", "aoa.aa"),
    ("a a a.b.c", "abc"),
    ("a . b . c", "abc"),
    ("e.t.w.c هههه", "etw.cه"),
    # letters dotted within words, words spaced; with a single letter left, spaces join
    ("ي.ا ك.ل.ب", "يا كلب"),
    ("p a y p a l.c o m", "xurlx"),
    ("i d i o t.y o u", "idiot.you"),
    ("a b . c . d . e f", "ab.c.d.ef"),
    # an entity glued to the previous one was only marked on the second pass
    ("example.com+218912345678", "xurlx xphonex"),
    ("$bit.ly+218912345678", "$ xurlx xphonex"),
    ("0912345678+0923456789", "xphonex xphonex"),
    # a glued spelled-out word hidden by a diacritic, repeated letters or an entity before it,
    # or made by joined letters or by rejoining
    ("الكَ_ل_ب", "الكلب"),
    ("الق_حَ_بَ_ة", "القحبه"),
    ("اللللك_ل_ب", "الكلب"),
    ("0912345678الك_ل_ب", "xphonex الكلب"),
    ("ر*کَ اا＿ا-ا*", "ركا*"),
    ("ر ك*.ي_ا@ك0912345678_@", "ركيا@ك xphonex _@"),
]


@pytest.mark.parametrize(("text", "expected"), IDEMPOTENCY_REGRESSIONS)
def test_idempotency_regressions(text, expected):
    once = normalize(text)
    assert once == expected
    assert normalize(once) == once
    assert normalize_with_offsets(text)[0] == once


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_output_clean(text):
    out = normalize(text)
    assert not FORBIDDEN & set(out)
    assert out == out.strip()
    assert "  " not in out
    f = fold(text)
    assert not FORBIDDEN & set(f)


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_fold_idempotent(text):
    once = fold(text)
    assert fold(once) == once


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_offsets_consistent(text):
    from mizan.models import normalize as mod

    norm, offs = normalize_with_offsets(text)
    assert norm == normalize(text)
    # the tracked pipeline itself agrees (the safety-net fallback was not needed)
    assert mod._normalize_tracked(text)[0] == norm
    assert len(offs) == len(norm)
    assert all(0 <= o < len(text) for o in offs)
    assert all(a <= b for a, b in zip(offs, offs[1:], strict=False))
    if norm:
        a, b = original_span(offs, 0, len(norm), len(text))
        assert 0 <= a < b <= len(text)


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_extract_entities_never_raises(text):
    e = extract_entities(text)
    assert all(isinstance(x, tuple) for x in (e.urls, e.domains, e.emails, e.phones, e.handles))


@settings(max_examples=100, deadline=None)
@given(st.text(st.characters(whitelist_categories=("Cc", "Cf", "Zs", "Mn")), max_size=40))
def test_controls_and_marks(text):
    out = normalize(text)
    assert normalize(out) == out
    assert unicodedata.is_normalized("NFC", out) or out == normalize(out)


# --------------------------------------------------------------------------------------------
# The pre-checks in front of the regex steps are necessary conditions: when one says "nothing
# here", its step would have changed nothing (else normalize() would skip a rule)
# --------------------------------------------------------------------------------------------

ENTITY_TEXT = st.lists(
    st.sampled_from(
        list("abcdemnoqstwxy0123456789@$.-_/:()[]+ ")
        + list("كلبهاوتسرمغدفي")
        + ["com", "ly", "me", "wa", "tg", "wts", "whats", "app", "viber", "telegram"]
        + [" dot ", "دوت "]
        + ["(at)", "[at]", "(.)", "[.]", "(dot)", "[dot]", "http://", "t.me/", "wa.me/", "@x"]
        + ["واتساب ", "تلغرام ", "تليقرام ", "فايبر ", "+218", "0912345678", "00218", "gmail"]
    ),
    max_size=25,
).map(lambda parts: " ".join(fold("".join(parts)).split()))


@settings(max_examples=600, deadline=None)
@given(st.one_of(ENTITY_TEXT, TEXT.map(lambda t: " ".join(fold(t).split()))))
def test_prechecks_are_necessary(s):
    from mizan.models import normalize as n

    # "www." followed by a character other than a letter or digit is the one documented
    # exception of the entity pre-check (kept as the shipped model was trained)
    if "www" not in s and not n._entity_hint(s):
        assert n._mark_entities(s) == s
    if not n._LEET_HINT.search(s):
        assert n._LEET_TOKEN.sub(n._leet_repl, s) == s


@pytest.mark.parametrize(
    "s",
    ["@user شكرا", "شكرا @user", "a @user b", "@user_name @other هذا"],
)
def test_mentions_skip_entity_and_leet_steps(s):
    """A reply mention alone runs neither the entity search nor the leet pass."""
    from mizan.models import normalize as n

    assert not n._entity_hint(s)
    assert not n._LEET_HINT.search(s)
    assert normalize(s) == s


@settings(max_examples=300, deadline=None)
@given(st.one_of(ANY_TEXT, st.text(st.sampled_from("أإآؤئىةاكگیڤ٣ـ\u200bRSé ب"), max_size=30)))
def test_fast_translate_is_the_table(text):
    """The shortcut for the usual Arabic comment maps every character as the full table does."""
    from mizan.models import normalize as n

    assert n._translate(text) == text.translate(n._TABLE)
