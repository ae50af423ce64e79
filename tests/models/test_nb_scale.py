"""Naive-Bayes scaling of a head's n-gram columns: what it scales, and what it changes."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from mizan.models.pipeline import (
    NB_HEADS,
    NB_MAX_SCALE,
    CalibratedLinearHeads,
    build_pipeline,
    nb_scale,
)


def _corpus(rng: np.random.Generator, n: int = 2000) -> tuple[sp.csr_matrix, np.ndarray]:
    """Columns: 0 an insult (most positives), 1 a news word (both classes, a little more
    often in positives), 2 a word of benign rows, 3-7 noise, 8 a meta column (all rows)."""
    y = (rng.random(n) < 0.3).astype(int)
    cols = np.zeros((n, 9))
    cols[:, 0] = (y == 1) & (rng.random(n) < 0.6)
    cols[:, 1] = rng.random(n) < np.where(y == 1, 0.5, 0.4)
    cols[:, 2] = (y == 0) & (rng.random(n) < 0.3)
    cols[:, 3:8] = rng.random((n, 5)) < 0.2
    cols[:, 8] = rng.random(n)
    return sp.csr_matrix(cols), y


def test_scale_shrinks_columns_both_classes_share_and_leaves_meta_alone():
    x, y = _corpus(np.random.default_rng(0))
    s = nb_scale(x, y, np.ones(len(y)), n_columns=8)
    assert s is not None
    assert s[1] < 0.5 < 1.5 < s[0]  # the shared news word shrinks, the insult grows
    assert s[2] > 1.0  # class-specific on the negative side too (|ratio|)
    assert s[8] == 1.0  # meta columns are not n-grams: never scaled
    assert nb_scale(x, y, np.ones(len(y)), n_columns=0) is None


def test_a_rare_one_sided_column_weighs_no_more_than_the_cap():
    x, y = _corpus(np.random.default_rng(4))
    rare = np.zeros((x.shape[0], 1))
    rare[np.flatnonzero(y == 1)[:30]] = 1.0  # a nickname seen only in 30 abusive rows
    xr = sp.hstack([sp.csr_matrix(rare), x], format="csr")
    uncapped = nb_scale(xr, y, np.ones(len(y)), n_columns=9, most=np.inf)
    capped = nb_scale(xr, y, np.ones(len(y)), n_columns=9)
    assert uncapped is not None and capped is not None
    assert uncapped[0] > NB_MAX_SCALE + 1.0
    assert capped[0] == NB_MAX_SCALE
    assert np.all(capped[:9] <= NB_MAX_SCALE)


def test_row_weights_count_in_the_ratio():
    x, y = _corpus(np.random.default_rng(1))
    w = np.ones(len(y))
    w[(y == 1) & (x[:, 1].toarray().ravel() > 0)] = 5.0  # the news word now mostly positive
    plain = nb_scale(x, y, np.ones(len(y)), n_columns=8)
    heavy = nb_scale(x, y, w, n_columns=8)
    assert plain is not None and heavy is not None
    assert heavy[1] > plain[1] + 0.3


def test_an_nb_head_weighs_a_shared_word_less_against_the_insult():
    x, y = _corpus(np.random.default_rng(2))
    ratios = {}
    for nb in ((), ("abuse",)):
        heads = CalibratedLinearHeads(
            heads=("abuse",), cv=0, epochs=8, nb_heads=nb, nb_columns=8, random_state=0
        ).fit(x, y[:, None].astype(float))
        coef = heads.coef_.toarray()[:, 0]
        ratios[nb] = abs(coef[1]) / abs(coef[0])
    assert ratios[("abuse",)] < 0.5 * ratios[()]


def test_the_weights_carry_the_scale_so_raw_features_score_as_scaled_ones():
    x, y = _corpus(np.random.default_rng(3))
    target = y[:, None].astype(float)
    nb = CalibratedLinearHeads(
        heads=("abuse",), cv=0, epochs=5, nb_heads=("abuse",), nb_columns=8
    ).fit(x, target)
    s = nb_scale(x, y, np.ones(len(y)), n_columns=8)
    assert s is not None
    plain = CalibratedLinearHeads(heads=("abuse",), cv=0, epochs=5).fit(
        sp.csr_matrix(x @ sp.diags(s)), target
    )
    # the NB head scores unscaled features exactly as a plain head fitted on scaled ones
    np.testing.assert_allclose(
        nb.decision_function(x),
        plain.decision_function(sp.csr_matrix(x @ sp.diags(s))),
        rtol=1e-5,
        atol=1e-6,
    )
    assert not np.allclose(nb.coef_.toarray(), plain.coef_.toarray())


def test_the_pipeline_scales_the_abuse_head_on_its_hashed_columns_only():
    pipe = build_pipeline()
    heads, features = pipe.named_steps["heads"], pipe.named_steps["features"]
    assert heads.nb_heads == NB_HEADS == ("abuse",)
    assert heads.nb_columns == 1 << features.n_bits
