"""The lexicon is evidence: insults count, identity nouns only next to an insult."""

from __future__ import annotations

import pytest

from mizan.models.data import NEUTRAL_TERMS, read_lexicon
from mizan.models.features import META_NAMES, HashedTextFeatures

HIT = META_NAMES.index("meta:lexicon_hit")
IDENTITY_INSULT = META_NAMES.index("meta:identity_insult")


@pytest.fixture(scope="module")
def feats():
    return HashedTextFeatures(
        lexicon_terms=("كلب", "حقير", "ya 7mar"), identity_terms=("يهود", "سوداني", "المراة")
    ).fit(None)


def _meta(feats, text):
    from mizan.models.normalize import normalize

    return feats._hash([normalize(text)]).meta[0]


@pytest.mark.parametrize(
    "text",
    [
        "يهود جربة يحتفلون بموسم الغريبة كل سنة",
        "العمال السودانيين يستحقون أجورهم",
        "المرأة الليبية تستحق مكانا أكبر في الحكومة",
    ],
)
def test_identity_nouns_alone_are_not_evidence(feats, text):
    m = _meta(feats, text)
    assert m[HIT] == 0 and m[IDENTITY_INSULT] == 0


def test_identity_noun_with_an_insult_is(feats):
    m = _meta(feats, "اليهود حقير وكلب")
    assert m[HIT] == 1 and m[IDENTITY_INSULT] == 1


def test_insult_without_identity_noun(feats):
    m = _meta(feats, "انت يا كلب")
    assert m[HIT] == 1 and m[IDENTITY_INSULT] == 0


def test_neutral_news_words_never_count_as_insults(tmp_path):
    lex_dir = tmp_path / "lexicons"
    lex_dir.mkdir()
    (lex_dir / "lexicon_combined.csv").write_text(
        "term,source,category,score\n"
        "شمال,Attia_2025,Sex Work,\n"
        "عميل,Attia_2025,General Derogatory Terms,\n"
        "يهود,Attia_2025,Identity-Based Slurs (Religion,\n"
        "حقير,Attia_2025,General Derogatory Terms,\n",
        encoding="utf-8",
    )
    lex = read_lexicon(tmp_path)
    assert "حقير" in lex.insults
    assert {"شمال", "عميل", "يهود"}.isdisjoint(lex.insults)
    assert "يهود" in lex.identities
    assert "شمال" in NEUTRAL_TERMS


@pytest.mark.parametrize(
    "text",
    [
        "نعرف وين ساكن وبنجيك",  # a threat: "we'll come for you"
        "ربي ياخذك قبل الصبح",
        "يلـ ـعن ابـ ـوك",  # cut with tatweel
        "k.l.b ibn k.l.b",  # dotted Arabizi
        "espece de connard",
        "go back to your country, rats",
        "ya ghbi a9ra el 5abar",  # Maghrebi Arabizi
        "rou7 ya zebla",
        "ya 9lil tarbiya",
        "t'es qu'un enfoiré",
        "va te faire foutre",
        "what a brainless take, jackass",
    ],
)
def test_threats_curses_and_obfuscated_insults_hit_the_built_in_lexicon(text, tmp_path):
    lex = read_lexicon(tmp_path)  # no shared lexicon files: the built-in lists alone
    feats = HashedTextFeatures(lexicon_terms=lex.insults, identity_terms=lex.identities).fit(None)
    assert _meta(feats, text)[HIT] == 1, text


@pytest.fixture(scope="module")
def curse_feats():
    from mizan.models.data import CURSE_PAIRS

    return HashedTextFeatures(lexicon_terms=CURSE_PAIRS).fit(None)


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("أعوذ بالله منه، الله يحرقه اذا كان قتلها فعلا", True),
        ("ندوات؟ ربنا يخدهم كلهم", True),
        ("ربي ياخذكم يا سراق", True),
        # a plea against oppressors and a blessing are not curses aimed at someone
        ("اللهم انتقم من الظالمين ومن كل من ظلم هذا الشعب", False),
        ("الله يهديك يا اخي، اقرأ المقال كامل", False),
        ("حسبي الله ونعم الوكيل", False),
        ("الحريق أتى على المخزن كله", False),
    ],
)
def test_curses_aimed_at_someone_are_insult_evidence(curse_feats, text, hit):
    assert bool(_meta(curse_feats, text)[HIT] == 1) is hit


def test_a_pair_hit_is_an_insult_span_over_both_words(curse_feats):
    from mizan.models.normalize import normalize

    text = normalize("أعوذ بالله منه، الله يحرقه اذا كان قتلها")
    batch = curse_feats._hash([text])
    spans = [text[s:e] for s, e in zip(batch.insult_start, batch.insult_end, strict=True)]
    assert spans == ["الله يحرقه"]


def test_curses_aimed_at_the_reader_and_their_kin_are_insult_terms(tmp_path):
    lex = read_lexicon(tmp_path)  # the built-in lists alone
    feats = HashedTextFeatures(lexicon_terms=lex.insults, identity_terms=lex.identities).fit(None)
    for text in ("يلعنك يا خاين", "يلعن ابوك على هالكلام", "يلعن ابوكم كلكم", "يلعن شكلك"):
        assert _meta(feats, text)[HIT] == 1, text


@pytest.mark.parametrize(
    "text",
    [
        "انت ميبون و طحان",
        "يا طحان",
        "ya miboun",
        "ya 9lil tarbiya, rou7 t3allem",
        "ya 5ra 3lik",
        "ya mnyouk",
    ],
)
def test_tunisian_and_maghrebi_insults_are_insult_terms(text, tmp_path):
    lex = read_lexicon(tmp_path)  # the built-in lists alone
    feats = HashedTextFeatures(lexicon_terms=lex.insults, identity_terms=lex.identities).fit(None)
    assert _meta(feats, text)[HIT] == 1, text


@pytest.mark.parametrize(
    "text",
    [
        # words of the Maghrebi and French insult lists that also name rubbish, livestock or a
        # bad law: harsh, not an insult of a person
        "el zebla fi chware3 trablos",
        "soum el bhayem ghali 9bal el 3id",
        "9rar ghbi men el wizara",
        "le ramassage d'ordure ne passe plus",
        "c'est la merde dans ce pays",
        "une loi débile",
        "ils vont foutre le camp",
        "الطحان طحن القمح بكري",  # a miller: only "يا طحان" / "انت طحان" call someone one
        "Ittihad Kalba deserved the win",  # a club and a town
        "el match kan 5ra",  # a bad match, not a person
    ],
)
def test_words_that_also_name_things_are_no_insult_evidence(text, tmp_path):
    lex = read_lexicon(tmp_path)  # the built-in lists alone
    feats = HashedTextFeatures(lexicon_terms=lex.insults, identity_terms=lex.identities).fit(None)
    assert _meta(feats, text)[HIT] == 0, text


def test_built_in_terms_are_one_or_two_words():
    # the features match a term as a word or a two-word phrase: a longer one would never match
    from mizan.models.data import ARABIZI_TERMS, CURSE_PAIRS, DIALECT_INSULTS
    from mizan.models.normalize import normalize

    terms = (*ARABIZI_TERMS, *DIALECT_INSULTS, *CURSE_PAIRS)
    assert [t for t in terms if len(normalize(t).split()) > 2] == []
