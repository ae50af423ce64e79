"""A group noun or a dialect function word alone pushes no comment towards abuse
(`neutralise_words`)."""

from __future__ import annotations

import random

import numpy as np

from mizan.models.data import Lexicon
from mizan.models.train import (
    build_training_set,
    fit_with_features,
    neutralise_words,
    neutralised_words,
)

from .conftest import ABUSE, PLAIN, SPAM, write_csv

LEXICON = Lexicon(insults=("كلب", "حمار"), identities=("يهود", "مسيحيين"), files=())


def _fitted(tmp_path, benign_noun: str = "", lead: str = "يهود"):
    rng = random.Random(5)
    # the group noun comes with insults in the abusive rows and rarely in the others, as in
    # the reviewed news comments
    rows = [
        {"text": f"{lead} {rng.choice(ABUSE)} {i}", "label": "1", "task": "abuse", "lang": "ar"}
        for i in range(60)
    ] + [
        {
            "text": f"{benign_noun} {rng.choice(PLAIN)} {i}",
            "label": "0",
            "task": "abuse",
            "lang": "ar",
        }
        for i in range(80)
    ]
    spam = [{"text": f"{rng.choice(SPAM)} s{i}", "label": "1", "task": "spam"} for i in range(30)]
    files = [
        write_csv(tmp_path / "ar_labelled_abuse.csv", rows),
        write_csv(tmp_path / "ar_spam.csv", [{**r, "lang": "ar"} for r in spam]),
    ]
    ts = build_training_set(files, None, seed=1, synthetic=False, reviewed=())
    pipe, _ = fit_with_features(ts, seed=1, lexicon=LEXICON)
    return pipe


def _margin(pipe, texts):
    heads = pipe.named_steps["heads"]
    x = pipe.named_steps["features"].transform(texts)
    return heads.decision_function(x)[:, list(heads.heads).index("abuse")]


def test_the_bare_noun_weighs_nothing_and_context_still_counts(tmp_path):
    pipe = _fitted(tmp_path)
    heads = pipe.named_steps["heads"]
    feats = pipe.named_steps["features"]
    terms = neutralised_words(feats, LEXICON)
    assert terms is not None
    h = list(heads.heads).index("abuse")
    n_hash = 1 << feats.n_bits

    def alone(word):
        x = feats.transform([word])[:, :n_hash]
        return float((x @ heads.coef_[:n_hash, [h]].toarray()).ravel()[0])

    assert alone("يهود") > 0.5  # learnt from the insults around it
    spam_before = heads.coef_[:, [list(heads.heads).index("spam")]].toarray()
    insult_before = _margin(pipe, ["يا كلب"])[0]

    assert neutralise_words(heads, terms) >= 1
    assert abs(alone("يهود")) < 1e-6
    neutral, insulted = _margin(pipe, ["يهود جربة", "يهود كلب"])
    assert insulted > neutral + 1.0  # the insult next to it still counts
    assert _margin(pipe, ["يا كلب"])[0] == insult_before  # other words keep their weight
    spam_after = heads.coef_[:, [list(heads.heads).index("spam")]].toarray()
    assert np.array_equal(spam_before, spam_after)  # only the abuse head changes


def test_a_noun_that_leans_benign_is_left_alone(tmp_path):
    pipe = _fitted(tmp_path, benign_noun="مسيحيين")
    heads = pipe.named_steps["heads"]
    feats = pipe.named_steps["features"]
    terms = neutralised_words(feats, Lexicon(insults=(), identities=("مسيحيين",), files=()))
    assert terms is not None
    n_hash = 1 << feats.n_bits
    h = list(heads.heads).index("abuse")
    x = feats.transform(["مسيحيين"])[:, :n_hash]
    assert float((x @ heads.coef_[:n_hash, [h]].toarray()).ravel()[0]) < 0
    col = terms.word_cols[terms.words.index("مسيحيين")]
    before = heads.coef_.toarray().copy()
    neutralise_words(heads, terms)
    assert np.array_equal(before[col], heads.coef_.toarray()[col])  # its word keeps its weight
    assert float((x @ heads.coef_[:n_hash, [h]].toarray()).ravel()[0]) < 0


def test_a_libyan_function_word_learnt_from_abusive_rows_weighs_nothing(tmp_path):
    # every Libyan comment of the training sets is abusive: "هكي" ("like this") comes with
    # the insults only, and the head learns the dialect as abuse
    pipe = _fitted(tmp_path, lead="هكي")
    heads = pipe.named_steps["heads"]
    feats = pipe.named_steps["features"]
    n_hash = 1 << feats.n_bits
    h = list(heads.heads).index("abuse")

    def alone(word):
        x = feats.transform([word])[:, :n_hash]
        return float((x @ heads.coef_[:n_hash, [h]].toarray()).ravel()[0])

    assert alone("هكي") > 0.5
    terms = neutralised_words(feats, None)  # the dialect words need no lexicon
    assert terms is not None
    assert neutralise_words(heads, terms) >= 1
    assert abs(alone("هكي")) < 1e-4  # float32 weights
    thanks, insulted = _margin(pipe, ["شكرا هكي", "هكي كلب"])
    assert insulted > thanks + 1.0
