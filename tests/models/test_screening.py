"""Screening the assumed negatives: published comments never annotated for offence."""

from __future__ import annotations

import random

import numpy as np

from mizan.models.pipeline import HEADS
from mizan.models.train import (
    build_training_set,
    fit_with_features,
    refit_head,
    screen_assumed_negatives,
)

from .conftest import ABUSE, PLAIN, SPAM, write_csv


def _sets(tmp_path):
    rng = random.Random(3)
    clean = [f"{rng.choice(PLAIN)} {rng.choice(PLAIN)} {i}" for i in range(90)]
    rude = [f"{rng.choice(PLAIN)} {rng.choice(ABUSE)} {rng.choice(ABUSE)} x{i}" for i in range(9)]
    news = [{"text": t, "label": "0", "task": "abuse", "lang": "ar"} for t in clean + rude]
    labelled = [
        {"text": f"{rng.choice(ABUSE)} {rng.choice(PLAIN)} {i}", "label": "1", "task": "abuse"}
        for i in range(60)
    ] + [{"text": f"{rng.choice(PLAIN)} y{i}", "label": "0", "task": "abuse"} for i in range(60)]
    spam = [{"text": f"{rng.choice(SPAM)} s{i}", "label": "1", "task": "spam"} for i in range(40)]
    files = [
        write_csv(tmp_path / "ar_published_news.csv", news),
        write_csv(tmp_path / "ar_labelled_abuse.csv", [{**r, "lang": "ar"} for r in labelled]),
        write_csv(tmp_path / "ar_spam.csv", [{**r, "lang": "ar"} for r in spam]),
    ]
    return files, set(rude)


def test_the_most_offensive_looking_assumed_negatives_leave_the_abuse_head(tmp_path):
    files, rude = _sets(tmp_path)
    ts = build_training_set(files, None, seed=1)
    pipe, x = fit_with_features(ts, seed=1)
    ha, hs = HEADS.index("abuse"), HEADS.index("spam")
    before = ts.w.copy()
    dropped = screen_assumed_negatives(pipe, ts, share=0.1)
    assert dropped == {"ar_published_news": 10}  # 10% of 99 rows, rounded
    gone = [t for i, t in enumerate(ts.rows.text) if before[i, ha] > 0 and ts.w[i, ha] == 0]
    assert len(gone) == 10
    assert len(rude & set(gone)) >= 6, gone  # the rude rows rank first
    files_of = np.asarray(ts.rows.file)
    assert (ts.w[files_of != "ar_published_news"] == before[files_of != "ar_published_news"]).all()
    assert (ts.w[:, hs] == before[:, hs]).all()  # only the abuse head is screened

    heads = pipe.named_steps["heads"]
    spam_col = heads.coef_[:, list(heads.heads).index("spam")].toarray().copy()
    abuse_col = heads.coef_[:, list(heads.heads).index("abuse")].toarray().copy()
    refit_head(pipe, x, ts, "abuse")
    assert (heads.coef_[:, list(heads.heads).index("spam")].toarray() == spam_col).all()
    assert not np.allclose(heads.coef_[:, list(heads.heads).index("abuse")].toarray(), abuse_col)
    p = pipe.predict_proba(["شكرا على الخبر يا كلب"])  # the refitted model still scores
    assert p.shape == (1, len(heads.heads))


def test_no_screening_without_a_share(tmp_path):
    files, _ = _sets(tmp_path)
    ts = build_training_set(files, None, seed=1)
    pipe, _ = fit_with_features(ts, seed=1)
    w = ts.w.copy()
    assert screen_assumed_negatives(pipe, ts, share=0.0) == {}
    assert np.array_equal(w, ts.w, equal_nan=True)
