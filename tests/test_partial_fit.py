"""SoftmaxRegression.partial_fit: a multinomial stochastic solver for streams."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
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


def _digits():
    X, y = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(y))
    return StandardScaler().fit_transform(X)[order], y[order]


def _synthetic_200k():
    X, y = make_classification(
        n_samples=200_000,
        n_features=100,
        n_informative=60,
        n_classes=10,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize(
    ("data", "batch"), [(_digits, 64), (_digits, 500), (_synthetic_200k, 1000)]
)
def test_ten_passes_reach_fit_objective(data, batch):
    # The target: ten passes of mini-batches, same C as fit, within 1e-3
    # (relative) of fit's objective. Digits at C = 1 is ill-conditioned (ten
    # passes of SGD, averaged or variance-reduced, stay far from it).
    X, y = data()
    model = _stream(SoftmaxRegression(), X, y, batch, 10, np.unique(y))
    reference = SoftmaxRegression(tol=1e-8).fit(X, y)
    ours, best = _objective(model, X, y, 1.0), _objective(reference, X, y, 1.0)
    assert 0 <= (ours - best) / best <= 1e-3
    assert model.n_iter_[0] == 10 * len(range(0, len(y), batch))


def test_passes_never_increase_the_objective():
    X, y = _digits()
    model = SoftmaxRegression()
    objectives = []
    for _ in range(10):
        _stream(model, X, y, 128, 1, np.arange(10))
        objectives.append(_objective(model, X, y, 1.0))
    # From the third pass on, each pass ends with a line search on the whole
    # data set, whose candidates include the previous model.
    assert np.all(np.diff(objectives[1:]) <= 1e-12 * objectives[1])
    assert objectives[-1] < 0.1 * objectives[1]


@pytest.mark.parametrize(
    "kind", ["weighted", "unpenalised", "binary", "sparse", "float32", "no_intercept"]
)
def test_passes_converge_to_fit(kind):
    X, y = make_classification(
        n_samples=3000,
        n_features=20,
        n_informative=10,
        n_classes=2 if kind == "binary" else 4,
        flip_y=0.1,
        random_state=0,
    )
    X = StandardScaler().fit_transform(X)
    weights = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    params, fit_params = {}, {}
    if kind == "float32":
        X = X.astype(np.float32)
    if kind == "sparse":
        X[np.abs(X) < 0.7] = 0
        X = sp.csr_matrix(X)
    if kind == "unpenalised":
        params["C"] = np.inf
    if kind == "no_intercept":
        params["fit_intercept"] = False
    model = SoftmaxRegression(**params)
    classes = np.unique(y)
    for _ in range(10):
        for start in range(0, len(y), 300):
            batch = slice(start, start + 300)
            if kind == "weighted":
                fit_params = {"sample_weight": weights[batch]}
            model.partial_fit(X[batch], y[batch], classes=classes, **fit_params)
    if kind == "weighted":
        fit_params = {"sample_weight": weights}
    reference = SoftmaxRegression(tol=1e-10, **params)
    reference.fit(X.astype(np.float64), y, **fit_params)
    assert model.coef_.dtype == X.dtype
    tolerance = 1e-4 if kind == "float32" else 1e-8  # float32 coef_ rounding
    assert_allclose(
        model.predict_proba(X), reference.predict_proba(X), atol=tolerance, rtol=0
    )


def test_one_batch_passed_again_is_not_new_data():
    # A repeated batch replaces its earlier visit, so C means what it means in
    # fit: the whole data set as one batch, ten times, is fit itself.
    X, y = _digits()
    model = SoftmaxRegression()
    for _ in range(10):
        model.partial_fit(X, y, classes=np.arange(10))
    reference = SoftmaxRegression(tol=1e-10).fit(X, y)
    assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-6)
    assert model._stream.newton is not None and model._stream.trial is None


def test_a_stream_of_new_data_updates_every_batch():
    X, y = make_classification(
        n_samples=6000, n_features=10, n_classes=3, n_informative=5, random_state=0
    )
    model = SoftmaxRegression()
    for _ in range(3):  # passes over the first 1000 rows: Newton steps per pass
        _stream(model, X[:1000], y[:1000], 250, 1, [0, 1, 2])
    within_pass = model.coef_.copy()
    model.partial_fit(X[:250], y[:250])
    assert_array_equal(model.coef_, within_pass)  # mid-pass: the model waits
    coefs = []
    for start in range(1000, 6000, 250):  # then a stream of new rows
        model.partial_fit(X[start : start + 250], y[start : start + 250])
        coefs.append(model.coef_.copy())
    # Once the new rows outweigh the old, each batch moves the model again.
    assert all(np.any(a != b) for a, b in zip(coefs[-10:-1], coefs[-9:], strict=True))


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
    # Epochs of shuffled blocks: the same blocks, so Newton steps per epoch.
    incremental = dask_ml_wrappers.Incremental(
        SoftmaxRegression(), shuffle_blocks=True, random_state=0
    )
    for _ in range(10):
        incremental.partial_fit(X_dask, y_dask, classes=[0, 1, 2])
    reference = SoftmaxRegression(tol=1e-10).fit(X, y)
    assert_allclose(
        incremental.estimator_.predict_proba(X), reference.predict_proba(X), atol=1e-6
    )


def test_duplicate_batches_in_a_stream_are_copies():
    # One-row batches of discrete features repeat within a pass; a repeat is a
    # revisit only if a whole pass reproduces the data set. Otherwise the
    # stream goes on with averaged SGD, and nothing blows up.
    rng = np.random.default_rng(0)
    X = rng.integers(0, 2, (600, 3)).astype(float)
    y = (X.sum(axis=1) + rng.normal(0, 0.7, 600) > 1.5).astype(int)
    model = SoftmaxRegression()
    for _ in range(5):
        for i in range(600):
            model.partial_fit(X[i : i + 1], y[i : i + 1], classes=[0, 1])
    reference = SoftmaxRegression().fit(X, y)
    assert _objective(model, X, y, 1.0) < 1.1 * _objective(reference, X, y, 1.0)
    assert model.score(X, y) >= reference.score(X, y) - 0.02


def test_a_repeat_that_is_not_a_pass_becomes_a_copy():
    X, y = make_classification(
        n_samples=600, n_features=5, n_classes=3, n_informative=3, random_state=0
    )
    model = SoftmaxRegression()
    # A B A C D E: the second A could start a second pass (with new batches in
    # it), until the new batches outweigh the data set: then A was a copy.
    for start in (0, 100, 0, 200, 300, 400):
        model.partial_fit(X[start : start + 100], y[start : start + 100], [0, 1, 2])
        assert model._stream.trial is not None or start in (0, 100, 400)
    state = model._stream
    assert state.newton is None and state.trial is None
    assert state.n_copies == 6 and state.weight == 600
    assert state.copies.most_common(1)[0][1] == 2


def test_irregular_passes_keep_fit_s_c():
    # A pass that stops a batch short, one with a batch twice and one with a new
    # batch: each restarts or extends the round, and C stays fit's.
    X, y = make_classification(
        n_samples=400, n_features=5, n_classes=3, n_informative=3, random_state=0
    )
    order = "ABC" * 3 + "AB" + "ABCABCAABC" + "ABCD" + "ABCD" * 8
    # Also a short second pass (the trial): "ABCD" + "ABC" + "ABCD" * 10.
    model = SoftmaxRegression(C=0.01)
    for letter in order:
        start = 100 * "ABCD".index(letter)
        model.partial_fit(X[start : start + 100], y[start : start + 100], [0, 1, 2])
    reference = SoftmaxRegression(C=0.01, tol=1e-10).fit(X, y)
    assert model._stream.weight == 400
    assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-8)
    short = SoftmaxRegression(C=0.01)
    for letter in "ABCD" + "ABC" + "ABCD" * 10:
        start = 100 * "ABCD".index(letter)
        short.partial_fit(X[start : start + 100], y[start : start + 100], [0, 1, 2])
    assert short._stream.weight == 400 and short._stream.newton is not None
    assert_allclose(short.predict_proba(X), reference.predict_proba(X), atol=1e-8)


def test_new_data_between_revisits_returns_to_the_stream():
    # Passes over A B C D, then new batches each followed by A: every A restarts
    # the pass, but the new data add up and the stream mode returns.
    X, y = make_classification(
        n_samples=3000, n_features=5, n_classes=3, n_informative=3, random_state=0
    )
    model = SoftmaxRegression()
    for _ in range(3):
        _stream(model, X[:400], y[:400], 100, 1, [0, 1, 2])
    assert model._stream.newton is not None
    for start in range(400, 3000, 100):
        model.partial_fit(X[start : start + 100], y[start : start + 100])
        model.partial_fit(X[:100], y[:100])
    assert model._stream.newton is None


def test_all_zero_rows_without_penalty_stay_finite():
    model = SoftmaxRegression(C=np.inf, fit_intercept=False)
    model.partial_fit(np.zeros((10, 5)), np.arange(10) % 3, classes=[0, 1, 2])
    assert np.all(model.coef_ == 0)


def test_stream_steps_follow_batch_weight():
    # Alternating batches of 200 and of 2 rows with shifted labels: a tiny batch
    # takes a proportionally shorter step, so the stream follows the rows, not
    # the batches (with equal steps the intercept comes out near 0, not 3).
    rng = np.random.default_rng(0)
    model = SoftmaxRegression(C=1e4)
    Xs, ys = [], []
    for i in range(1000):
        X = rng.standard_normal((200 if i % 2 == 0 else 2, 2))
        shift = 1.0 if i % 2 == 0 else -1.0
        y = (X[:, 0] + shift + 0.5 * rng.standard_normal(len(X)) > 0).astype(int)
        model.partial_fit(X, y, classes=[0, 1])
        Xs.append(X)
        ys.append(y)
    X, y = np.vstack(Xs), np.concatenate(ys)
    reference = SoftmaxRegression(C=1e4).fit(X, y)
    assert np.abs(model.predict_proba(X) - reference.predict_proba(X)).max() < 0.05


def test_mixed_dense_and_sparse_batches():
    X, y = make_classification(
        n_samples=1200, n_features=8, n_classes=3, n_informative=5, random_state=0
    )
    model = SoftmaxRegression()
    for _ in range(10):
        for start in range(0, 1200, 300):
            batch = X[start : start + 300]
            batch = sp.csr_matrix(batch) if start % 600 else batch
            model.partial_fit(batch, y[start : start + 300], classes=[0, 1, 2])
    reference = SoftmaxRegression(tol=1e-10).fit(X, y)
    assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-8)


def test_pickled_mid_pass_continues_the_same():
    X, y = _digits()
    batches = [slice(start, start + 300) for start in range(0, len(y), 300)]
    model = SoftmaxRegression()
    for _ in range(3):
        for batch in batches:
            model.partial_fit(X[batch], y[batch], classes=np.arange(10))
    for batch in batches[:3]:
        model.partial_fit(X[batch], y[batch])
    copy = pickle.loads(pickle.dumps(model))
    for fitted in (model, copy):
        for batch in batches[3:] + batches:
            fitted.partial_fit(X[batch], y[batch])
    assert_array_equal(copy.coef_, model.coef_)
    assert_array_equal(copy.intercept_, model.intercept_)


def test_models_too_large_for_newton_stay_with_sgd():
    # 3 classes x 1000 features: over NEWTON_MAX_PARAMS, so no fingerprints and
    # no Newton steps; every batch counts (the docs say C then grows).
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 1000))
    y = rng.integers(0, 3, 300)
    model = SoftmaxRegression()
    for _ in range(3):
        for start in range(0, 300, 100):
            model.partial_fit(X[start : start + 100], y[start : start + 100], [0, 1, 2])
    state = model._stream
    assert not state.tracks_batches and not state.copies
    assert state.newton is None and state.weight == 900


_PROPERTY_DATA = make_classification(
    n_samples=200,
    n_features=4,
    n_classes=3,
    n_informative=3,
    n_redundant=0,
    random_state=1,
)


@settings(max_examples=25, deadline=None)
@given(
    orders=st.lists(st.permutations(range(4)), min_size=8, max_size=8),
    short=st.integers(0, 7),
)
def test_passes_in_any_order_reach_fit(orders, short):
    # Eight passes over four batches, each pass in its own order, one pass cut
    # short by a batch: the data set is the four batches (C is fit's) and the
    # Newton passes reach fit's model.
    X, y = _PROPERTY_DATA
    model = SoftmaxRegression(C=0.1)
    for number, order in enumerate(orders):
        for batch in order[:-1] if number == short else order:
            rows = slice(50 * batch, 50 * batch + 50)
            model.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
    for batch in orders[0]:  # two more full passes
        model.partial_fit(
            X[50 * batch : 50 * batch + 50], y[50 * batch : 50 * batch + 50]
        )
    for batch in orders[1]:
        model.partial_fit(
            X[50 * batch : 50 * batch + 50], y[50 * batch : 50 * batch + 50]
        )
    assert model._stream.weight == 200 and model._stream.newton is not None
    reference = SoftmaxRegression(C=0.1, tol=1e-10).fit(X, y)
    assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-8)
