"""SoftmaxRegression against LogisticRegression, and as a scikit-learn estimator."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skmax import SoftmaxRegression
from skmax._loss import LinearSoftmaxLoss

LOADERS = {
    "iris": load_iris,
    "wine": load_wine,
    "digits": load_digits,
    "breast_cancer": load_breast_cancer,
}


def _standardised(name):
    X, y = LOADERS[name](return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _objective(model, X, y, C, sample_weight=None):
    """LogisticRegression's objective (scaled as in MATH.md) at model's coefficients."""
    classes, codes = np.unique(y, return_inverse=True)
    weight_sum = len(y) if sample_weight is None else sample_weight.sum()
    loss = LinearSoftmaxLoss(
        X.astype(np.float64),
        codes,
        classes.size,
        sample_weight=sample_weight,
        l2=0.0 if np.isinf(C) else 1 / (C * weight_sum),
        fit_intercept=True,
    )
    return loss.loss(loss.pack(model.coef_, model.intercept_))


def _reference(C, **kwargs):
    """LogisticRegression fitted to 1e-10; newton-cholesky is its exact solver.

    scikit-learn's default lbfgs stops on its own tests short of tol=1e-10 on the
    ill-conditioned problems (C=100 on digits, breast cancer: probabilities off by
    up to 3e-6); the objective comparison below uses it as well.
    """
    return LogisticRegression(
        C=C, tol=1e-10, max_iter=10_000, solver="newton-cholesky", **kwargs
    )


def _fit_reference(estimator, X, y, **fit_params):
    with warnings.catch_warnings():
        # Unpenalised fits of separable data: the reference's Newton system is
        # singular and it says so; its answer is still compared.
        warnings.simplefilter("ignore", (ConvergenceWarning, UserWarning))
        warnings.simplefilter("ignore", RuntimeWarning)
        return estimator.fit(X, y, **fit_params)


# ----------------------------------------------------------------- the peer


@pytest.mark.parametrize("C", [0.01, 1.0, 100.0, np.inf])
@pytest.mark.parametrize("dataset", list(LOADERS))
def test_same_model_as_logistic_regression(dataset, C):
    X, y = _standardised(dataset)
    ours = SoftmaxRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, y)
    reference = _fit_reference(_reference(C), X, y)
    assert ours.coef_.shape == reference.coef_.shape
    assert ours.intercept_.shape == reference.intercept_.shape
    assert_allclose(ours.predict_proba(X), reference.predict_proba(X), atol=1e-6)
    # Unpenalised, separable data drive the objective to ~0: compare absolutely.
    assert_allclose(
        _objective(ours, X, y, C),
        _objective(reference, X, y, C),
        rtol=1e-9,
        atol=1e-8 if np.isinf(C) else 0,
    )
    assert_array_equal(ours.predict(X), reference.predict(X))
    if np.isinf(C):
        # Without a penalty these data sets are (partly) separable: the infimum is
        # not attained and a solver that walks further lowers the objective
        # without end, so only the agreement above is meaningful.
        return
    # Against scikit-learn's default solver: never a worse objective.
    lbfgs = _fit_reference(LogisticRegression(C=C, tol=1e-10, max_iter=10_000), X, y)
    ours_objective = _objective(ours, X, y, C)
    assert ours_objective <= _objective(lbfgs, X, y, C) * (1 + 1e-9)
    assert_allclose(ours.predict_proba(X), lbfgs.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("dataset", ["iris", "breast_cancer"])
def test_decision_function_matches_logistic_regression(dataset):
    X, y = _standardised(dataset)
    ours = SoftmaxRegression(C=1.0, tol=1e-10).fit(X, y)
    reference = _fit_reference(_reference(1.0), X, y)
    assert ours.decision_function(X).shape == reference.decision_function(X).shape
    assert_allclose(ours.coef_, reference.coef_, atol=1e-6)
    assert_allclose(ours.intercept_, reference.intercept_, atol=1e-6)
    assert_allclose(
        ours.decision_function(X), reference.decision_function(X), atol=1e-6
    )


@pytest.mark.parametrize("dataset", ["wine", "breast_cancer"])
def test_sample_weight_and_class_weight_match_logistic_regression(dataset):
    X, y = _standardised(dataset)
    rng = np.random.default_rng(0)
    weights = rng.uniform(0.2, 3.0, len(y))
    class_weight = {label: 1.0 + i for i, label in enumerate(np.unique(y))}
    for fit_params, params in [
        ({"sample_weight": weights}, {}),
        ({}, {"class_weight": class_weight}),
        ({}, {"class_weight": "balanced"}),
        ({"sample_weight": weights}, {"class_weight": "balanced"}),
    ]:
        ours = SoftmaxRegression(C=1.0, tol=1e-10, **params).fit(X, y, **fit_params)
        reference = _fit_reference(_reference(1.0, **params), X, y, **fit_params)
        assert_allclose(ours.predict_proba(X), reference.predict_proba(X), atol=1e-6)


def test_unpenalised_optimum_is_the_symmetric_minimum_norm_one():
    # Noisy labels: a finite unpenalised optimum exists.
    X, y = make_classification(
        n_samples=400,
        n_features=5,
        n_informative=4,
        n_redundant=0,
        n_classes=3,
        flip_y=0.3,
        random_state=0,
    )
    ours = SoftmaxRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(X, y)
    assert_allclose(ours.coef_.sum(axis=0), 0.0, atol=1e-12)
    assert_allclose(ours.intercept_.sum(), 0.0, atol=1e-12)
    reference = _fit_reference(_reference(np.inf), X, y)
    assert_allclose(ours.predict_proba(X), reference.predict_proba(X), atol=1e-8)
    # Any other optimum is a shift of every class by the same vector and has a
    # larger norm; ours is the mean-free one.
    shift = np.random.default_rng(0).standard_normal(X.shape[1])
    assert np.linalg.norm(ours.coef_) < np.linalg.norm(ours.coef_ + shift)
    shifted = clone(ours)
    shifted.__dict__.update(ours.__dict__)
    shifted.coef_ = ours.coef_ + shift
    assert_allclose(shifted.predict_proba(X), ours.predict_proba(X), rtol=1e-12)


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_both_solvers_reach_the_same_optimum(solver):
    X, y = _standardised("digits")
    newton = SoftmaxRegression(C=0.1, tol=1e-10, solver="newton-cg").fit(X, y)
    model = SoftmaxRegression(C=0.1, tol=1e-8, solver=solver, max_iter=1000)
    model.fit(X, y)
    assert model.solver_ == solver
    assert_allclose(model.predict_proba(X), newton.predict_proba(X), atol=1e-5)
    assert_allclose(
        _objective(model, X, y, 0.1), _objective(newton, X, y, 0.1), rtol=1e-9
    )


# ---------------------------------------------------------------- inputs


@pytest.mark.parametrize("tol", [1e-4, 1e-6])
def test_float32_sparse_unpenalised_converges(tol):
    # Preconditioned CG on float32 products: rounding must not push the residual
    # out of the class-centred subspace (it once stalled the line search here).
    rng = np.random.default_rng(1)
    X = sp.random(400, 30, density=0.2, random_state=2, format="csr") * 10
    y = rng.integers(0, 4, 400)
    model = SoftmaxRegression(C=np.inf, tol=tol).fit(X.astype(np.float32), y)
    assert model.n_iter_[0] < 20
    reference = SoftmaxRegression(C=np.inf, tol=1e-8).fit(X, y)
    assert_allclose(
        model.predict_proba(X.astype(np.float32)),
        reference.predict_proba(X),
        atol=1e-3,
    )


def test_float32_is_kept_and_agrees_with_float64():
    X, y = _standardised("digits")
    model64 = SoftmaxRegression(C=1.0, tol=1e-8).fit(X, y)
    # Newton-CG stops just below tol: at tol=1e-6 the float32 fit would sit about
    # 1e-4 from the optimum in probability (digits is ill-conditioned at C=1).
    model32 = SoftmaxRegression(C=1.0, tol=1e-7).fit(X.astype(np.float32), y)
    assert model32.coef_.dtype == np.float32
    assert model32.intercept_.dtype == np.float32
    proba32 = model32.predict_proba(X.astype(np.float32))
    assert proba32.dtype == np.float32
    assert_allclose(proba32, model64.predict_proba(X), atol=1e-4)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("dataset", ["wine", "breast_cancer"])
def test_sparse_equals_dense(dataset, fmt):
    X, y = _standardised(dataset)
    X[np.abs(X) < 0.5] = 0.0
    dense = SoftmaxRegression(C=1.0, tol=1e-10).fit(X, y)
    X_sparse = sp.csr_matrix(X).asformat(fmt)
    sparse = SoftmaxRegression(C=1.0, tol=1e-10).fit(X_sparse, y)
    assert sp.issparse(X_sparse) and X_sparse.format == fmt  # not densified
    assert_allclose(sparse.coef_, dense.coef_, atol=1e-8)
    assert_allclose(sparse.predict_proba(X_sparse), dense.predict_proba(X), atol=1e-8)


def test_integer_sample_weights_equal_repeated_rows():
    X, y = _standardised("iris")
    weights = np.random.default_rng(1).integers(0, 4, len(y))
    weighted = SoftmaxRegression(C=1.0, tol=1e-10).fit(X, y, sample_weight=weights)
    repeated = SoftmaxRegression(C=1.0, tol=1e-10).fit(
        np.repeat(X, weights, axis=0), np.repeat(y, weights)
    )
    assert_allclose(weighted.coef_, repeated.coef_, atol=1e-8)
    assert_allclose(weighted.intercept_, repeated.intercept_, atol=1e-8)


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["setosa", "versicolor", "virginica"]),
        np.array([10, -3, 7]),
        np.array([True, False]),
    ],
    ids=["strings", "ints", "bools"],
)
def test_labels_of_any_type(labels):
    X, y = _standardised("iris")
    mapped = labels[y % labels.size]
    model = SoftmaxRegression().fit(X, mapped)
    assert_array_equal(model.classes_, np.unique(labels))
    assert model.predict(X).dtype == model.classes_.dtype
    # The same fit as with codes 0..k-1 in the order of the sorted labels.
    codes = np.searchsorted(model.classes_, mapped)
    reference = SoftmaxRegression().fit(X, codes)
    assert_allclose(model.predict_proba(X), reference.predict_proba(X), rtol=1e-12)
    assert_array_equal(model.predict(X), model.classes_[reference.predict(X)])


def test_pandas_input_records_feature_names():
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = SoftmaxRegression().fit(X, y)
    assert_array_equal(model.feature_names_in_, X.columns)
    assert_allclose(
        model.predict_proba(X),
        SoftmaxRegression().fit(X.values, y).predict_proba(X.values),
    )
    with pytest.raises(ValueError, match="feature names"):
        model.predict(X[X.columns[::-1]])


def test_predict_log_proba_is_exact_where_logistic_regression_gives_minus_inf():
    X, y = _standardised("iris")
    ours = SoftmaxRegression(C=100.0).fit(X, y)
    far = 50 * X[:1]
    with np.errstate(divide="ignore"):
        reference = _fit_reference(LogisticRegression(C=100.0), X, y)
        assert np.isneginf(reference.predict_log_proba(far)).any()
    log_proba = ours.predict_log_proba(far)
    assert np.all(np.isfinite(log_proba))
    logits = ours.decision_function(far)
    expected = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
    # The top entry is -exp(-741) = -1.2e-322 exactly, where the naive formula
    # gives 0: compare the rest relatively.
    assert_allclose(log_proba, expected, rtol=1e-12, atol=1e-300)
    assert -1e-300 < log_proba.max() < 0


def test_binary_predict_proba_is_the_sigmoid():
    X, y = _standardised("breast_cancer")
    model = SoftmaxRegression().fit(X, y)
    z = model.decision_function(X)
    assert z.ndim == 1
    assert_allclose(model.predict_proba(X)[:, 1], 1 / (1 + np.exp(-z)), rtol=1e-12)
    assert_array_equal(model.predict(X), model.classes_[(z > 0).astype(int)])


def test_threads_do_not_change_the_fit():
    X, y = make_classification(
        n_samples=20_000, n_features=20, n_informative=10, n_classes=4, random_state=0
    )
    threaded = SoftmaxRegression(tol=1e-8).fit(X, y)
    with threadpool_limits(limits=1):
        serial = SoftmaxRegression(tol=1e-8).fit(X, y)
    assert_allclose(threaded.coef_, serial.coef_, atol=1e-8)


def test_warm_start_continues_from_the_previous_fit():
    X, y = _standardised("digits")
    model = SoftmaxRegression(C=1.0, warm_start=True, tol=1e-6).fit(X, y)
    first = model.n_iter_[0]
    model.fit(X, y)
    assert model.n_iter_[0] < first
    cold = SoftmaxRegression(C=1.0, tol=1e-6).fit(X, y)
    assert_allclose(model.predict_proba(X), cold.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_non_convergence_warns_with_the_reason(solver):
    X, y = _standardised("digits")
    with pytest.warns(ConvergenceWarning, match=r"max_iter = 2 .*max \|gradient\|"):
        model = SoftmaxRegression(solver=solver, max_iter=2).fit(X, y)
    assert model.n_iter_[0] == 2


def test_unpenalised_non_convergence_mentions_separability():
    X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    y = np.array([0, 0, 1, 1])
    with pytest.warns(ConvergenceWarning, match="linearly separable"):
        SoftmaxRegression(C=np.inf, max_iter=2).fit(X, y)


# ------------------------------------------------------- scikit-learn tooling


def test_pipeline_grid_search_by_log_loss():
    X, y = load_digits(return_X_y=True)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), SoftmaxRegression()),
        {"softmaxregression__C": [0.01, 0.1, 1.0]},
        scoring="neg_log_loss",
        cv=3,
    ).fit(X, y)
    assert search.best_params_["softmaxregression__C"] in (0.01, 0.1, 1.0)
    assert search.best_score_ > -0.5
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_clone_and_pickle_round_trip_exactly():
    X, y = _standardised("wine")
    model = SoftmaxRegression(C=3.0, class_weight="balanced").fit(X, y)
    assert clone(model).get_params() == model.get_params()
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    assert_array_equal(restored.predict_log_proba(X), model.predict_log_proba(X))


# -------------------------------------------------------------- bad input


def _data():
    X, y = _standardised("iris")
    return X.copy(), y.copy()


@pytest.mark.parametrize(
    ("mutate", "error", "match"),
    [
        (lambda X, y, w: X.__setitem__((0, 0), np.nan), ValueError, "NaN"),
        (lambda X, y, w: X.__setitem__((0, 0), np.inf), ValueError, "infinity"),
        (lambda X, y, w: w.__setitem__(0, np.nan), ValueError, "NaN"),
        (lambda X, y, w: w.__setitem__(0, -1.0), ValueError, "(?i)negative"),
        (
            lambda X, y, w: w.__setitem__(slice(None), 0.0),
            ValueError,
            "non-zero|sum to zero",
        ),
        (lambda X, y, w: y.__setitem__(slice(None), 1), ValueError, "1 class"),
    ],
    ids=[
        "nan-X",
        "inf-X",
        "nan-weight",
        "negative-weight",
        "zero-weights",
        "one-class",
    ],
)
def test_bad_fit_input_raises(mutate, error, match):
    X, y = _data()
    weights = np.ones(len(y))
    mutate(X, y, weights)
    with pytest.raises(error, match=match):
        SoftmaxRegression().fit(X, y, sample_weight=weights)


@pytest.mark.parametrize("C", [0.0, -1.0, "1"])
def test_bad_C_raises(C):
    X, y = _data()
    with pytest.raises(ValueError, match="'C' parameter"):
        SoftmaxRegression(C=C).fit(X, y)


def test_mismatched_lengths_raise():
    X, y = _data()
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        SoftmaxRegression().fit(X, y[:-1])
    with pytest.raises(ValueError, match="sample_weight"):
        SoftmaxRegression().fit(X, y, sample_weight=np.ones(3))


def test_wrong_number_of_features_and_unfitted_use_raise():
    X, y = _data()
    with pytest.raises(NotFittedError):
        SoftmaxRegression().predict(X)
    model = SoftmaxRegression().fit(X, y)
    for method in [
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
    ]:
        with pytest.raises(ValueError, match="features"):
            getattr(model, method)(X[:, :3])


def test_user_arrays_are_never_modified():
    X, y = _standardised("wine")
    X32 = X.astype(np.float32)
    weights = np.random.default_rng(0).uniform(0.5, 2, len(y))
    copies = [a.copy() for a in (X, X32, y, weights)]
    frame = pd.DataFrame(X)
    frame_copy = frame.copy()
    SoftmaxRegression(class_weight="balanced").fit(X, y, sample_weight=weights)
    model = SoftmaxRegression().fit(X32, y)
    model.predict_proba(X32)
    SoftmaxRegression().fit(frame, y)
    for original, copy in zip((X, X32, y, weights), copies, strict=True):
        assert_array_equal(original, copy)
    pd.testing.assert_frame_equal(frame, frame_copy)
