"""Tests of skmax.metrics: hand-computed cases, properties, validation, scorers."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.calibration import calibration_curve
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmax.metrics import (
    expected_calibration_error,
    make_calibration_scorer,
    maximum_calibration_error,
    neg_expected_calibration_error_scorer,
    neg_maximum_calibration_error_scorer,
    reliability_curve,
)

# Four samples, three classes. Top-label confidence and correctness:
#   row 0: c = 0.9, predicts 0, y = 0 -> correct
#   row 1: c = 0.6, predicts 0, y = 1 -> wrong
#   row 2: c = 0.7, predicts 1, y = 1 -> correct
#   row 3: c = 0.8, predicts 2, y = 2 -> correct
Y_TRUE = np.array([0, 1, 1, 2])
Y_PROB = np.array([[0.9, 0.1, 0.0], [0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8]])
STRATEGIES = ["uniform", "quantile"]
KINDS = ["top-label", "classwise"]


def _random_problem(n_samples, n_classes, seed, sharpness=1.0):
    """Softmax probabilities of Gaussian logits, labels drawn from them."""
    rng = np.random.default_rng(seed)
    logits = 2 * rng.standard_normal((n_samples, n_classes))
    prob = np.exp(logits - logits.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    cumulative = prob.cumsum(axis=1)
    draws = rng.random((n_samples, 1))
    y = np.minimum((draws > cumulative).sum(axis=1), n_classes - 1)
    sharp = np.exp(sharpness * (logits - logits.max(axis=1, keepdims=True)))
    sharp /= sharp.sum(axis=1, keepdims=True)
    return y, sharp


def _flat(field):
    """One array from a top-label array or a classwise list of arrays."""
    return np.concatenate(field) if isinstance(field, list) else field


# ------------------------------------------------------------ hand-computed cases


def test_top_label_uniform_by_hand():
    # 5 uniform bins [0, .2], (.2, .4], (.4, .6], (.6, .8], (.8, 1]:
    #   (.4, .6]: {0.6 wrong}              conf 0.6,  acc 0, gap 0.6
    #   (.6, .8]: {0.7, 0.8} (0.8 on edge) conf 0.75, acc 1, gap 0.25
    #   (.8, 1 ]: {0.9}                    conf 0.9,  acc 1, gap 0.1
    # ECE = (1 * 0.6 + 2 * 0.25 + 1 * 0.1) / 4 = 0.3, MCE = 0.6
    curve = reliability_curve(Y_TRUE, Y_PROB, n_bins=5)
    assert_allclose(curve.confidence, [0.6, 0.75, 0.9])
    assert_allclose(curve.accuracy, [0.0, 1.0, 1.0])
    assert_array_equal(curve.count, [1, 2, 1])
    assert_allclose(curve.weight, [1.0, 2.0, 1.0])
    assert_array_equal(curve.bin_index, [2, 3, 4])
    assert_allclose(curve.bin_edges, np.linspace(0, 1, 6))
    assert curve.ece == pytest.approx(0.3)
    assert curve.mce == pytest.approx(0.6)
    assert (curve.n_bins, curve.strategy, curve.kind) == (5, "uniform", "top-label")
    assert_array_equal(curve.classes, [0, 1, 2])
    assert curve.class_ece is None
    assert curve.binning == "5 uniform bins"
    assert expected_calibration_error(Y_TRUE, Y_PROB, n_bins=5) == curve.ece
    assert maximum_calibration_error(Y_TRUE, Y_PROB, n_bins=5) == curve.mce


def test_top_label_quantile_by_hand():
    # Sorted confidences 0.6, 0.7, 0.8, 0.9, unit weights (S = 4).
    # 2 bins: inner edge where the cumulative weight reaches 2 -> 0.7:
    #   [0, .7] = {0.6 wrong, 0.7 right}: conf 0.65, acc 0.5, gap 0.15
    #   (.7, 1] = {0.8, 0.9 right}:       conf 0.85, acc 1,   gap 0.15
    # ECE = 0.15, MCE = 0.15
    curve = reliability_curve(Y_TRUE, Y_PROB, n_bins=2, strategy="quantile")
    assert_allclose(curve.bin_edges, [0.0, 0.7, 1.0])
    assert_allclose(curve.confidence, [0.65, 0.85])
    assert_allclose(curve.accuracy, [0.5, 1.0])
    assert curve.ece == pytest.approx(0.15)
    assert curve.mce == pytest.approx(0.15)
    # 4 bins: one sample each, gaps 0.6, 0.3, 0.2, 0.1 -> ECE 0.3, MCE 0.6
    curve = reliability_curve(Y_TRUE, Y_PROB, n_bins=4, strategy="quantile")
    assert_allclose(curve.bin_edges, [0.0, 0.6, 0.7, 0.8, 1.0])
    assert_array_equal(curve.count, [1, 1, 1, 1])
    assert curve.ece == pytest.approx(0.3)
    assert curve.mce == pytest.approx(0.6)


def test_classwise_uniform_by_hand():
    # 5 uniform bins, one-vs-rest per class over all four samples.
    # class 0: p = .9 .6 .2 .1, y==0: 1 0 0 0
    #   [0, .2] {.2, .1}: conf .15 acc 0 gap .15; {.6}: gap .6; {.9}: gap .1
    #   ECE_0 = (2 * .15 + .6 + .1) / 4 = 0.25
    # class 1: p = .1 .3 .7 .1, y==1: 0 1 1 0
    #   {.1, .1}: gap .1; {.3}: gap .7; {.7}: gap .3 -> ECE_1 = 1.2 / 4 = 0.3
    # class 2: p = 0 .1 .1 .8, y==2: 0 0 0 1
    #   {0, .1, .1}: conf 1/15, acc 0; {.8}: gap .2 -> ECE_2 = (.2 + .2) / 4 = 0.1
    # classwise ECE = (0.25 + 0.3 + 0.1) / 3, MCE = 0.7 (class 1, bin (.2, .4])
    curve = reliability_curve(Y_TRUE, Y_PROB, n_bins=5, kind="classwise")
    assert_allclose(curve.class_ece, [0.25, 0.3, 0.1])
    assert_allclose(curve.class_mce, [0.6, 0.7, 0.2])
    assert curve.ece == pytest.approx(0.65 / 3)
    assert curve.mce == pytest.approx(0.7)
    assert_allclose(curve.confidence[2], [1 / 15, 0.8])
    assert_allclose(curve.accuracy[1], [0.0, 1.0, 1.0])
    assert_array_equal(curve.count[2], [3, 1])
    assert_array_equal(curve.bin_index[1], [0, 1, 3])
    assert len(curve.bin_edges) == 3


def test_classwise_quantile_by_hand():
    # 2 quantile bins per class; the edge is where the cumulative count reaches 2.
    # class 0: sorted .1 .2 .6 .9 -> edge .2: {.1, .2} gap .15, {.6, .9} conf .75
    #          acc .5 gap .25 -> ECE_0 = (2 * .15 + 2 * .25) / 4 = 0.2
    # class 1: sorted .1 .1 .3 .7 -> edge .1: {.1, .1} gap .1, {.3, .7} conf .5
    #          acc 1 gap .5 -> ECE_1 = (2 * .1 + 2 * .5) / 4 = 0.3
    # class 2: sorted 0 .1 .1 .8 -> edge .1; the tie at .1 is not split, so the
    #          bins are {0, .1, .1} (gap 1/15) and {.8} (gap .2) -> ECE_2 = 0.1
    # classwise ECE = 0.6 / 3 = 0.2, MCE = 0.5
    curve = reliability_curve(
        Y_TRUE, Y_PROB, n_bins=2, strategy="quantile", kind="classwise"
    )
    assert_allclose(curve.class_ece, [0.2, 0.3, 0.1])
    assert_array_equal(curve.count[2], [3, 1])
    assert_allclose([edges[1] for edges in curve.bin_edges], [0.2, 0.1, 0.1])
    assert curve.ece == pytest.approx(0.2)
    assert curve.mce == pytest.approx(0.5)


def test_weighted_by_hand():
    weights = np.array([2.0, 1.0, 1.0, 3.0])
    # 5 uniform bins: (.4, .6] {.6 wrong, w 1}: gap .6;
    #   (.6, .8] {.7 w 1, .8 w 3}: conf (.7 + 2.4) / 4 = .775, acc 1, gap .225;
    #   (.8, 1] {.9 w 2}: gap .1.  ECE = (.6 + 4 * .225 + 2 * .1) / 7 = 1.7 / 7
    curve = reliability_curve(Y_TRUE, Y_PROB, n_bins=5, sample_weight=weights)
    assert_allclose(curve.confidence, [0.6, 0.775, 0.9])
    assert_allclose(curve.weight, [1.0, 4.0, 2.0])
    assert_array_equal(curve.count, [1, 2, 1])
    assert curve.ece == pytest.approx(1.7 / 7)
    assert curve.mce == pytest.approx(0.6)
    # 2 quantile bins: sorted .6 .7 .8 .9 with weights 1 1 3 2, cumulative
    #   1 2 5 7, half of S = 3.5 first reached at .8 -> edge .8:
    #   {.6, .7, .8}: W 5, conf 3.7 / 5 = .74, acc 4 / 5 = .8, gap .06
    #   {.9}: W 2, gap .1.  ECE = (5 * .06 + 2 * .1) / 7 = .5 / 7, MCE = .1
    curve = reliability_curve(
        Y_TRUE, Y_PROB, n_bins=2, strategy="quantile", sample_weight=weights
    )
    assert_allclose(curve.bin_edges, [0.0, 0.8, 1.0])
    assert_allclose(curve.confidence, [0.74, 0.9])
    assert_allclose(curve.accuracy, [0.8, 1.0])
    assert curve.ece == pytest.approx(0.5 / 7)
    assert curve.mce == pytest.approx(0.1)


def test_single_bin_is_gap_of_the_means():
    # One bin: |mean accuracy - mean confidence| = |3/4 - 3.0/4|
    assert expected_calibration_error(Y_TRUE, Y_PROB, n_bins=1) == pytest.approx(0.0)
    y_true = [0, 0, 1]
    y_prob = [0.2, 0.4, 0.6]  # top-label confidences .8, .6, .6; correct 1, 1, 1
    assert expected_calibration_error(y_true, y_prob, n_bins=1) == pytest.approx(
        1 - 2.0 / 3
    )


def test_argmax_ties_pick_the_first_column():
    y_prob = [[0.5, 0.5], [0.5, 0.5]]
    # Both rows predict class 0 at confidence 0.5: one right, one wrong -> gap 0.
    assert expected_calibration_error([0, 1], y_prob) == pytest.approx(0.0)
    # Both wrong: gap 0.5.
    assert expected_calibration_error([1, 1], y_prob, labels=[0, 1]) == 0.5


def test_zero_weight_bins_are_dropped():
    weights = [1.0, 0.0, 1.0, 1.0]  # the only sample in (.4, .6] has no weight
    curve = reliability_curve(Y_TRUE, Y_PROB, n_bins=5, sample_weight=weights)
    assert_array_equal(curve.bin_index, [3, 4])
    assert curve.ece == pytest.approx((2 * 0.25 + 0.1) / 3)


# ---------------------------------------------------------------------- properties


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("kind", KINDS)
def test_integer_weights_equal_repeated_rows(strategy, kind):
    y, prob = _random_problem(300, 4, seed=1, sharpness=1.5)
    weights = np.random.default_rng(2).integers(0, 4, size=y.size)
    weighted = reliability_curve(
        y, prob, n_bins=7, strategy=strategy, kind=kind, sample_weight=weights
    )
    repeat = np.repeat(np.arange(y.size), weights)
    repeated = reliability_curve(
        y[repeat], prob[repeat], n_bins=7, strategy=strategy, kind=kind
    )
    assert weighted.ece == pytest.approx(repeated.ece, rel=1e-12)
    assert weighted.mce == pytest.approx(repeated.mce, rel=1e-12)
    for field in ["confidence", "accuracy", "weight", "bin_index", "bin_edges"]:
        assert_allclose(
            _flat(getattr(weighted, field)), _flat(getattr(repeated, field)), rtol=1e-12
        )


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("kind", KINDS)
def test_calibrated_is_near_zero_and_overconfident_is_not(strategy, kind):
    n_samples, n_bins = 100_000, 15
    y, prob = _random_problem(n_samples, 4, seed=3)
    # Labels drawn from prob: in bin b, mean(a) - mean(c) has mean 0 and standard
    # deviation <= 1 / (2 sqrt(n_b)), so E[ECE] <= sum_b (n_b / n) / (2 sqrt(n_b))
    # <= sqrt(B / n) / 2 (Cauchy-Schwarz) = 0.0061 here; allow twice that.
    bound = np.sqrt(n_bins / n_samples) / 2
    ece = expected_calibration_error(
        y, prob, n_bins=n_bins, strategy=strategy, kind=kind
    )
    assert ece < 2 * bound
    _, overconfident = _random_problem(n_samples, 4, seed=3, sharpness=3.0)
    ece_over = expected_calibration_error(
        y, overconfident, n_bins=n_bins, strategy=strategy, kind=kind
    )
    assert ece_over > 0.05 > 4 * bound


@settings(max_examples=60, deadline=None)
@given(
    n_samples=st.integers(1, 60),
    n_classes=st.integers(2, 5),
    n_bins=st.integers(1, 20),
    strategy=st.sampled_from(STRATEGIES),
    kind=st.sampled_from(KINDS),
    weighted=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_ece_between_zero_and_mce(
    n_samples, n_classes, n_bins, strategy, kind, weighted, seed
):
    rng = np.random.default_rng(seed)
    prob = rng.dirichlet(np.full(n_classes, 0.5), size=n_samples)
    # Round some entries to create ties and exact bin edges.
    prob = np.round(prob, rng.integers(1, 4))
    prob[:, -1] = 1 - prob[:, :-1].sum(axis=1)
    prob = np.clip(prob, 0, 1)
    prob /= prob.sum(axis=1, keepdims=True)
    y = rng.integers(0, n_classes, size=n_samples)
    weights = rng.random(n_samples) + 0.01 if weighted else None
    curve = reliability_curve(
        y,
        prob,
        n_bins=n_bins,
        strategy=strategy,
        kind=kind,
        sample_weight=weights,
        labels=np.arange(n_classes),
    )
    assert 0 <= curve.ece <= curve.mce + 1e-12 <= 1 + 1e-12
    confidences = curve.confidence if kind == "classwise" else [curve.confidence]
    for confidence in confidences:
        assert np.all(np.diff(confidence) > 0)  # bins are ordered and disjoint


@settings(max_examples=60, deadline=None)
@given(
    positive=st.lists(
        st.floats(0, 1, allow_subnormal=False), min_size=1, max_size=200, unique=True
    ),
    n_bins=st.integers(1, 30),
)
def test_quantile_bins_have_near_equal_counts(positive, n_bins):
    positive = np.array(positive)
    y = np.arange(positive.size) % 2
    curve = reliability_curve(
        y,
        positive,
        n_bins=n_bins,
        strategy="quantile",
        kind="classwise",
        labels=[0, 1],
    )
    # Distinct confidences, unit weights: bin b holds the order statistics
    # ceil(b n / B) + 1 .. ceil((b + 1) n / B), i.e. floor(n / B) or ceil(n / B).
    count = curve.count[1]
    assert count.sum() == positive.size
    assert count.max() - count.min() <= 1
    if positive.size >= n_bins:
        assert count.size == n_bins


def test_ties_never_split_across_quantile_bins():
    y = [0, 1, 0, 1, 1]
    positive = [0.3, 0.3, 0.3, 0.3, 0.9]
    curve = reliability_curve(
        y, positive, n_bins=5, strategy="quantile", kind="classwise"
    )
    assert_array_equal(curve.count[1], [4, 1])
    # Input order does not matter.
    order = [4, 2, 0, 3, 1]
    shuffled = reliability_curve(
        np.array(y)[order],
        np.array(positive)[order],
        n_bins=5,
        strategy="quantile",
        kind="classwise",
    )
    assert shuffled.ece == curve.ece


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("kind", KINDS)
def test_binary_1d_equals_two_columns(strategy, kind):
    rng = np.random.default_rng(4)
    positive = rng.random(200)
    y = np.where(rng.random(200) < positive, "spam", "ham")
    one_column = reliability_curve(y, positive, strategy=strategy, kind=kind)
    two_columns = reliability_curve(
        y, np.column_stack([1 - positive, positive]), strategy=strategy, kind=kind
    )
    assert one_column.ece == two_columns.ece
    assert one_column.mce == two_columns.mce
    assert_array_equal(one_column.classes, ["ham", "spam"])


def test_positive_class_curve_matches_sklearn_calibration_curve():
    # calibration_curve bins the positive-class probability, which is the
    # classwise curve of class 1 (top-label confidence max(p, 1 - p) is a different
    # quantity). Same right-closed uniform bins, so the curves agree exactly.
    # Quantile bins are not compared: calibration_curve interpolates percentiles
    # (np.percentile), here the edges are weighted inverted-CDF quantiles.
    rng = np.random.default_rng(5)
    positive = np.round(rng.random(500), 2)  # many values on the bin edges
    y = (rng.random(500) < positive**2).astype(int)
    for n_bins in [5, 10, 15]:
        prob_true, prob_pred = calibration_curve(y, positive, n_bins=n_bins)
        curve = reliability_curve(y, positive, n_bins=n_bins, kind="classwise")
        assert_allclose(curve.accuracy[1], prob_true, rtol=1e-12)
        assert_allclose(curve.confidence[1], prob_pred, rtol=1e-12)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_permuting_classes_changes_nothing(strategy):
    y, prob = _random_problem(500, 5, seed=6, sharpness=2.0)
    names = np.array(["a", "b", "c", "d", "e"])
    permutation = np.array([3, 0, 4, 1, 2])
    for kind in KINDS:
        original = reliability_curve(
            names[y], prob, strategy=strategy, kind=kind, labels=names
        )
        permuted = reliability_curve(
            names[y],
            prob[:, permutation],
            strategy=strategy,
            kind=kind,
            labels=names[permutation],
        )
        assert permuted.ece == pytest.approx(original.ece, rel=1e-12)
        assert permuted.mce == pytest.approx(original.mce, rel=1e-12)
        if kind == "classwise":
            assert_allclose(permuted.class_ece, original.class_ece[permutation])


def test_labels_keep_their_order_and_may_be_absent_from_y_true():
    # Columns for labels "z", "a", "m"; y_true has no "m".
    y_prob = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.6, 0.3, 0.1]]
    y_true = ["z", "a", "a"]
    curve = reliability_curve(y_true, y_prob, n_bins=5, labels=["z", "a", "m"])
    # Confidences .7 (z, right), .8 (a, right), .6 (z, wrong): bins (.4, .6] and
    # (.6, .8] -> gaps .6 and |1 - .75| -> ECE (.6 + 2 * .25) / 3.
    assert curve.ece == pytest.approx(1.1 / 3)
    assert_array_equal(curve.classes, ["z", "a", "m"])


def test_lists_pandas_and_float32_accepted():
    expected = expected_calibration_error(Y_TRUE, Y_PROB, n_bins=5)
    frame = pd.DataFrame(Y_PROB, columns=["a", "b", "c"], index=[9, 8, 7, 6])
    series = pd.Series(Y_TRUE, index=[9, 8, 7, 6])
    weights = pd.Series([1.0, 1.0, 1.0, 1.0])
    assert (
        expected_calibration_error(series, frame, n_bins=5, sample_weight=weights)
        == expected
    )
    assert expected_calibration_error(Y_TRUE.tolist(), Y_PROB.tolist(), n_bins=5) == (
        expected
    )
    result = expected_calibration_error(Y_TRUE, Y_PROB.astype(np.float32), n_bins=5)
    assert result == pytest.approx(expected, abs=1e-7)


def test_inputs_not_modified():
    y_true = np.array([0, 1, 1, 2])
    y_prob = Y_PROB.copy()
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    labels = np.array([0, 1, 2])
    for strategy in STRATEGIES:
        for kind in KINDS:
            reliability_curve(
                y_true,
                y_prob,
                strategy=strategy,
                kind=kind,
                sample_weight=weights,
                labels=labels,
            )
    assert_array_equal(y_true, [0, 1, 1, 2])
    assert_array_equal(y_prob, Y_PROB)
    assert_array_equal(weights, [1.0, 2.0, 3.0, 4.0])
    assert_array_equal(labels, [0, 1, 2])
    positive = np.array([0.2, 0.7])
    reliability_curve([0, 1], positive)
    assert_array_equal(positive, [0.2, 0.7])


def test_row_sum_tolerance():
    # Within 1e-4 passes (float32 outputs stored as float64 are off by ~1e-6),
    # 1e-3 off fails.
    ok = [[0.5 + 5e-5, 0.5], [0.5, 0.5]]
    expected_calibration_error([0, 1], ok)
    with pytest.raises(ValueError, match="sum to 1"):
        expected_calibration_error([0, 1], [[0.5 + 1e-3, 0.5], [0.5, 0.5]])
    # float32 softmax output over many classes passes.
    rng = np.random.default_rng(7)
    logits = rng.standard_normal((100, 1000)).astype(np.float32)
    prob = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected_calibration_error(rng.integers(0, 1000, 100), prob, labels=range(1000))


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y_prob": [[0.5, np.nan], [0.5, 0.5]]}, "NaN"),
        ({"y_prob": [[np.inf, 0.0], [0.5, 0.5]]}, "infinity"),
        ({"y_prob": [[1.2, -0.2], [0.5, 0.5]]}, r"lie in \[0, 1\]"),
        ({"y_prob": [1.5, 0.5]}, r"lie in \[0, 1\]"),
        ({"y_prob": [[0.6, 0.6], [0.5, 0.5]]}, "sum to 1"),
        ({"y_prob": [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]}, "inconsistent numbers"),
        ({"y_true": [0, 3], "labels": [0, 1]}, r"not in labels \[0, 1\]: \[3\]"),
        ({"labels": [0, 1, 2]}, r"2 columns, but the classes in labels are \[0, 1, 2"),
        (
            {"y_prob": [[0.2, 0.3, 0.5], [0.5, 0.5, 0.0]]},
            r"3 columns, .* in y_true are \[0, 1\]\. Pass labels= with one class",
        ),
        (
            {"y_prob": [0.3, 0.5], "y_true": [1, 1]},
            r"1-D \(binary\) y_prob, .* are \[1\]\. Pass labels=\[negative, pos",
        ),
        ({"y_prob": [0.3, 0.5], "labels": [0, 1, 2]}, "1-D .* labels are"),
        ({"y_prob": [[1.0], [1.0]]}, "1 columns"),
        ({"labels": [0, 0]}, "duplicates"),
        ({"labels": [[0, 1]]}, "labels must be 1-D"),
        ({"labels": [0], "y_true": [0, 0]}, "classes in labels are"),
        ({"y_true": [[0], [1]]}, "y_true must be 1-D"),
        ({"n_bins": 0}, "n_bins must be an integer >= 1"),
        ({"n_bins": 2.5}, "n_bins must be an integer >= 1"),
        ({"n_bins": True}, "n_bins must be an integer >= 1"),
        ({"strategy": "equal"}, "strategy must be one of"),
        ({"kind": "top_label"}, "kind must be one of"),
        ({"sample_weight": [1.0, -1.0]}, "Negative values"),
        ({"sample_weight": [0.0, 0.0]}, "non-zero|all zero"),
        ({"sample_weight": [1.0, 1.0, 1.0]}, "shape|inconsistent"),
        ({"y_true": [], "y_prob": np.empty((0, 2))}, "0 sample"),
        ({"y_prob": np.empty((2, 0))}, "no columns|0 feature"),
        ({"y_prob": np.full((2, 2, 2), 0.5)}, "dim"),
    ],
)
def test_bad_input_raises(kwargs, message):
    arguments = {"y_true": [0, 1], "y_prob": [[0.5, 0.5], [0.5, 0.5]], **kwargs}
    y_true, y_prob = arguments.pop("y_true"), arguments.pop("y_prob")
    for function in [reliability_curve, maximum_calibration_error]:
        with pytest.raises(ValueError, match=message):
            function(y_true, y_prob, **arguments)


def test_bad_scorer_options_raise():
    with pytest.raises(ValueError, match="metric must be 'ece' or 'mce'"):
        make_calibration_scorer("brier")
    with pytest.raises(ValueError, match="n_bins"):
        make_calibration_scorer(n_bins=0)


# ------------------------------------------------------------------------- scorers


def _iris():
    return (*load_iris(return_X_y=True), LogisticRegression(max_iter=1000))


def _breast_cancer():
    model = make_pipeline(StandardScaler(), LogisticRegression())
    return (*load_breast_cancer(return_X_y=True), model)


@pytest.mark.parametrize("dataset", [_iris, _breast_cancer])
@pytest.mark.parametrize(
    ("scorer", "metric", "options"),
    [
        (neg_expected_calibration_error_scorer, expected_calibration_error, {}),
        (neg_maximum_calibration_error_scorer, maximum_calibration_error, {}),
        (
            make_calibration_scorer("ece", n_bins=5, strategy="quantile"),
            expected_calibration_error,
            {"n_bins": 5, "strategy": "quantile"},
        ),
        (
            make_calibration_scorer("mce", kind="classwise"),
            maximum_calibration_error,
            {"kind": "classwise"},
        ),
    ],
)
def test_scorer_in_cross_val_score(dataset, scorer, metric, options):
    X, y, model = dataset()
    cv = StratifiedKFold(n_splits=4, shuffle=True, random_state=0)
    scores = cross_val_score(model, X, y, scoring=scorer, cv=cv)
    # The same numbers by hand from the full (n, k) predict_proba of each fold;
    # for the binary problem the scorer receives only the positive column.
    expected = []
    for train, test in cv.split(X, y):
        fitted = model.fit(X[train], y[train])
        y_prob = fitted.predict_proba(X[test])
        expected.append(-metric(y[test], y_prob, labels=fitted.classes_, **options))
    assert_allclose(scores, expected, rtol=1e-10)
    assert np.all(scores <= 0)


def test_scorer_with_labels_allows_a_missing_class_in_a_fold():
    X, y, model = _iris()
    model.fit(X, y)
    subset = y < 2  # a "fold" without class 2
    with pytest.raises(ValueError, match="labels="):
        neg_expected_calibration_error_scorer(model, X[subset], y[subset])
    scorer = make_calibration_scorer(labels=[0, 1, 2])
    assert scorer(model, X[subset], y[subset]) == pytest.approx(
        -expected_calibration_error(
            y[subset], model.predict_proba(X[subset]), labels=[0, 1, 2]
        )
    )


def test_scorer_in_grid_search():
    X, y, model = _iris()
    search = GridSearchCV(
        model,
        {"C": [0.01, 1.0, 100.0]},
        scoring=make_calibration_scorer("ece", n_bins=10),
        cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=0),
    )
    search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and np.all(scores <= 0)
    assert search.best_score_ == scores.max()
    assert search.best_params_["C"] == [0.01, 1.0, 100.0][np.argmax(scores)]
