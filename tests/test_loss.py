"""The numeric core of SoftmaxRegression against finite differences and scikit-learn."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss
from sklearn.linear_model._linear_loss import LinearModelLoss
from threadpoolctl import threadpool_limits

from skmax import _loss
from skmax._loss import LinearSoftmaxLoss

COMBINATIONS = list(
    itertools.product(
        [2, 4],  # binomial and multinomial
        [True, False],  # fit_intercept
        [False, True],  # sample weights
        [np.float64, np.float32],
        [False, True],  # sparse
    )
)
IDS = [
    f"k{k}-{'icpt' if fi else 'noicpt'}-{'sw' if w else 'nosw'}-"
    f"{np.dtype(dt).name}-{'sparse' if s else 'dense'}"
    for k, fi, w, dt, s in COMBINATIONS
]


def _problem(n_classes, fit_intercept, weighted, dtype, sparse, n=300, p=6):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, p))
    X[rng.random((n, p)) < 0.3] = 0.0
    X = X.astype(dtype)
    if sparse:
        X = sp.csr_matrix(X)
    y = rng.integers(0, n_classes, n)
    weights = rng.uniform(0.1, 3.0, n) if weighted else None
    loss = LinearSoftmaxLoss(
        X, y, n_classes, sample_weight=weights, l2=0.05, fit_intercept=fit_intercept
    )
    theta = 0.5 * rng.standard_normal(loss.n_params)
    return loss, theta, X, y, weights


def _central_difference(func, theta, direction, h):
    # Five-point stencil: error O(h^4).
    return (
        -func(theta + 2 * h * direction)
        + 8 * func(theta + h * direction)
        - 8 * func(theta - h * direction)
        + func(theta - 2 * h * direction)
    ) / (12 * h)


@pytest.mark.parametrize(
    ("k", "fit_intercept", "weighted", "dtype", "sparse"), COMBINATIONS, ids=IDS
)
def test_gradient_matches_finite_differences(k, fit_intercept, weighted, dtype, sparse):
    loss, theta, *_ = _problem(k, fit_intercept, weighted, dtype, sparse)
    _, gradient = loss.loss_gradient(theta)
    rng = np.random.default_rng(1)
    # float32 products carry ~1e-7 relative error: a larger step, a looser check.
    h, rtol = (1e-3, 1e-7) if dtype == np.float64 else (3e-2, 2e-3)
    for _ in range(3):
        direction = rng.standard_normal(theta.size)
        numeric = _central_difference(loss.loss, theta, direction, h)
        assert_allclose(gradient @ direction, numeric, rtol=rtol, atol=1e-9)


@pytest.mark.parametrize(
    ("k", "fit_intercept", "weighted", "dtype", "sparse"), COMBINATIONS, ids=IDS
)
def test_hessp_matches_finite_differences(k, fit_intercept, weighted, dtype, sparse):
    loss, theta, *_ = _problem(k, fit_intercept, weighted, dtype, sparse)
    _, gradient, hessp, diagonal = loss.loss_gradient_hessp(theta)
    rng = np.random.default_rng(2)
    h, rtol = (1e-3, 1e-6) if dtype == np.float64 else (3e-2, 5e-3)
    for _ in range(3):
        direction = rng.standard_normal(theta.size)
        numeric = _central_difference(
            lambda t: loss.loss_gradient(t)[1], theta, direction, h
        )
        assert_allclose(hessp(direction), numeric, rtol=rtol, atol=1e-6)
    # The Hessian is symmetric: u.Hv == v.Hu.
    u, v = rng.standard_normal((2, theta.size))
    assert_allclose(
        u @ hessp(v), v @ hessp(u), rtol=1e-5 if dtype == np.float32 else 1e-12
    )


@pytest.mark.parametrize(
    ("k", "fit_intercept", "weighted", "dtype", "sparse"), COMBINATIONS, ids=IDS
)
def test_dense_hessian_equals_hessian_products(
    k, fit_intercept, weighted, dtype, sparse
):
    # The dense Hessian (partial_fit's Newton steps) against the products that
    # the finite-difference test above checks: column by column.
    loss, theta, *_ = _problem(k, fit_intercept, weighted, dtype, sparse, n=120, p=4)
    _, _, hessp, _ = loss.loss_gradient_hessp(theta)
    products = np.column_stack([hessp(e) for e in np.eye(theta.size)])
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert_allclose(loss.hessian(theta), products, rtol=rtol, atol=rtol * 1e-2)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_hessian_diagonal(fit_intercept, weighted):
    loss, theta, *_ = _problem(2, fit_intercept, weighted, np.float64, False, p=4)
    loss.precondition = True
    _, _, hessp, diagonal = loss.loss_gradient_hessp(theta)
    exact = np.array([hessp(e)[i] for i, e in enumerate(np.eye(theta.size))])
    assert_allclose(diagonal, exact, rtol=1e-12)
    # Multinomial: the exact per-class diagonal too, with and without penalty.
    loss, theta, *_ = _problem(3, fit_intercept, weighted, np.float64, False, p=4)
    for l2 in (loss.l2, 0.0):
        loss.l2 = l2
        loss.precondition = True
        _, _, hessp, diagonal = loss.loss_gradient_hessp(theta)
        exact = np.array([hessp(e)[i] for i, e in enumerate(np.eye(theta.size))])
        assert_allclose(diagonal, exact, rtol=1e-12)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_centre_classes_projects_out_the_flat_direction(fit_intercept):
    loss, theta, *_ = _problem(3, fit_intercept, False, np.float64, False, p=4)
    loss.l2 = 0.0
    _, gradient, hessp, _ = loss.loss_gradient_hessp(theta)
    centred = loss.centre_classes(theta)
    W, b = loss.unpack(centred)
    assert_allclose(W.sum(axis=0), 0.0, atol=1e-14)
    if fit_intercept:
        assert_allclose(b.sum(), 0.0, atol=1e-14)
    assert_allclose(loss.centre_classes(centred), centred)  # a projection
    # The removed part is the null space: the loss and H v do not see it.
    assert_allclose(loss.loss(centred), loss.loss(theta), rtol=1e-12)
    assert_allclose(hessp(theta - centred), 0.0, atol=1e-12)
    # Gradients and Hessian products already lie in the range.
    assert_allclose(loss.centre_classes(gradient), gradient, atol=1e-15)
    v = np.random.default_rng(3).standard_normal(theta.size)
    assert_allclose(loss.centre_classes(hessp(v)), hessp(v), atol=1e-14)


@pytest.mark.parametrize("k", [2, 4])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_equals_scikit_learn_linear_loss(k, fit_intercept, weighted):
    loss, theta, X, y, weights = _problem(k, fit_intercept, weighted, np.float64, False)
    W, b = loss.unpack(theta)
    if k == 2:
        reference = LinearModelLoss(HalfBinomialLoss(), fit_intercept=fit_intercept)
        coef = theta
    else:
        reference = LinearModelLoss(
            HalfMultinomialLoss(n_classes=k), fit_intercept=fit_intercept
        )
        coef = (np.column_stack([W, b]) if fit_intercept else W).ravel(order="F")
    value, gradient = reference.loss_gradient(coef, X, y.astype(float), weights, 0.05)
    if k > 2:
        gradient = gradient.reshape(k, -1, order="F")
        gradient = np.concatenate(
            [gradient[:, : X.shape[1]].ravel(), gradient[:, X.shape[1] :].ravel()]
        )
    ours_value, ours_gradient = loss.loss_gradient(theta)
    assert_allclose(ours_value, value, rtol=1e-14)
    assert_allclose(ours_gradient, gradient, rtol=1e-12, atol=1e-16)


def test_blocks_and_threads_do_not_change_the_result(monkeypatch):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((5000, 30))
    y = rng.integers(0, 5, 5000)
    loss = LinearSoftmaxLoss(X, y, 5, l2=1e-3, fit_intercept=True)
    theta = rng.standard_normal(loss.n_params) * 0.1
    value, gradient = loss.loss_gradient(theta)
    with threadpool_limits(limits=1):
        serial = loss.loss_gradient(theta)
    monkeypatch.setattr(_loss, "_BLOCK_BYTES", 1 << 30)  # a single block
    single = LinearSoftmaxLoss(X, y, 5, l2=1e-3, fit_intercept=True)
    for other_value, other_gradient in [serial, single.loss_gradient(theta)]:
        assert_allclose(other_value, value, rtol=1e-14)
        assert_allclose(other_gradient, gradient, rtol=1e-12, atol=1e-17)


def test_float32_accumulates_in_float64():
    # One million identical rows: a float32 running sum would be off by ~1e-2
    # relative; float64 accumulation of float32 terms keeps ~1e-7.
    n = 1_000_000
    X = np.ones((n, 1), dtype=np.float32)
    y = np.zeros(n, dtype=np.intp)
    loss = LinearSoftmaxLoss(X, y, 3, l2=0.0, fit_intercept=False)
    theta = np.array([0.3, -0.2, 0.1])
    expected, expected_gradient = LinearSoftmaxLoss(
        X[:10].astype(np.float64), y[:10], 3, l2=0.0, fit_intercept=False
    ).loss_gradient(theta)
    value, gradient = loss.loss_gradient(theta)
    assert_allclose(value, expected, rtol=1e-6)
    assert_allclose(gradient, expected_gradient, rtol=1e-5)


def test_extreme_logits_give_finite_loss_and_gradient():
    X = np.array([[1e3], [-1e3], [0.0]])
    y = np.array([0, 1, 2])
    loss = LinearSoftmaxLoss(X, y, 3, l2=0.0, fit_intercept=False)
    value, gradient = loss.loss_gradient(np.array([5.0, -5.0, 0.0]))
    # Row 0: logits (5000, -5000, 0), true class 0 -> loss ~ 0. Row 1: logits
    # (-5000, 5000, 0), true class 1 -> ~ 0. Row 2: logits 0 -> log 3.
    assert np.isfinite(value) and np.all(np.isfinite(gradient))
    assert_allclose(value, np.log(3) / 3, rtol=1e-12)


def test_preconditioning_only_where_feature_scales_differ():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((200, 4))
    y = rng.integers(0, 3, 200)
    standardised = LinearSoftmaxLoss(X, y, 3, l2=0.1, fit_intercept=True)
    assert not standardised.precondition
    assert standardised.loss_gradient_hessp(np.zeros(15))[3] is None
    X[:, 0] *= 10.0  # one column 100 times the others' mean square
    assert LinearSoftmaxLoss(X, y, 3, l2=0.1, fit_intercept=True).precondition
    sparse = LinearSoftmaxLoss(sp.csr_matrix(X), y, 3, l2=0.1, fit_intercept=True)
    assert sparse.precondition
