"""TemperatureScaler: exactness, agreement with scikit-learn, estimators, bad input."""

import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmax import SoftmaxRegression, TemperatureScaler
from skmax.metrics import expected_calibration_error
from skmax.special import log_softmax, softmax

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "calibration"


def _overconfident(n=20_000, k=10, T=3.0, seed=0, dtype=np.float64):
    """Logits whose labels follow softmax(logits / T): the model is T-overconfident."""
    rng = np.random.default_rng(seed)
    logits = 2.0 * T * rng.standard_normal((n, k))
    gumbel = rng.gumbel(size=(n, k))
    y = np.argmax(logits / T + gumbel, axis=1)  # a sample of softmax(logits / T)
    return logits.astype(dtype), y


def _nll(logits, y, T, weights=None):
    losses = -log_softmax(np.asarray(logits, dtype=np.float64) / T)[
        np.arange(len(y)), y
    ]
    return float(np.average(losses, weights=weights))


class _Passthrough(ClassifierMixin, BaseEstimator):
    """A "fitted model" whose decision_function returns its input: raw logits."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.n_features_in_ = np.shape(X)[1]
        return self

    def decision_function(self, X):
        return np.asarray(X)

    def predict(self, X):
        return self.classes_[np.argmax(X, axis=1)]


def _sklearn_beta(logits, y):
    frozen = FrozenEstimator(_Passthrough().fit(logits, y))
    calibrated = CalibratedClassifierCV(frozen, method="temperature").fit(logits, y)
    return float(calibrated.calibrated_classifiers_[0].calibrators[0].beta_)


# ----------------------------------------------------------------- exactness


def test_known_temperature_is_recovered_exactly():
    # Every (row, class) pair weighted by softmax(logits / 3): the weighted NLL's
    # score equation holds exactly at T = 3, without sampling noise.
    rng = np.random.default_rng(0)
    n, k = 2000, 7
    logits = 4 * rng.standard_normal((n, k))
    weights = softmax(logits / 3.0).ravel()
    X = np.repeat(logits, k, axis=0)
    y = np.tile(np.arange(k), n)
    scaler = TemperatureScaler().fit(X, y, sample_weight=weights)
    assert abs(scaler.temperature_ - 3.0) <= 1e-4 * 3.0
    assert_allclose(scaler.temperature_, 3.0, rtol=1e-10)


def test_sampled_overconfident_logits_give_their_temperature():
    logits, y = _overconfident(n=50_000)
    T = TemperatureScaler().fit(logits, y).temperature_
    # The MLE's standard error here is ~0.01 (1 / sqrt(n * Fisher information)).
    assert abs(T - 3.0) < 0.05


def test_equals_scikit_learn_temperature_scaling():
    logits, y = _overconfident(n=5000, k=6, T=2.0)
    ours = 1 / TemperatureScaler().fit(logits, y).temperature_
    assert_allclose(ours, _sklearn_beta(logits, y), rtol=1e-6)


@pytest.mark.parametrize("T", [0.3, 1.0, 3.0])
def test_float32_gives_the_float64_temperature(T):
    logits, y = _overconfident(n=20_000, k=10, T=T)
    T64 = TemperatureScaler().fit(logits, y).temperature_
    scaler32 = TemperatureScaler().fit(logits.astype(np.float32), y)
    # netcal returns T = 1 on float32 input without a word; a float32 fit must move.
    assert_allclose(scaler32.temperature_, T64, rtol=1e-4)
    assert scaler32.predict_proba(logits.astype(np.float32)).dtype == np.float32


def test_minimises_the_nll():
    logits, y = _overconfident(n=3000, k=5)
    T = TemperatureScaler().fit(logits, y).temperature_
    best = _nll(logits, y, T)
    for other in [T * (1 + 1e-3), T * (1 - 1e-3), 1.0, 2 * T, T / 2]:
        assert best <= _nll(logits, y, other)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(2, 6),
    st.floats(0.1, 10.0),
    st.integers(0, 2**16),
)
def test_calibration_set_nll_never_increases(k, scale, seed):
    rng = np.random.default_rng(seed)
    logits = scale * rng.standard_normal((200, k))
    y = rng.integers(0, k, 200)
    y[:k] = np.arange(k)  # every class present
    scaler = _fit_quietly(TemperatureScaler(), logits, y)
    assert _nll(logits, y, scaler.temperature_) <= _nll(logits, y, 1.0) + 1e-12


def _fit_quietly(scaler, *args, **kwargs):
    with warnings.catch_warnings():
        # Random labels may carry no signal: T then stops at its upper bound.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return scaler.fit(*args, **kwargs)


def test_unpenalised_model_on_its_training_data_has_temperature_one():
    # At the unpenalised optimum the gradient in W (and b) vanishes, and with it
    # L'(beta = 1) = sum_i (E_p[z_i] - z_{i,y_i}): T = 1 exactly.
    X, y = make_classification(
        n_samples=2000,
        n_features=6,
        n_informative=4,
        n_classes=3,
        flip_y=0.2,
        random_state=0,
    )
    model = SoftmaxRegression(C=np.inf, tol=1e-12, max_iter=1000).fit(X, y)
    scaler = TemperatureScaler(FrozenEstimator(model)).fit(X, y)
    assert_allclose(scaler.temperature_, 1.0, rtol=1e-8)


def test_integer_weights_equal_repeated_rows():
    logits, y = _overconfident(n=3000, k=4)
    weights = np.random.default_rng(1).integers(0, 4, len(y))
    weighted = TemperatureScaler().fit(logits, y, sample_weight=weights)
    repeated = TemperatureScaler().fit(
        np.repeat(logits, weights, axis=0), np.repeat(y, weights)
    )
    assert_allclose(weighted.temperature_, repeated.temperature_, rtol=1e-12)


def test_binary_decision_values():
    rng = np.random.default_rng(2)
    x = 5 * rng.standard_normal(4000)
    y = (rng.random(4000) < 1 / (1 + np.exp(-x / 2.5))).astype(int)
    one_d = TemperatureScaler().fit(x, y)
    column = TemperatureScaler().fit(x[:, None], y)
    assert_allclose(one_d.temperature_, column.temperature_, rtol=1e-14)
    assert_allclose(one_d.predict_proba(x), column.predict_proba(x[:, None]))
    T = one_d.temperature_
    assert_allclose(one_d.predict_proba(x)[:, 1], 1 / (1 + np.exp(-x / T)), rtol=1e-12)
    assert_allclose(one_d.decision_function(x), x / T, rtol=1e-15)
    # scikit-learn calibrates (-x, x): sigmoid(2 x / T_sklearn), so T_sk = 2 T.
    beta_sklearn = _sklearn_beta(x[:, None], y)
    assert_allclose(1 / beta_sklearn, 2 * T, rtol=1e-6)


def test_probabilities_with_exact_zeros_give_a_finite_temperature():
    logits, y = _overconfident(n=3000, k=5, T=2.0, seed=3)
    proba = softmax(logits)
    proba[proba < 1e-3] = 0.0  # exact zeros, as in the 20 Newsgroups file
    proba /= proba.sum(axis=1, keepdims=True)
    assert np.sum(proba[np.arange(len(y)), y] == 0) > 10  # true classes with p = 0
    scaler = TemperatureScaler(input_type="probabilities").fit(proba, y)
    assert np.isfinite(scaler.temperature_) and scaler.temperature_ > 1
    calibrated = scaler.predict_proba(proba)
    assert np.all(np.isfinite(calibrated))
    assert np.all(np.isfinite(scaler.predict_log_proba(proba)))


def test_probabilities_and_their_logits_give_the_same_temperature():
    logits, y = _overconfident(n=5000, k=5)
    from_logits = TemperatureScaler().fit(logits, y)
    from_proba = TemperatureScaler(input_type="probabilities").fit(softmax(logits), y)
    assert_allclose(from_proba.temperature_, from_logits.temperature_, rtol=1e-9)


# --------------------------------------------------------- what T changes


def test_predictions_accuracy_and_binary_auc_are_unchanged():
    logits, y = _overconfident(n=4000, k=5)
    scaler = TemperatureScaler().fit(logits, y)
    assert_array_equal(scaler.predict(logits), np.argmax(logits, axis=1))
    proba = scaler.predict_proba(logits)
    assert_array_equal(np.argmax(proba, axis=1), np.argmax(logits, axis=1))
    x = logits[:, 1] - logits[:, 0]
    binary_y = (y == 1).astype(int)
    binary = TemperatureScaler().fit(x, binary_y)
    assert roc_auc_score(binary_y, binary.predict_proba(x)[:, 1]) == roc_auc_score(
        binary_y, x
    )


def test_methods_are_exact_functions_of_the_scaled_logits():
    logits, y = _overconfident(n=2000, k=4)
    scaler = TemperatureScaler().fit(logits, y)
    T = scaler.temperature_
    far = logits[:3] * 1e3  # log(softmax) would underflow to -inf here
    assert_allclose(scaler.decision_function(far), far / T)
    assert_allclose(scaler.predict_log_proba(far), log_softmax(far / T), rtol=1e-15)
    assert np.all(np.isfinite(scaler.predict_log_proba(far)))
    assert_allclose(scaler.predict_proba(far), softmax(far / T), rtol=1e-15)


def test_ece_improves_on_overconfident_logits():
    logits, y = _overconfident(n=20_000, k=10)
    fit, test = slice(0, 10_000), slice(10_000, None)
    scaler = TemperatureScaler().fit(logits[fit], y[fit])
    before = expected_calibration_error(y[test], softmax(logits[test]), n_bins=15)
    after = expected_calibration_error(y[test], scaler.predict_proba(logits[test]))
    assert after < before / 3


# ------------------------------------------------------------- estimators


def _digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_frozen_estimator_is_used_as_is():
    X, y = _digits()
    model = SoftmaxRegression(C=100.0).fit(X[:1000], y[:1000])
    coef = model.coef_.copy()
    scaler = TemperatureScaler(FrozenEstimator(model)).fit(X[1000:], y[1000:])
    assert scaler.estimator_.estimator is model
    assert_array_equal(model.coef_, coef)
    expected = TemperatureScaler().fit(model.decision_function(X[1000:]), y[1000:])
    assert_allclose(scaler.temperature_, expected.temperature_, rtol=1e-12)
    assert_allclose(
        scaler.predict_proba(X[:5]),
        softmax(model.decision_function(X[:5]) / scaler.temperature_),
    )


def test_unfitted_estimator_is_cross_fitted_then_refitted():
    X, y = _digits()
    cv = StratifiedKFold(3)
    scaler = TemperatureScaler(SoftmaxRegression(C=10.0), cv=cv).fit(X, y)
    out_of_fold = cross_val_predict(
        SoftmaxRegression(C=10.0), X, y, cv=cv, method="decision_function"
    )
    expected = TemperatureScaler().fit(out_of_fold, y).temperature_
    assert_allclose(scaler.temperature_, expected, rtol=1e-12)
    refit = SoftmaxRegression(C=10.0).fit(X, y)
    assert_allclose(scaler.estimator_.coef_, refit.coef_)


def test_decision_function_and_log_predict_proba_give_the_same_temperature():
    # log p differs from the logits by a per-row constant, which T ignores.
    X, y = _digits()
    model = FrozenEstimator(SoftmaxRegression(C=100.0).fit(X[:900], y[:900]))
    via_logits = TemperatureScaler(model, response_method="decision_function")
    via_proba = TemperatureScaler(model, response_method="predict_proba")
    via_logits.fit(X[900:], y[900:])
    via_proba.fit(X[900:], y[900:])
    assert via_proba.response_method_ == "predict_proba"
    assert_allclose(via_proba.temperature_, via_logits.temperature_, rtol=1e-7)


def test_pipeline_grid_search_clone_and_pickle():
    X, y = load_digits(return_X_y=True)
    pipeline = make_pipeline(
        StandardScaler(), TemperatureScaler(SoftmaxRegression(), cv=3)
    )
    search = GridSearchCV(
        pipeline,
        {"temperaturescaler__estimator__C": [0.1, 10.0]},
        scoring="neg_log_loss",
        cv=3,
    ).fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_
    restored = pickle.loads(pickle.dumps(best))
    assert_array_equal(restored.predict_proba(X), best.predict_proba(X))
    cloned = clone(pipeline)
    assert cloned.get_params()["temperaturescaler__cv"] == 3
    assert not hasattr(cloned[-1], "temperature_")


class _RecordsWeights(ClassifierMixin, BaseEstimator):
    """SoftmaxRegression that remembers the weights its fit received."""

    def fit(self, X, y, sample_weight=None):
        self.received_ = sample_weight
        self.model_ = SoftmaxRegression().fit(X, y, sample_weight=sample_weight)
        self.classes_ = self.model_.classes_
        return self

    def decision_function(self, X):
        return self.model_.decision_function(X)

    def predict(self, X):
        return self.model_.predict(X)


def test_sample_weight_reaches_the_estimator():
    X, y = _digits()
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    scaler = TemperatureScaler(_RecordsWeights(), cv=3).fit(X, y, sample_weight=weights)
    assert_array_equal(scaler.estimator_.received_, weights)
    with config_context(enable_metadata_routing=True):
        requested = _RecordsWeights().set_fit_request(sample_weight=True)
        scaler = TemperatureScaler(requested, cv=3).fit(X, y, sample_weight=weights)
        assert_array_equal(scaler.estimator_.received_, weights)
        not_requested = _RecordsWeights().set_fit_request(sample_weight=False)
        scaler = TemperatureScaler(not_requested, cv=3)
        scaler.fit(X, y, sample_weight=weights)
        assert scaler.estimator_.received_ is None


# ----------------------------------------------------------------- bounds


def test_separating_scores_warn_and_stop_at_the_lower_bound():
    rng = np.random.default_rng(4)
    logits = rng.standard_normal((300, 3))
    y = np.argmax(logits, axis=1)
    with pytest.warns(ConvergenceWarning, match="T -> 0"):
        scaler = TemperatureScaler(temperature_bounds=(1e-3, 1e3)).fit(logits, y)
    assert scaler.temperature_ == 1e-3


def test_uninformative_scores_warn_and_stop_at_the_upper_bound():
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((300, 3))
    y = np.argmin(logits, axis=1)  # anti-informative: L'(0) > 0
    with pytest.warns(ConvergenceWarning, match="no information"):
        scaler = TemperatureScaler(temperature_bounds=(1e-3, 1e3)).fit(logits, y)
    assert scaler.temperature_ == 1e3


def test_nearly_separable_scores_converge_to_a_small_temperature():
    rng = np.random.default_rng(6)
    logits = 3 * rng.standard_normal((1000, 3))
    y = np.argmax(logits, axis=1)
    y[0] = (y[0] + 1) % 3  # one mistake: a finite (small) optimum
    scaler = TemperatureScaler().fit(logits, y)
    assert 1e-4 < scaler.temperature_ < 1.0
    T = scaler.temperature_
    assert _nll(logits, y, T) <= min(
        _nll(logits, y, T * 1.01), _nll(logits, y, T / 1.01)
    )


# -------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "X", "y", "match"),
    [
        ({}, [[0.0, np.nan], [1.0, 2.0]], [0, 1], "NaN"),
        ({}, [[0.0, np.inf], [1.0, 2.0]], [0, 1], "infinity"),
        ({"classes": [0, 1]}, [[0.0, 1.0], [1.0, 2.0]], [0, 2], "not in classes_"),
        ({}, [[0.0, 1.0, 2.0], [1.0, 2.0, 0.0]], [0, 1], "3 columns of scores"),
        ({}, [[0.0, 1.0], [1.0, 2.0]], [1, 1], "1 class"),
        (
            {"input_type": "probabilities"},
            [[0.2, 0.7], [0.5, 0.5]],
            [0, 1],
            "sums to",
        ),
        ({"input_type": "probabilities"}, [[-0.2, 1.2], [0.5, 0.5]], [0, 1], "outside"),
        ({"temperature_bounds": (0, 10)}, [[0.0, 1.0], [1.0, 0.0]], [0, 1], "bounds"),
        ({}, [[0.0, 1.0], [1.0, 0.0]], [0], "inconsistent"),
    ],
    ids=[
        "nan",
        "inf",
        "unknown-label",
        "width",
        "one-class",
        "not-summing",
        "outside-01",
        "bounds",
        "lengths",
    ],
)
def test_bad_fit_input_raises(kwargs, X, y, match):
    with pytest.raises(ValueError, match=match):
        TemperatureScaler(**kwargs).fit(np.array(X), np.array(y))


@pytest.mark.parametrize("T", [0.0, -1.0, np.inf, np.nan, "2"])
def test_bad_temperature_at_predict_time_raises(T):
    logits, y = _overconfident(n=500, k=3)
    scaler = TemperatureScaler().fit(logits, y)
    scaler.temperature_ = T
    for method in ("predict_proba", "predict_log_proba", "decision_function"):
        with pytest.raises(ValueError, match="temperature_ must be a finite number"):
            getattr(scaler, method)(logits)


def test_predict_checks_the_score_width_and_fitting():
    logits, y = _overconfident(n=500, k=3)
    with pytest.raises(Exception, match="not fitted"):
        TemperatureScaler().predict_proba(logits)
    scaler = TemperatureScaler().fit(logits, y)
    with pytest.raises(ValueError, match="fitted on 3 columns"):
        scaler.predict_proba(logits[:, :2])


def test_user_arrays_are_never_modified():
    logits, y = _overconfident(n=1000, k=4)
    weights = np.random.default_rng(0).uniform(0.5, 2, len(y))
    proba = softmax(logits)
    copies = [a.copy() for a in (logits, y, weights, proba)]
    scaler = TemperatureScaler().fit(logits, y, sample_weight=weights)
    scaler.predict_proba(logits)
    scaler.predict_log_proba(logits)
    TemperatureScaler(input_type="probabilities").fit(proba, y).predict_proba(proba)
    for original, copy in zip((logits, y, weights, proba), copies, strict=True):
        assert_array_equal(original, copy)


# --------------------------------------------------------------- real data


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is not available")
def test_densenet_cifar10_reference_figures():
    data = np.load(DATA / "densenet40_cifar10_logits.npz")
    scaler = TemperatureScaler().fit(data["val_logits"], data["val_labels"])
    assert f"{scaler.temperature_:.5f}" == "2.88256"
    logits, y = data["test_logits"], data["test_labels"]
    assert round(_nll(logits, y, 1.0), 4) == 0.4301
    assert round(_nll(logits, y, scaler.temperature_), 4) == 0.2251
    before = expected_calibration_error(y, softmax(logits), n_bins=15)
    after = expected_calibration_error(y, scaler.predict_proba(logits), n_bins=15)
    assert (round(before, 4), round(after, 4)) == (0.0550, 0.0095)
    assert np.mean(scaler.predict(logits) == y) == pytest.approx(0.9242)


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is not available")
def test_20_newsgroups_probabilities_with_zeros():
    data = np.load(DATA / "cleanlab_20news_oof_probs.npz")
    proba, y = data["probabilities"], data["labels"]
    order = np.random.default_rng(0).permutation(len(y))
    fit, test = order[: len(y) // 2], order[len(y) // 2 :]
    scaler = TemperatureScaler(input_type="probabilities").fit(proba[fit], y[fit])
    assert np.isfinite(scaler.temperature_) and scaler.temperature_ != 1.0
    calibrated = scaler.predict_log_proba(proba[test])
    assert np.all(np.isfinite(calibrated))
    nll_before = -np.mean(
        np.log(np.maximum(proba[test][np.arange(len(test)), y[test]], 1e-300))
    )
    nll_after = -np.mean(calibrated[np.arange(len(test)), y[test]])
    assert nll_after < nll_before


def test_float32_precision_probabilities_stored_as_float64_are_accepted():
    # Real model outputs (the cleanlab files) sum to 1 only to ~1e-6.
    logits, y = _overconfident(n=2000, k=5)
    proba = softmax(logits.astype(np.float32)).astype(np.float64)
    proba[:, 0] += 2e-6 * (proba[:, 0] < 0.5)
    scaler = TemperatureScaler(input_type="probabilities").fit(proba, y)
    assert np.isfinite(scaler.temperature_)
