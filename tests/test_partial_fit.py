"""SoftmaxRegression.partial_fit: a multinomial stochastic solver for streams."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits, make_classification
from sklearn.preprocessing import StandardScaler

from skmax import SoftmaxRegression
from skmax._loss import LinearSoftmaxLoss


def _stream(model, X, y, batch, passes, classes):
    for _ in range(passes):
        for start in range(0, len(y), batch):
            model.partial_fit(
                X[start : start + batch], y[start : start + batch], classes=classes
            )
    return model


def _objective(model, X, y, C):
    loss = LinearSoftmaxLoss(
        X.astype(np.float64),
        y,
        len(model.classes_),
        l2=1 / (C * len(y)),
        fit_intercept=True,
    )
    return loss.loss(loss.pack(model.coef_, model.intercept_))


def test_ten_passes_reach_fit_objective_on_200k_rows():
    X, y = make_classification(
        n_samples=200_000,
        n_features=100,
        n_informative=60,
        n_classes=10,
        random_state=0,
    )
    X = StandardScaler().fit_transform(X)
    model = _stream(SoftmaxRegression(), X, y, 256, 10, np.arange(10))
    # Ten passes are fit's objective on ten copies of the data: C = 10 on one.
    reference = SoftmaxRegression(C=10.0, tol=1e-8).fit(X, y)
    ours, best = _objective(model, X, y, 10.0), _objective(reference, X, y, 10.0)
    assert (ours - best) / best <= 1e-3
    assert model.n_iter_[0] == 10 * len(range(0, len(y), 256))


def test_digits_improves_pass_after_pass():
    # Ill-conditioned (C = 1, near-separable classes): ten passes of SGD do not
    # reach fit's optimum here (see the partial_fit docstring); they must still
    # make steady progress and predict well.
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    X, y = X[order], y[order]
    model = SoftmaxRegression()
    objectives = []
    for passes in range(10):
        _stream(model, X, y, 64, 1, np.arange(10))
        objectives.append(_objective(model, X, y, C=passes + 1.0))
    assert objectives[-1] < objectives[0]
    assert model.score(X, y) > 0.93


def test_first_step_is_one_multinomial_gradient_step():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((50, 4))
    y = rng.integers(0, 3, 50)
    model = SoftmaxRegression(C=2.0).partial_fit(X, y, classes=[0, 1, 2])
    loss = LinearSoftmaxLoss(X, y, 3, l2=1 / (2.0 * 50), fit_intercept=True)
    _, gradient = loss.loss_gradient(np.zeros(loss.n_params))
    lipschitz = 0.5 * np.mean(np.sum(X**2, axis=1) + 1) + 1 / (2.0 * 50)
    W, b = loss.unpack(-gradient / lipschitz)
    # One softmax model over the three classes, not three one-vs-rest models.
    assert_allclose(model.coef_, W - W.mean(axis=0), rtol=1e-12)
    assert_allclose(model.intercept_, b - b.mean(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", ["dense64", "dense32", "sparse", "binary"])
def test_inputs(kind):
    X, y = make_classification(
        n_samples=3000,
        n_features=20,
        n_informative=10,
        n_classes=2 if kind == "binary" else 4,
        random_state=0,
    )
    X = StandardScaler().fit_transform(X)
    if kind == "dense32":
        X = X.astype(np.float32)
    if kind == "sparse":
        X[np.abs(X) < 0.7] = 0
        X = sp.csr_matrix(X)
    classes = np.unique(y)
    model = _stream(SoftmaxRegression(), X, y, 100, 5, classes)
    assert model.coef_.dtype == X.dtype
    assert model.coef_.shape == ((1 if kind == "binary" else 4), 20)
    assert model.score(X, y) > SoftmaxRegression().fit(X, y).score(X, y) - 0.02
    if kind == "sparse":
        dense = _stream(SoftmaxRegression(), X.toarray(), y, 100, 5, classes)
        assert_allclose(model.coef_, dense.coef_, rtol=1e-10, atol=1e-12)


def test_bad_calls_raise():
    X, y = make_classification(
        n_samples=200, n_features=5, n_classes=3, n_informative=3, random_state=0
    )
    with pytest.raises(ValueError, match="classes must be passed"):
        SoftmaxRegression().partial_fit(X, y)
    model = SoftmaxRegression().partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="differ from the classes"):
        model.partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="not in classes"):
        model.partial_fit(X, np.full(200, 7))
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(X[:, :3], y)
    with pytest.raises(ValueError, match="balanced"):
        SoftmaxRegression(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])


def test_partial_fit_after_fit_continues_from_fit():
    X, y = make_classification(
        n_samples=500, n_features=5, n_classes=3, n_informative=3, random_state=0
    )
    model = SoftmaxRegression().fit(X, y)
    coef = model.coef_.copy()
    model.partial_fit(X[:50], y[:50])  # classes known from fit
    assert_array_equal(model.classes_, [0, 1, 2])
    assert np.abs(model.coef_ - coef).max() < 0.1 * np.abs(coef).max()
    model.fit(X, y)  # a new fit ends the stream
    assert_allclose(model.coef_, coef)


def test_dask_ml_incremental():
    dask_ml_wrappers = pytest.importorskip("dask_ml.wrappers")
    da = pytest.importorskip("dask.array")
    X, y = make_classification(
        n_samples=2000, n_features=10, n_classes=3, n_informative=5, random_state=0
    )
    X_dask = da.from_array(X, chunks=(500, 10))
    y_dask = da.from_array(y, chunks=500)
    incremental = dask_ml_wrappers.Incremental(
        SoftmaxRegression(), shuffle_blocks=False
    )
    incremental.fit(X_dask, y_dask, classes=[0, 1, 2])
    reference = SoftmaxRegression()
    for start in range(0, 2000, 500):
        reference.partial_fit(
            X[start : start + 500], y[start : start + 500], classes=[0, 1, 2]
        )
    assert_allclose(incremental.estimator_.coef_, reference.coef_, rtol=1e-12)
