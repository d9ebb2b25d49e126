"""Calibration metrics: expected and maximum calibration error, reliability curves.

Top-label: for a row of probabilities ``p_i`` the confidence is ``c_i = max_j p_ij``
and the correctness ``a_i = [argmax_j p_ij == y_i]``; ties in the maximum go to the
first maximal column, as in :func:`numpy.argmax`. The confidences are put in
``B`` bins and, with sample weights ``s`` (all ones by default) and ``S = sum s``::

    ECE = sum_b (S_b / S) * | mean_b(a) - mean_b(c) |     (weighted means over bin b)
    MCE = max_b | mean_b(a) - mean_b(c) |                 (over bins with S_b > 0)

Classwise: the same quantities for each class ``j`` as a one-vs-rest problem, with
``p_ij`` as the confidence and ``[y_i == j]`` as the outcome, over *all* samples;
the classwise ECE is the plain mean of the ``k`` per-class ECEs (classes absent from
``y_true`` included) and the classwise MCE the largest gap over classes and bins.

Binning. Bins are closed on the right: a confidence ``c`` is in bin ``b`` when
``e_b < c <= e_{b+1}``, and the first bin also holds everything down to 0, so the
bins are ``[0, e_1], (e_1, e_2], ..., (e_{B-1}, 1]``. This is the convention of
:func:`sklearn.calibration.calibration_curve` (``np.searchsorted`` on the inner
edges). The outer edges are always 0 and 1. Confidences are compared with the
edges in the input's precision (float32 input: float32 edges).

- ``"uniform"``: equal-width edges ``np.linspace(0, 1, B + 1)``.
- ``"quantile"``: equal-mass edges. The inner edge ``e_b`` is the smallest
  confidence at which the cumulative sample weight, in increasing order of
  confidence, reaches ``b * S / B`` (the weighted inverted-CDF quantile). Equal
  confidences therefore always share a bin, whatever their order in the input,
  and ties can leave bins empty; with distinct confidences and unit weights the
  bin counts differ by at most one.

Bins with zero total weight (in particular empty bins) are left out of the curves
and contribute nothing. Numbers printed by the examples below always name their
binning: 5, 10 and 15 bins give different values.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import make_scorer
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
)

from skmax._scores import PROBABILITY_SUM_TOLERANCE

__all__ = [
    "ReliabilityCurve",
    "expected_calibration_error",
    "make_calibration_scorer",
    "maximum_calibration_error",
    "neg_expected_calibration_error_scorer",
    "neg_maximum_calibration_error_scorer",
    "reliability_curve",
]

_STRATEGIES = ("uniform", "quantile")
_KINDS = ("top-label", "classwise")


@dataclass(frozen=True, repr=False)
class ReliabilityCurve:
    """Per-bin calibration statistics returned by :func:`reliability_curve`.

    For ``kind="top-label"`` the per-bin attributes are arrays with one entry per
    bin of positive weight, in increasing order of confidence. For
    ``kind="classwise"`` each of them is a list with one such array per class, in
    the order of :attr:`classes`.

    Attributes
    ----------
    confidence, accuracy : ndarray or list of ndarray
        Weighted means per bin of the confidence (top-label ``max_j p_ij``,
        classwise ``p_ij``) and of the correctness (classwise: ``[y_i == j]``).
    count, weight : ndarray or list of ndarray
        Number of samples and sum of their weights in each bin.
    bin_index : ndarray or list of ndarray
        Position of each reported bin: bin ``bin_index[m]`` spans
        ``bin_edges[bin_index[m]]`` to ``bin_edges[bin_index[m] + 1]``.
    bin_edges : ndarray or list of ndarray
        All ``n_bins + 1`` edges, including those of empty bins.
    ece, mce : float
        Expected and maximum calibration error (classwise: mean over classes,
        maximum over classes and bins).
    n_bins, strategy, kind
        The binning and kind the curve was computed with.
    classes : ndarray
        The class labels, in the column order of ``y_prob``.
    class_ece, class_mce : ndarray of shape (n_classes,) or None
        Per-class ECE and MCE for ``kind="classwise"``; None for top-label.
    """

    confidence: np.ndarray | list
    accuracy: np.ndarray | list
    count: np.ndarray | list
    weight: np.ndarray | list
    bin_index: np.ndarray | list
    bin_edges: np.ndarray | list
    ece: float
    mce: float
    n_bins: int
    strategy: str
    kind: str
    classes: np.ndarray
    class_ece: np.ndarray | None = None
    class_mce: np.ndarray | None = None

    @property
    def binning(self):
        """Human-readable binning, e.g. ``"15 uniform bins"``."""
        return _describe_binning(self.n_bins, self.strategy)

    def __repr__(self):
        return (
            f"ReliabilityCurve(kind={self.kind!r}, {self.binning}, "
            f"ece={self.ece:.4g}, mce={self.mce:.4g})"
        )


def reliability_curve(
    y_true,
    y_prob,
    *,
    n_bins=15,
    strategy="uniform",
    kind="top-label",
    sample_weight=None,
    labels=None,
):
    """Bin predictions by confidence and compare confidence with accuracy.

    This is the data of a reliability diagram; :func:`expected_calibration_error`
    and :func:`maximum_calibration_error` are read off the same binning.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, of any type. Lists and pandas objects are accepted.
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, columns in the order of ``labels``; rows must lie
        in [0, 1] and sum to one within ``1e-4`` (float32 model outputs stored as
        float64 are off by ~1e-6; scores that are not probabilities by far more).
        A 1-D array is the probability of ``labels[1]`` in a binary problem (the
        larger label by default, as in ``predict_proba(X)[:, 1]``).
    n_bins : int, default=15
        Number of bins, at least 1.
    strategy : {"uniform", "quantile"}, default="uniform"
        Equal-width bins on [0, 1], or equal-mass bins at weighted quantiles of
        the confidences (see the module docstring for edges and ties).
    kind : {"top-label", "classwise"}, default="top-label"
        Bin the top-label confidence, or each class's probability one-vs-rest.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights, not all zero. Integer weights act as repeated rows.
    labels : array-like of shape (n_classes,), default=None
        The classes, in the column order of ``y_prob``. Defaults to
        ``np.unique(y_true)``; required when ``y_prob`` has columns for classes
        that do not occur in ``y_true``. Unlike :func:`sklearn.metrics.log_loss`
        the given order is kept, not sorted.

    Returns
    -------
    ReliabilityCurve
        Per-bin confidence, accuracy, count and weight of the bins with positive
        weight, the edges, and the ECE and MCE.

    Examples
    --------
    Four samples; the confidences 0.9, 0.6, 0.7 and 0.8 fall in 5 uniform bins as
    ``(0.4, 0.6]: {0.6}``, ``(0.6, 0.8]: {0.7, 0.8}`` (0.8 is on an edge and goes
    to the lower bin) and ``(0.8, 1]: {0.9}``:

    >>> from skmax.metrics import reliability_curve
    >>> y_true = [0, 1, 1, 2]
    >>> y_prob = [[0.9, 0.1, 0.0], [0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8]]
    >>> curve = reliability_curve(y_true, y_prob, n_bins=5)
    >>> curve.confidence, curve.accuracy, curve.count
    (array([0.6 , 0.75, 0.9 ]), array([0., 1., 1.]), array([1, 2, 1]))

    The ECE with 5 uniform bins is ``(1 * 0.6 + 2 * 0.25 + 1 * 0.1) / 4``:

    >>> curve
    ReliabilityCurve(kind='top-label', 5 uniform bins, ece=0.3, mce=0.6)
    """
    _check_binning(n_bins, strategy, kind)
    y_index, y_prob, sample_weight, labels = _validate_predictions(
        y_true, y_prob, sample_weight, labels
    )
    if kind == "top-label":
        predicted = np.argmax(y_prob, axis=1)  # first maximal column on ties
        confidence = y_prob[np.arange(y_prob.shape[0]), predicted]
        bins = _bin_gaps(
            confidence, predicted == y_index, sample_weight, n_bins, strategy
        )
        return ReliabilityCurve(
            **bins, n_bins=n_bins, strategy=strategy, kind=kind, classes=labels
        )

    per_class = [
        _bin_gaps(y_prob[:, j], y_index == j, sample_weight, n_bins, strategy)
        for j in range(labels.size)
    ]
    fields = {key: [bins[key] for bins in per_class] for key in per_class[0]}
    class_ece = np.array(fields.pop("ece"))
    class_mce = np.array(fields.pop("mce"))
    return ReliabilityCurve(
        **fields,
        ece=float(class_ece.mean()),
        mce=float(class_mce.max()),
        n_bins=n_bins,
        strategy=strategy,
        kind=kind,
        classes=labels,
        class_ece=class_ece,
        class_mce=class_mce,
    )


def expected_calibration_error(
    y_true,
    y_prob,
    *,
    n_bins=15,
    strategy="uniform",
    kind="top-label",
    sample_weight=None,
    labels=None,
):
    """Expected calibration error: bin-weighted mean of ``|accuracy - confidence|``.

    ``ECE = sum_b (S_b / S) |mean_b(a) - mean_b(c)|``; see the module docstring
    for the binning and :func:`reliability_curve` for the parameters.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, columns in the order of ``labels``; 1-D is the
        probability of ``labels[1]`` in a binary problem.
    n_bins : int, default=15
        Number of bins.
    strategy : {"uniform", "quantile"}, default="uniform"
        Equal-width or equal-mass bins.
    kind : {"top-label", "classwise"}, default="top-label"
        Top-label ECE, or the mean over classes of the one-vs-rest ECE.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    labels : array-like of shape (n_classes,), default=None
        The classes in the column order of ``y_prob``; defaults to
        ``np.unique(y_true)``.

    Returns
    -------
    float
        The ECE, in [0, 1]; lower is better.

    See Also
    --------
    reliability_curve : The per-bin values the ECE is computed from.
    neg_expected_calibration_error_scorer : The ECE as a scorer (negated).

    Examples
    --------
    >>> from skmax.metrics import expected_calibration_error
    >>> y_true = [0, 1, 1, 2]
    >>> y_prob = [[0.9, 0.1, 0.0], [0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8]]

    Top-label ECE with 5 uniform bins, then with 2 quantile bins (edge at the
    median confidence 0.7, bins ``{0.6, 0.7}`` and ``{0.8, 0.9}``):

    >>> expected_calibration_error(y_true, y_prob, n_bins=5)
    0.3
    >>> expected_calibration_error(y_true, y_prob, n_bins=2, strategy="quantile")
    0.15

    Classwise ECE with 5 uniform bins, the mean of the per-class values 0.25, 0.3
    and 0.1:

    >>> expected_calibration_error(y_true, y_prob, n_bins=5, kind="classwise")
    0.216667
    """
    return reliability_curve(
        y_true,
        y_prob,
        n_bins=n_bins,
        strategy=strategy,
        kind=kind,
        sample_weight=sample_weight,
        labels=labels,
    ).ece


def maximum_calibration_error(
    y_true,
    y_prob,
    *,
    n_bins=15,
    strategy="uniform",
    kind="top-label",
    sample_weight=None,
    labels=None,
):
    """Maximum calibration error: largest ``|accuracy - confidence|`` over the bins.

    For ``kind="classwise"`` the maximum runs over classes and bins. Always
    ``MCE >= ECE``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, columns in the order of ``labels``.
    n_bins : int, default=15
        Number of bins.
    strategy : {"uniform", "quantile"}, default="uniform"
        Equal-width or equal-mass bins.
    kind : {"top-label", "classwise"}, default="top-label"
        Top-label or one-vs-rest per class.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights: they move the bin means (and quantile edges), but
        a bin's gap is not weighted by its mass.
    labels : array-like of shape (n_classes,), default=None
        The classes in the column order of ``y_prob``.

    Returns
    -------
    float
        The MCE, in [0, 1]; lower is better.

    Examples
    --------
    With 5 uniform bins the sample of confidence 0.6 is alone in ``(0.4, 0.6]``
    and wrong:

    >>> from skmax.metrics import maximum_calibration_error
    >>> y_true = [0, 1, 1, 2]
    >>> y_prob = [[0.9, 0.1, 0.0], [0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8]]
    >>> maximum_calibration_error(y_true, y_prob, n_bins=5)
    0.6
    """
    return reliability_curve(
        y_true,
        y_prob,
        n_bins=n_bins,
        strategy=strategy,
        kind=kind,
        sample_weight=sample_weight,
        labels=labels,
    ).mce


def make_calibration_scorer(
    metric="ece", *, n_bins=15, strategy="uniform", kind="top-label", labels=None
):
    """Make a scorer of the negated ECE or MCE, for ``scoring=`` in model selection.

    Lower calibration error is better, so the score is its negative, as for
    scikit-learn's ``neg_log_loss``. The scorer calls ``predict_proba``; for a
    binary classifier scikit-learn passes only the column of ``classes_[1]``,
    which these metrics read as the probability of the larger label of
    ``y_true`` (``classes_`` is sorted, so the two agree). A test fold must then
    contain both classes, and in general every class of ``y_prob``, unless
    ``labels`` is given (use stratified folds, or pass ``labels=classes``).

    Parameters
    ----------
    metric : {"ece", "mce"}, default="ece"
        Expected or maximum calibration error.
    n_bins : int, default=15
        Number of bins.
    strategy : {"uniform", "quantile"}, default="uniform"
        Equal-width or equal-mass bins.
    kind : {"top-label", "classwise"}, default="top-label"
        Top-label or classwise calibration error.
    labels : array-like of shape (n_classes,), default=None
        All classes, sorted as in ``estimator.classes_``; lets a fold miss some.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)`` returning minus the calibration error.

    Examples
    --------
    Mean over 5 stratified folds of minus the top-label ECE with 10 uniform bins:

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from skmax.metrics import make_calibration_scorer
    >>> X, y = load_iris(return_X_y=True)
    >>> scorer = make_calibration_scorer("ece", n_bins=10)
    >>> model = LogisticRegression(max_iter=1000)
    >>> scores = cross_val_score(model, X, y, scoring=scorer)
    >>> bool(-0.2 < scores.mean() < 0)
    True
    """
    metrics = {"ece": expected_calibration_error, "mce": maximum_calibration_error}
    if not isinstance(metric, str) or metric not in metrics:
        raise ValueError(f"metric must be 'ece' or 'mce', got {metric!r}.")
    _check_binning(n_bins, strategy, kind)
    options = {"n_bins": n_bins, "strategy": strategy, "kind": kind}
    if labels is not None:
        options["labels"] = labels
    return make_scorer(
        metrics[metric],
        greater_is_better=False,
        response_method="predict_proba",
        **options,
    )


def _describe_binning(n_bins, strategy):
    return f"{n_bins} {strategy} bin{'' if n_bins == 1 else 's'}"


def _check_binning(n_bins, strategy, kind):
    integer = isinstance(n_bins, numbers.Integral) and not isinstance(n_bins, bool)
    if not integer or n_bins < 1:
        raise ValueError(f"n_bins must be an integer >= 1, got {n_bins!r}.")
    if not isinstance(strategy, str) or strategy not in _STRATEGIES:
        raise ValueError(f"strategy must be one of {_STRATEGIES}, got {strategy!r}.")
    if not isinstance(kind, str) or kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}.")


def _bin_gaps(confidence, outcome, sample_weight, n_bins, strategy):
    """Bin ``confidence``; weighted means of confidence and outcome per bin."""
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    else:
        order = np.argsort(confidence)
        cumulative = np.cumsum(sample_weight[order])
        # b * S / B rather than (b / B) * S: exact when S is a multiple of B.
        targets = np.arange(1, n_bins) * cumulative[-1] / n_bins
        first = np.searchsorted(cumulative, targets, side="left")
        inner = confidence[order][np.minimum(first, confidence.size - 1)]
        edges = np.concatenate(([0.0], inner, [1.0]))
    # Right-closed bins: c == e_b goes to the bin below the edge. Compare in the
    # input's precision, so that float32 0.6 lies on the (float32) edge 0.6.
    inner_edges = edges[1:-1].astype(confidence.dtype)
    index = np.searchsorted(inner_edges, confidence, side="left")
    confidence = confidence.astype(np.float64)

    weight = np.bincount(index, weights=sample_weight, minlength=n_bins)
    count = np.bincount(index, minlength=n_bins)
    kept = np.flatnonzero(weight > 0)
    mean_confidence, mean_outcome = (
        np.bincount(index, weights=sample_weight * values, minlength=n_bins)[kept]
        / weight[kept]
        for values in (confidence, outcome)
    )
    gap = np.abs(mean_outcome - mean_confidence)
    return {
        "confidence": mean_confidence,
        "accuracy": mean_outcome,
        "count": count[kept],
        "weight": weight[kept],
        "bin_index": kept,
        "bin_edges": edges,
        "ece": float(np.dot(weight[kept], gap) / weight.sum()),
        "mce": float(gap.max()),
    }


def _validate_predictions(y_true, y_prob, sample_weight, labels):
    """Return (class index per sample, (n, k) probabilities, weights, labels)."""
    y_prob = check_array(
        y_prob, ensure_2d=False, dtype=[np.float64, np.float32], input_name="y_prob"
    )
    y_true = np.asarray(y_true)
    if y_true.ndim != 1:
        raise ValueError(f"y_true must be 1-D, got shape {y_true.shape}.")
    check_consistent_length(y_true, y_prob, sample_weight)
    sample_weight = _check_sample_weight(
        sample_weight, y_prob, dtype=np.float64, ensure_non_negative=True
    )
    if not sample_weight.sum() > 0:
        raise ValueError("sample_weight must not be all zero.")

    low, high = float(y_prob.min()), float(y_prob.max())
    if low < 0 or high > 1:
        raise ValueError(f"y_prob must lie in [0, 1]; got values in [{low}, {high}].")

    given = labels is not None
    labels = np.asarray(labels) if given else np.unique(y_true)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}.")
    position = {label: j for j, label in enumerate(labels.tolist())}
    if len(position) != labels.size:
        raise ValueError(f"labels contains duplicates: {labels.tolist()}.")
    binary = y_prob.ndim == 1
    if labels.size < 2 or labels.size != (2 if binary else y_prob.shape[1]):
        shape = "a 1-D (binary) y_prob" if binary else f"{y_prob.shape[1]} columns"
        hint = "=[negative, positive]" if binary else "= with one class per column"
        raise ValueError(
            f"Got {shape}, but the classes in {'labels' if given else 'y_true'} are "
            f"{labels.tolist()}." + ("" if given else f" Pass labels{hint}.")
        )
    if y_prob.ndim == 1:
        y_prob = np.column_stack([1 - y_prob, y_prob])

    present, inverse = np.unique(y_true, return_inverse=True)
    unknown = [label for label in present.tolist() if label not in position]
    if unknown:
        raise ValueError(
            f"y_true contains labels not in labels {labels.tolist()}: {unknown}."
        )
    lookup = np.array([position[label] for label in present.tolist()], dtype=np.intp)
    y_index = lookup[inverse.reshape(-1)]

    tolerance = PROBABILITY_SUM_TOLERANCE
    row_sum = y_prob.sum(axis=1, dtype=np.float64)
    bad = np.flatnonzero(np.abs(row_sum - 1) > tolerance)
    if bad.size:
        raise ValueError(
            f"Rows of y_prob must sum to 1 (within {tolerance:.2g}); {bad.size} do "
            f"not, e.g. row {bad[0]} sums to {float(row_sum[bad[0]])}. Pass "
            f"probabilities (predict_proba), not scores."
        )
    return y_index, y_prob, sample_weight, labels


# Module-level scorers with the defaults (15 uniform bins, top-label).
neg_expected_calibration_error_scorer = make_calibration_scorer("ece")
neg_maximum_calibration_error_scorer = make_calibration_scorer("mce")
