"""Solver internals: the conjugate-gradient stopping tests."""

import numpy as np

from skmax._solvers import _conjugate_gradient


def _spd(n=60, seed=0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    H = Q @ np.diag(np.logspace(-3, 0, n)) @ Q.T
    return H, rng.standard_normal(n)


def test_conjugate_gradient_stops_on_the_residual_norm():
    H, rhs = _spd()
    d, n = _conjugate_gradient(lambda v: H @ v, rhs, 1e-10, 1000)
    assert np.linalg.norm(rhs - H @ d) <= 1e-10
    assert n < 1000


def test_conjugate_gradient_stops_on_the_largest_residual_entry():
    # The largest-entry test ends the solve as soon as the new gradient would
    # meet the stopping rule, before the (tighter) norm test does.
    H, rhs = _spd()
    _, n_norm = _conjugate_gradient(lambda v: H @ v, rhs, 1e-10, 1000)
    d, n = _conjugate_gradient(lambda v: H @ v, rhs, 1e-10, 1000, max_abs=1e-3)
    residual = rhs - H @ d
    assert np.max(np.abs(residual)) <= 1e-3
    assert n < n_norm
    # One iteration earlier the largest entry was still above the threshold.
    d_before, _ = _conjugate_gradient(lambda v: H @ v, rhs, 1e-10, n - 1)
    assert np.max(np.abs(rhs - H @ d_before)) > 1e-3
