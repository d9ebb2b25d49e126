"""Fitting on Dask arrays on a LocalCluster of process workers started here."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification

from skmax import SoftmaxRegression, TemperatureScaler

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def _data(n=6000, p=12, k=4, dtype=np.float64, seed=0):
    X, y = make_classification(
        n_samples=n, n_features=p, n_informative=8, n_classes=k, random_state=seed
    )
    return X.astype(dtype), y


def _dask(X, y, *more, chunk=1000):
    arrays = [
        da.from_array(X, chunks=(chunk, X.shape[1])),
        da.from_array(y, chunks=chunk),
    ]
    return [*arrays, *(da.from_array(m, chunks=chunk) for m in more)]


@pytest.mark.parametrize("kind", ["dense", "float32", "weighted", "binary", "sparse"])
def test_softmax_regression_on_dask_equals_in_memory(client, kind):
    X, y = _data(
        k=2 if kind == "binary" else 4,
        dtype=np.float32 if kind == "float32" else np.float64,
    )
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    fit_params = {"sample_weight": weights} if kind == "weighted" else {}
    if kind == "sparse":
        X[np.abs(X) < 0.8] = 0.0
    tol = 1e-7 if kind == "float32" else 1e-8
    reference = SoftmaxRegression(C=0.5, tol=tol).fit(X, y, **fit_params)
    if kind == "sparse":
        X_sparse = sp.csr_matrix(X)
        X_dask = da.from_array(X_sparse, chunks=(1000, X.shape[1]), asarray=False)
        y_dask = da.from_array(y, chunks=1000)
    else:
        X_dask, y_dask = _dask(X, y)
    if kind == "weighted":
        fit_params = {"sample_weight": da.from_array(weights, chunks=1000)}
    model = SoftmaxRegression(C=0.5, tol=tol).fit(X_dask, y_dask, **fit_params)
    assert model.coef_.dtype == X.dtype
    proba = model.predict_proba(X_dask)
    assert isinstance(proba, da.Array)  # lazy
    assert_allclose(proba.compute(), reference.predict_proba(X), atol=1e-6)
    assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-6)
    assert_array_equal(model.predict(X_dask).compute(), model.predict(X))
    decision = model.decision_function(X_dask)
    assert decision.shape == reference.decision_function(X).shape
    assert_allclose(decision.compute(), model.decision_function(X))


def test_class_weight_on_dask(client):
    X, y = _data()
    X_dask, y_dask = _dask(X, y)
    for class_weight in ["balanced", {0: 1.0, 1: 2.0, 2: 0.5, 3: 1.0}]:
        reference = SoftmaxRegression(class_weight=class_weight, tol=1e-8).fit(X, y)
        model = SoftmaxRegression(class_weight=class_weight, tol=1e-8)
        model.fit(X_dask, y_dask)
        assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-6)


def test_bad_dask_input_raises(client):
    X, y = _data()
    X[3, 2] = np.nan
    X_dask, y_dask = _dask(X, y)
    with pytest.raises(ValueError, match="NaN"):
        SoftmaxRegression().fit(X_dask, y_dask)
    X_dask, y_dask = _dask(*_data())
    with pytest.raises(ValueError, match="1 class"):
        SoftmaxRegression().fit(X_dask, da.zeros_like(y_dask))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_temperature_scaler_on_dask_equals_in_memory(client, dtype):
    rng = np.random.default_rng(1)
    logits = (6 * rng.standard_normal((8000, 5))).astype(dtype)
    y = np.argmax(logits / 3 + rng.gumbel(size=logits.shape), axis=1)
    weights = rng.uniform(0.5, 2.0, len(y))
    reference = TemperatureScaler().fit(logits, y, sample_weight=weights)
    logits_dask, y_dask, weights_dask = _dask(logits, y, weights, chunk=1500)
    scaler = TemperatureScaler().fit(logits_dask, y_dask, sample_weight=weights_dask)
    assert_allclose(scaler.temperature_, reference.temperature_, rtol=1e-10)
    proba = scaler.predict_proba(logits_dask)
    assert isinstance(proba, da.Array)
    assert_allclose(proba.compute(), reference.predict_proba(logits), rtol=1e-6)


def test_temperature_scaler_on_dask_binary_scores(client):
    rng = np.random.default_rng(2)
    x = 4 * rng.standard_normal(5000)
    y = (rng.random(5000) < 1 / (1 + np.exp(-x / 2))).astype(int)
    reference = TemperatureScaler().fit(x, y)
    scaler = TemperatureScaler().fit(
        da.from_array(x, chunks=1000), da.from_array(y, chunks=1000)
    )
    assert_allclose(scaler.temperature_, reference.temperature_, rtol=1e-10)
    decision = scaler.decision_function(da.from_array(x, chunks=1000))
    assert_allclose(decision.compute(), reference.decision_function(x))


def test_standardised_data_on_dask(client):
    # Equal feature scales: no preconditioner, decided once for all chunks.
    rng = np.random.default_rng(3)
    X = rng.standard_normal((6000, 8))
    y = np.argmax(X[:, :4] + rng.gumbel(size=(6000, 4)), axis=1)
    reference = SoftmaxRegression(tol=1e-8).fit(X, y)
    model = SoftmaxRegression(tol=1e-8).fit(*_dask(X, y))
    assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-6)
