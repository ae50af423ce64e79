"""The unfitted model: hashed features followed by calibrated linear heads (spam, abuse, ...)."""

from __future__ import annotations

from typing import Any, Self, TypeAlias

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from .features import HashedTextFeatures

HEADS = ("spam", "abuse", "obscene", "hate")

_F64 = npt.NDArray[np.float64]
# what the heads accept: the features' sparse matrix, or anything sp.csr_matrix() converts
_Matrix: TypeAlias = sp.spmatrix | npt.ArrayLike


NB_HEADS = ("abuse",)  # heads fitted on naive-Bayes-scaled n-grams (see nb_scale)
NB_MAX_SCALE = 2.5  # about the 98th percentile of the abuse head's columns


def nb_scale(
    x: sp.csr_matrix,
    y: npt.NDArray[np.int_],
    w: _F64,
    n_columns: int,
    smooth: float = 1.0,
    most: float = NB_MAX_SCALE,
) -> _F64 | None:
    """Per-column scale |log-count ratio| of the first ``n_columns`` columns (others: 1).

    The ratio compares how often (by weight) a column occurs in positive and in negative rows,
    as in NB-SVM (Wang and Manning, 2012): a logistic model fitted on the scaled columns, whose
    weights are then multiplied by the scale, is still one linear model over the same
    features, so scoring is unchanged; only the fit changes.  A column that occurs as often
    on both sides is shrunk towards zero, one that is specific to a class is favoured.  This
    is what stops a frequent word of the clean news comments from reading as abuse because it
    also occurs in a few abusive ones.  ``smooth``: pseudo-count (in mean row weights);
    ``most``: the largest scale.  Uncapped, a rare n-gram seen almost only in abusive rows
    (a football nickname of one Egyptian tweet set) outweighed every common insult and made a
    neutral sentence with it a rejection; capped, it weighs no more than they do.
    """
    if n_columns <= 0:
        return None
    present = sp.csr_matrix(x[:, :n_columns])
    present.data[:] = 1.0
    pos = np.asarray(present.T @ (w * (y == 1))).ravel()
    neg = np.asarray(present.T @ (w * (y == 0))).ravel()
    a = smooth * float(w.mean())
    ratio = np.log((pos + a) / (pos.sum() + a * n_columns)) - np.log(
        (neg + a) / (neg.sum() + a * n_columns)
    )
    scale: _F64 = np.ones(x.shape[1])
    scale[:n_columns] = np.minimum(np.abs(ratio), most)
    return scale


def _sigmoid(z: _F64) -> _F64:
    out: _F64 = 0.5 * (1.0 + np.tanh(0.5 * z))
    return out


class CalibratedLinearHeads(ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # sklearn: Any
    """One logistic model per head on its own rows, pruned to sparse weights, Platt-calibrated.

    ``y`` is a 2-D array (n_samples, n_heads) with NaN where a row has no label for that head;
    ``sample_weight`` is 1-D or 2-D of the same shape.  Calibration maps are fitted on
    out-of-fold decision values (``cv`` folds), then the final weights are fitted on all rows.

    ``nb_heads``: heads fitted on naive-Bayes-scaled columns (``nb_scale``); ``nb_columns``:
    how many leading columns (the hashed n-grams, not the meta features) are scaled.
    """

    def __init__(
        self,
        heads: tuple[str, ...] = HEADS,
        alpha: float = 1e-6,
        epochs: int = 8,
        max_nnz: int = 120_000,
        cv: int = 3,
        random_state: int = 0,
        nb_heads: tuple[str, ...] = (),
        nb_columns: int = 0,
    ) -> None:
        self.heads = heads
        self.alpha = alpha
        self.epochs = epochs
        self.max_nnz = max_nnz
        self.cv = cv
        self.random_state = random_state
        self.nb_heads = nb_heads
        self.nb_columns = nb_columns

    def _fit_one(
        self, x: sp.csr_matrix, y: npt.NDArray[np.int_], w: _F64, nb: bool = False
    ) -> tuple[npt.NDArray[np.float32], float]:
        scale = nb_scale(x, y, w, self.nb_columns) if nb else None
        if scale is not None:
            # Scaled entry by entry on a copy: the same matrix as ``x @ diag(scale)`` with the
            # entries of a row in their original order, and a fraction of the sparse product's
            # time and memory (weights differ from a product-scaled fit by about 1e-6).
            x = sp.csr_matrix(x, dtype=np.float64, copy=True)
            x.data *= scale[x.indices]
        est = SGDClassifier(
            loss="log_loss",
            penalty="l2",
            alpha=self.alpha,
            max_iter=self.epochs,
            tol=None,
            random_state=self.random_state,
            average=True,
        )
        est.fit(x, y, sample_weight=w)
        raw = est.coef_.ravel() if scale is None else est.coef_.ravel() * scale
        coef: npt.NDArray[np.float32] = raw.astype(np.float32)
        if self.max_nnz and np.count_nonzero(coef) > self.max_nnz:
            cut = np.partition(np.abs(coef), -self.max_nnz)[-self.max_nnz]
            coef[np.abs(coef) < cut] = 0.0
        return coef, float(est.intercept_[0])

    def fit(
        self,
        X: _Matrix,  # noqa: N803
        y: npt.ArrayLike,
        sample_weight: npt.ArrayLike | None = None,
    ) -> Self:
        """Fit every head on the rows that carry its label."""
        self.__dict__.pop("_dense", None)
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 1:
            y = y[:, None]
        if y.shape[1] != len(self.heads):
            raise ValueError(f"y has {y.shape[1]} columns, expected {len(self.heads)} heads")
        w = np.ones_like(y) if sample_weight is None else np.asarray(sample_weight, float)
        if w.ndim == 1:
            w = np.repeat(w[:, None], y.shape[1], axis=1)
        X = sp.csr_matrix(X)  # noqa: N806
        n_features = X.shape[1]
        coefs: list[npt.NDArray[np.float32]] = []
        intercepts: list[float] = []
        calib: list[tuple[float, float]] = []
        self.cv_proba_: list[tuple[npt.NDArray[np.intp], _F64]] = []
        for h in range(len(self.heads)):
            rows = np.flatnonzero(~np.isnan(y[:, h]) & (w[:, h] > 0))
            yh = y[rows, h].astype(int)
            wh = w[rows, h] * (len(rows) / w[rows, h].sum())
            xh = X[rows]
            if len(np.unique(yh)) < 2:
                raise ValueError(f"head {self.heads[h]!r} needs both classes")
            nb = self.heads[h] in self.nb_heads
            if self.cv >= 2:
                oof = np.zeros(len(rows))
                folds = StratifiedKFold(self.cv, shuffle=True, random_state=self.random_state)
                for tr, te in folds.split(np.zeros(len(yh)), yh):
                    c, b = self._fit_one(xh[tr], yh[tr], wh[tr], nb)
                    oof[te] = xh[te] @ c + b
                platt = LogisticRegression(C=1e4).fit(oof[:, None], yh, sample_weight=wh)
                a, b0 = float(platt.coef_[0, 0]), float(platt.intercept_[0])
                self.cv_proba_.append((rows, _sigmoid(a * oof + b0)))
            else:  # no calibration (used by benchmarks that only need rankings)
                a, b0 = 1.0, 0.0
            c, b = self._fit_one(xh, yh, wh, nb)
            coefs.append(c)
            intercepts.append(b)
            calib.append((a, b0))
        self.coef_ = sp.csc_matrix(np.vstack(coefs).T)
        self.coef_.eliminate_zeros()
        self.intercept_ = np.asarray(intercepts)
        self.calibration_ = np.asarray(calib)
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = n_features
        self.stacked_head_ = -1  # a stacker fitted on earlier weights no longer applies
        self.hidden_cols_: npt.NDArray[np.int32] | None = None  # nor a hidden view (set_hidden)
        self.__dict__.pop("_hidden", None)
        return self

    def _dense_coef(self) -> _F64:
        # A dense copy is ~4 MB per head in memory, and a sparse-times-dense product is much
        # cheaper per call than sparse-times-sparse; it is rebuilt after loading, never saved.
        dense: _F64 | None = self.__dict__.get("_dense")
        if dense is None:
            dense = np.ascontiguousarray(self.coef_.toarray(), dtype=np.float64)
            self.__dict__["_dense"] = dense
        return dense

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state.pop("_dense", None)
        state.pop("_hidden", None)
        return state

    def set_hidden(
        self,
        columns: npt.ArrayLike,
        w1: npt.ArrayLike,
        b1: npt.ArrayLike,
        w2: npt.ArrayLike,
        b2: float,
    ) -> None:
        """Add a one-hidden-layer view of the hashed n-grams, an input of the stacker.

        ``columns``: the feature columns it reads (the frequent ones); ``w1`` (columns x units)
        and ``b1`` make the ReLU layer, ``w2`` and ``b2`` its logistic output.  A linear head
        weighs each n-gram alone; the hidden units weigh them together ("يهود" with "جربة" is
        not "يهود" with an insult).  ``w1`` is stored as int8 with one scale per row (a quarter
        of the float32 size), expanded once after loading.
        """
        w = np.asarray(w1, dtype=np.float32)
        scale = np.abs(w).max(axis=1) / 127.0
        scale[scale == 0] = 1.0
        self.hidden_cols_ = np.asarray(columns, dtype=np.int32)
        self.hidden_w1_q_ = np.round(w / scale[:, None]).astype(np.int8)
        self.hidden_w1_scale_ = scale.astype(np.float32)
        self.hidden_b1_ = np.asarray(b1, dtype=np.float32).ravel()
        self.hidden_w2_ = np.asarray(w2, dtype=np.float32).ravel()
        self.hidden_b2_ = float(b2)
        self.__dict__.pop("_hidden", None)

    def _hidden_parts(self) -> tuple[npt.NDArray[np.integer[Any]], npt.NDArray[np.float32]]:
        parts = self.__dict__.get("_hidden")
        if parts is None:
            assert self.hidden_cols_ is not None
            # columns the view does not read point at a last row of zeros: a batch then
            # multiplies every entry instead of selecting the read ones first (the same sums:
            # a zero product adds nothing)
            n_cols = self.hidden_cols_.size
            # 16-bit positions when they fit: half the table, so more of it stays in cache
            small = n_cols < np.iinfo(np.uint16).max
            lookup = np.full(self.n_features_in_, n_cols, dtype=np.uint16 if small else np.int32)
            lookup[self.hidden_cols_] = np.arange(n_cols)
            w1 = np.zeros((n_cols + 1, self.hidden_w1_q_.shape[1]), dtype=np.float32)
            w1[:n_cols] = self.hidden_w1_q_.astype(np.float32) * self.hidden_w1_scale_[:, None]
            parts = self.__dict__["_hidden"] = (lookup, np.ascontiguousarray(w1))
        return parts

    def hidden_margin(self, X: _Matrix) -> _F64 | None:  # noqa: N803
        """Return the hidden view's logit per row (None when the model has no hidden view)."""
        if getattr(self, "hidden_cols_", None) is None:
            return None
        x = X if isinstance(X, sp.csr_matrix) else sp.csr_matrix(X)
        lookup, w1 = self._hidden_parts()
        pos = lookup[x.indices]
        n = x.shape[0]
        if n == 1:  # the worker's single comment: a gather, no sparse matrix to build
            keep = pos < w1.shape[0] - 1
            layer = x.data[keep].astype(np.float32) @ w1[pos[keep]] + self.hidden_b1_
            return np.array([float(np.maximum(layer, 0.0) @ self.hidden_w2_) + self.hidden_b2_])
        xs = sp.csr_matrix(
            (x.data.astype(np.float32), pos.astype(np.int32), x.indptr), shape=(n, w1.shape[0])
        )
        hidden = np.maximum(xs @ w1 + self.hidden_b1_, 0.0)
        out: _F64 = (hidden @ self.hidden_w2_).astype(np.float64) + self.hidden_b2_
        return out

    def decision_function(self, X: _Matrix) -> _F64:  # noqa: N803
        """Return raw margins, one column per head."""
        x = X if isinstance(X, sp.csr_matrix) else sp.csr_matrix(X)
        z = x @ self._dense_coef()
        margins: _F64 = np.asarray(z) + self.intercept_
        return margins

    def predict_proba(self, X: _Matrix) -> _F64:  # noqa: N803
        """Return calibrated probabilities, one column per head (not one per class).

        A head with a stacker (``stacked_head_``, set by in-domain training) takes its
        probability from the stacker instead of its own Platt map.
        """
        x = X if isinstance(X, sp.csr_matrix) else sp.csr_matrix(X)
        z = self.decision_function(x)
        p = _sigmoid(z * self.calibration_[:, 0] + self.calibration_[:, 1])
        h = int(getattr(self, "stacked_head_", -1))
        if h >= 0:
            hidden = self.hidden_margin(x)
            zs = z if hidden is None else np.column_stack([z, hidden])
            inputs = stack_inputs(x, zs, self.stack_coef_.shape[0] - zs.shape[1])
            stacked = _sigmoid(inputs @ self.stack_coef_ + self.stack_intercept_)
            col, least = getattr(self, "stack_gate_", (-1, 0.0))
            if col >= 0:  # only rows like those it was fitted on (e.g. Arabic script)
                gate = inputs[:, zs.shape[1] + int(col)] >= least
                stacked = np.where(gate, stacked, p[:, h])
            p[:, h] = stacked
        return p

    def set_stacker(
        self,
        head: str,
        coef: npt.ArrayLike,
        intercept: float,
        gate: tuple[int, float] = (-1, 0.0),
    ) -> None:
        """Let ``head``'s probability come from a logistic model over margins and meta.

        ``gate`` = (meta column, least value): the stacker applies only to rows whose meta
        column reaches that value; other rows keep the head's Platt map.
        """
        self.stacked_head_ = self.heads.index(head)
        self.stack_coef_ = np.asarray(coef, dtype=np.float64).ravel()
        self.stack_intercept_ = float(intercept)
        self.stack_gate_ = (int(gate[0]), float(gate[1]))

    def predict(self, X: _Matrix) -> npt.NDArray[np.int_]:  # noqa: N803
        """Return 0/1 per head at probability 0.5."""
        return (self.predict_proba(X) >= 0.5).astype(int)


def stack_inputs(x: sp.csr_matrix, z: _F64, n_meta: int) -> _F64:
    """Inputs of a stacker: every head's margin (and the hidden view's, when there is one),
    then the last ``n_meta`` (meta) columns of ``x``.

    The meta columns are read off the CSR arrays directly: slicing columns of a sparse
    matrix costs more than scoring a single comment.
    """
    n = x.shape[0]
    out: _F64 = np.zeros((n, z.shape[1] + n_meta))
    out[:, : z.shape[1]] = z
    if n_meta:
        start = x.shape[1] - n_meta
        keep = x.indices >= start
        if n == 1:  # the worker's single comment: no row bookkeeping
            out[0, z.shape[1] + x.indices[keep] - start] = x.data[keep]
        else:
            at = np.flatnonzero(keep)  # few entries: find their rows, not every entry's row
            rows = np.searchsorted(x.indptr, at, side="right") - 1
            out[rows, z.shape[1] + x.indices[at] - start] = x.data[at]
    return out


def build_pipeline(random_state: int = 0, **head_params: Any) -> Pipeline:
    """Return the unfitted pipeline: hashed text features -> calibrated linear heads."""
    features = HashedTextFeatures()
    head_params.setdefault("nb_heads", NB_HEADS)
    head_params.setdefault("nb_columns", 1 << features.n_bits)
    return Pipeline(
        [
            ("features", features),
            ("heads", CalibratedLinearHeads(random_state=random_state, **head_params)),
        ]
    )
