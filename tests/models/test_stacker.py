"""The in-domain stacker: a head's probability from all margins plus the meta features."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from mizan.models.pipeline import CalibratedLinearHeads, stack_inputs
from mizan.models.train import NEWS_ABUSE_BASE_RATE, fit_stacker


def _fitted(rng):
    x = sp.csr_matrix(rng.random((200, 12)))
    y = np.column_stack([rng.integers(0, 2, 200), rng.integers(0, 2, 200)]).astype(float)
    heads = CalibratedLinearHeads(heads=("spam", "abuse"), cv=0, epochs=3).fit(x, y)
    return heads, x


def test_a_stacked_head_takes_its_probability_from_the_stacker():
    rng = np.random.default_rng(0)
    heads, x = _fitted(rng)
    before = heads.predict_proba(x)
    coef = rng.normal(size=2 + 3)  # two margins, the last three columns as "meta"
    heads.set_stacker("abuse", coef, -1.5)
    after = heads.predict_proba(x)
    z = heads.decision_function(x)
    expected = 1 / (1 + np.exp(-(stack_inputs(x, z, 3) @ coef - 1.5)))
    np.testing.assert_allclose(after[:, 1], expected, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(after[:, 0], before[:, 0])  # other heads keep their Platt map
    assert not np.allclose(after[:, 1], before[:, 1])


def test_refitting_drops_a_stacker_fitted_on_old_weights():
    rng = np.random.default_rng(1)
    heads, x = _fitted(rng)
    heads.set_stacker("abuse", np.ones(2), 0.0)
    heads.fit(x, np.column_stack([rng.integers(0, 2, 200)] * 2).astype(float))
    assert heads.stacked_head_ == -1


def test_fit_stacker_moves_its_prior_to_the_news_base_rate():
    rng = np.random.default_rng(2)
    y = (rng.random(3000) < 0.2).astype(int)  # a sample with 20% offensive, like the annotated one
    inputs = np.column_stack([rng.normal(size=3000) + 2.0 * y, rng.random(3000)])
    oof, coef, intercept = fit_stacker(inputs, y, seed=3)
    assert coef[0] > 0  # the informative margin counts
    plain = LogisticRegression(C=1.0, max_iter=5000).fit(inputs, y)
    logit = np.log(NEWS_ABUSE_BASE_RATE / (1 - NEWS_ABUSE_BASE_RATE))
    seen = np.log(y.mean() / (1 - y.mean()))
    assert intercept == pytest.approx(plain.intercept_[0] + logit - seen)
    p = 1 / (1 + np.exp(-oof))
    assert float(p.mean()) < 0.12  # from the sample's 20% towards the news rate


def test_the_hidden_view_is_the_network_it_was_given_and_feeds_the_stacker():
    from sklearn.neural_network import MLPClassifier

    rng = np.random.default_rng(4)
    heads, x = _fitted(rng)
    cols = np.array([0, 2, 3, 5, 7])  # it reads only these columns of the features
    y = (x[:, cols].toarray().sum(axis=1) > 2.5).astype(int)
    net = MLPClassifier(hidden_layer_sizes=(6,), max_iter=2000, tol=1e-3, random_state=0).fit(
        x[:, cols], y
    )
    p = net.predict_proba(x[:, cols])[:, 1].clip(1e-9, 1 - 1e-9)
    heads.set_hidden(cols, net.coefs_[0], net.intercepts_[0], net.coefs_[1], net.intercepts_[1][0])
    margin = heads.hidden_margin(x)
    # the same network, up to its int8 first layer
    np.testing.assert_allclose(margin, np.log(p / (1 - p)), atol=0.05)
    # one row at a time gives the same margins as the batch (the worker scores one comment)
    single = [heads.hidden_margin(x[i])[0] for i in range(5)]
    np.testing.assert_allclose(single, margin[:5], rtol=1e-5)
    # with a stacker, the hidden margin is the input after the heads' margins
    coef = np.array([0.0, 0.0, 2.0, 0.0, 0.0, 0.0])  # only the hidden margin counts
    heads.set_stacker("abuse", coef, 0.0)
    expected = 1 / (1 + np.exp(-2.0 * margin))
    np.testing.assert_allclose(heads.predict_proba(x)[:, 1], expected, rtol=1e-6)


def test_refitting_drops_the_hidden_view():
    rng = np.random.default_rng(5)
    heads, x = _fitted(rng)
    heads.set_hidden([0, 1], np.ones((2, 3)), np.zeros(3), np.ones(3), 0.0)
    assert heads.hidden_margin(x) is not None
    heads.fit(x, np.column_stack([rng.integers(0, 2, 200)] * 2).astype(float))
    assert heads.hidden_margin(x) is None
