"""Tests of skmax.special: agreement with SciPy, extreme values, dtypes, properties."""

import tracemalloc

import numpy as np
import pandas as pd
import pytest
import scipy.special
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from threadpoolctl import threadpool_limits

from skmax import log_softmax, logsumexp, softmax
from skmax import special as special_module

FUNCTIONS = [softmax, log_softmax, logsumexp]
SCIPY = {
    softmax: scipy.special.softmax,
    log_softmax: scipy.special.log_softmax,
    logsumexp: scipy.special.logsumexp,
}
RTOL = {np.float64: 1e-14, np.float32: 1e-6}


def _names(functions):
    return [f.__name__ for f in functions]


# ------------------------------------------------------------ agreement with SciPy


@pytest.mark.parametrize("func", FUNCTIONS, ids=_names(FUNCTIONS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    ("shape", "axis"),
    [
        ((7,), -1),
        ((50, 10), -1),
        ((50, 10), 1),
        ((50, 10), 0),
        ((50, 10), None),
        ((4, 6, 5), 1),
        ((4, 6, 5), (0, 2)),
        ((3000, 100), -1),  # several blocks, several threads
    ],
)
@pytest.mark.parametrize("temperature", [1.0, 0.3, 7.0])
def test_agrees_with_scipy(func, dtype, shape, axis, temperature):
    rng = np.random.default_rng(0)
    x = (4 * rng.standard_normal(shape)).astype(dtype)
    expected = SCIPY[func](x / dtype(temperature), axis=axis)
    result = func(x, axis=axis, temperature=temperature)
    assert result.dtype == dtype
    assert result.shape == np.shape(expected)
    _assert_agrees(result, expected, x, func, axis, temperature, RTOL[dtype])


def _assert_agrees(result, expected, x, func, axis, temperature, rtol):
    """``result`` equals SciPy's to ``rtol``, or is as close as SciPy's to the truth.

    SciPy's ``log(sum)`` loses digits when one entry dominates (the sum is then
    close to 1), where skmax's ``log1p`` does not; SciPy run in extended precision
    is the judge there. A softmax entry p is exp(z) of a rounded z, so no float
    algorithm beats a relative error of eps * |log p|: that much is allowed too.
    """
    far = ~np.isclose(result, expected, rtol=rtol, atol=0)
    if not far.any():
        return
    wide = np.longdouble if x.dtype == np.float64 else np.float64
    truth = np.asarray(
        SCIPY[func](x.astype(wide) / wide(temperature), axis=axis), dtype=wide
    )
    our_error = np.abs(result[far].astype(wide) - truth[far])
    scipy_error = np.abs(expected[far].astype(wide) - truth[far])
    allowed = np.maximum(scipy_error, rtol * np.abs(truth[far]))
    if func is softmax:
        eps = np.finfo(x.dtype).eps
        conditioning = 2 * eps * np.abs(np.log(truth[far])) * truth[far]
        allowed = np.maximum(allowed, conditioning)
    assert np.all(our_error <= allowed), (result[far], expected[far], truth[far])


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [0, -1, None, (0, 1)])
def test_logsumexp_keepdims_matches_scipy(axis, keepdims):
    x = np.random.default_rng(1).standard_normal((3, 4, 5))
    expected = scipy.special.logsumexp(x, axis=axis, keepdims=keepdims)
    result = logsumexp(x, axis=axis, keepdims=keepdims)
    assert np.shape(result) == np.shape(expected)
    assert_allclose(result, expected, rtol=1e-14)


def test_full_reduction_returns_numpy_scalar():
    result = logsumexp([1.0, 2.0], axis=None)
    assert isinstance(result, np.float64)
    assert isinstance(logsumexp(np.float32([1, 2])), np.float32)


@pytest.mark.parametrize("func", FUNCTIONS, ids=_names(FUNCTIONS))
def test_threaded_and_serial_results_are_identical(func):
    # Large enough for several blocks on several threads.
    x = np.random.default_rng(2).standard_normal((20_000, 50))
    threaded = func(x)
    with threadpool_limits(limits=1):
        serial = func(x)
    assert_array_equal(threaded, serial)


# ----------------------------------------------------------------- extreme values

FINITE_EXTREMES = [
    [1e308, -1e308, 0.0],
    [-1e308, -1e308, -1e308],
    [1e4, 0.0, 7e-7],
    [1.7e308, 1.7e308],
    [5e-324, -5e-324, 0.0],
    [-745.0, 0.0, -1000.0],
]


def _reference(row):
    """Softmax, log-softmax and logsumexp of one finite row in extended precision."""
    z = np.asarray(row, dtype=np.longdouble)
    argmax = int(np.argmax(z))
    m = z[argmax]
    shifted = z - m  # exact or -inf: |z - m| <= 2 * 1.8e308 fits in long double
    rest = np.exp(np.delete(shifted, argmax)).sum()
    log_norm = np.log1p(rest)
    return np.exp(shifted) / (1 + rest), shifted - log_norm, m + log_norm


@pytest.mark.parametrize("row", FINITE_EXTREMES, ids=str)
def test_finite_extremes_are_exact(row):
    p_ref, logp_ref, lse_ref = _reference(row)
    p, logp, lse = softmax(row), log_softmax(row), logsumexp(row)
    assert np.all(np.isfinite(p)) and np.isfinite(lse)
    assert_allclose(p, p_ref.astype(np.float64), rtol=4e-16, atol=0)
    assert_allclose(lse, float(lse_ref), rtol=4e-16)
    # log_softmax is finite wherever its true value is representable; below
    # -1.8e308 the correctly rounded answer is -inf.
    representable = np.abs(logp_ref) < np.finfo(np.float64).max
    assert np.all(np.isfinite(logp[representable]))
    assert np.all(logp[~representable] == -np.inf)
    assert_allclose(
        logp[representable], logp_ref[representable].astype(np.float64), rtol=4e-16
    )


def test_finite_extremes_with_small_temperature_do_not_overflow():
    x = [1e308, 0.99e308, -1e308]
    # Naive x / T would overflow to inf and share the mass between two entries.
    assert_array_equal(softmax(x, temperature=0.5), [1.0, 0.0, 0.0])
    assert logsumexp(x, temperature=0.5) == np.inf  # 2e308 is not representable
    assert_array_equal(
        log_softmax([1.0, 0.0], temperature=1e-300), [0.0, -1.0 / 1e-300]
    )
    assert_array_equal(log_softmax([1.0, 0.0], temperature=1e-310), [0.0, -np.inf])


@pytest.mark.parametrize(
    ("row", "expected_p", "expected_logp", "expected_lse"),
    [
        (
            [np.inf, 1.0, np.inf],
            [0.5, 0, 0.5],
            [-np.log(2), -np.inf, -np.log(2)],
            np.inf,
        ),
        ([np.inf, -np.inf, 3.0], [1.0, 0, 0], [0.0, -np.inf, -np.inf], np.inf),
        ([-np.inf, -np.inf], [np.nan, np.nan], [np.nan, np.nan], -np.inf),
        ([-np.inf, 0.0], [0.0, 1.0], [-np.inf, 0.0], 0.0),
        ([np.nan, 1.0, 2.0], [np.nan] * 3, [np.nan] * 3, np.nan),
        ([np.nan, np.inf], [np.nan] * 2, [np.nan] * 2, np.nan),
    ],
    ids=str,
)
def test_non_finite_rows(row, expected_p, expected_logp, expected_lse):
    # The other row must be unaffected by its neighbour's non-finite entries.
    neighbour = [0.0, np.log(3.0), 1.0][: len(row)]
    x = np.array([row, neighbour])
    assert_allclose(softmax(x)[0], expected_p, rtol=1e-15)
    assert_allclose(log_softmax(x)[0], expected_logp, rtol=1e-15)
    assert_allclose(logsumexp(x)[0], expected_lse, rtol=1e-15)
    assert_allclose(softmax(x)[1], scipy.special.softmax(neighbour), rtol=1e-15)
    assert_allclose(logsumexp(x)[1], scipy.special.logsumexp(neighbour), rtol=1e-15)


@pytest.mark.parametrize("func", [softmax, log_softmax], ids=["softmax", "log_softmax"])
def test_non_finite_rows_in_place(func):
    x = np.array([[np.inf, 1.0, np.inf], [1.0, 2.0, 3.0]])
    expected = func(x.copy())
    func(x, out=x)
    assert_array_equal(x, expected)


def test_where_scipy_loses_digits_we_do_not():
    # exp(-40) is below float64's epsilon, so 1 + exp(-40) rounds to 1 and SciPy's
    # log_softmax returns 0 for the top entry; the true value is -4.248e-18.
    tiny = float(np.exp(np.longdouble(-40)))
    assert scipy.special.log_softmax([0.0, -40.0])[0] == 0.0
    assert_allclose(log_softmax([0.0, -40.0])[0], -tiny, rtol=1e-15)
    assert_allclose(logsumexp([0.0, -40.0]), tiny, rtol=1e-15)
    # The same holds whenever the top entry dominates: SciPy's relative error in
    # log p_max grows as p_max -> 1, skmax's stays at a few ulp.
    x = np.array([0.0, -20.0, -25.0, -30.0])
    truth = _reference(x)[1][0]
    ours = log_softmax(x)[0]
    theirs = scipy.special.log_softmax(x)[0]
    assert abs(ours - truth) <= 2 * np.finfo(float).eps * abs(truth)
    assert abs(theirs - truth) > 1000 * np.finfo(float).eps * abs(truth)


@settings(max_examples=200, deadline=None)
@given(
    arrays(
        np.float64,
        st.integers(2, 30),
        elements=st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
    )
)
def test_close_to_extended_precision_reference(row):
    p_ref, logp_ref, lse_ref = _reference(row)
    k = len(row)
    # A few ulp per operation and per summed term; and exp turns the rounding of
    # z - max (up to eps * |log p|) into a relative error of p.
    eps = np.finfo(np.float64).eps
    ulps = eps * (4 + k)
    p_ref64 = p_ref.astype(np.float64)
    allowed = (ulps + eps * np.abs(logp_ref.astype(np.float64))) * p_ref64 + 1e-300
    assert np.all(np.abs(softmax(row) - p_ref64) <= allowed)
    # Entries of log_softmax are sums of terms up to |z| in size: relative error
    # to the largest of them.
    scale = np.maximum(np.abs(logp_ref), 1.0).astype(np.float64)
    err = np.abs(log_softmax(row) - logp_ref.astype(np.float64))
    assert np.all(err <= ulps * scale * np.maximum(1.0, np.abs(row).max()))
    assert abs(logsumexp(row) - float(lse_ref)) <= ulps * max(1.0, abs(float(lse_ref)))


# ----------------------------------------------------------------------- dtypes


@pytest.mark.parametrize(
    ("dtype", "result_dtype"),
    [
        (np.float64, np.float64),
        (np.float32, np.float32),
        (np.float16, np.float16),
        (np.int64, np.float64),
        (np.int32, np.float64),
        (np.uint8, np.float64),
        (np.bool_, np.float64),
        (np.longdouble, np.longdouble),
    ],
)
@pytest.mark.parametrize("func", FUNCTIONS, ids=_names(FUNCTIONS))
def test_dtype_matrix(func, dtype, result_dtype):
    x = np.array([[0, 1, 2], [3, 1, 0]]).astype(dtype)
    result = func(x)
    assert result.dtype == result_dtype
    compute = np.float32 if dtype == np.float16 else result_dtype
    expected = SCIPY[func](x.astype(compute), axis=-1).astype(result_dtype)
    rtol = {np.float16: 1e-3, np.float32: 1e-6}.get(result_dtype, 1e-14)
    assert_allclose(result.astype(np.float64), expected.astype(np.float64), rtol=rtol)


def test_float16_is_computed_in_float32():
    # The result is the float32 computation rounded once to float16, not a chain
    # of float16 roundings.
    x = np.array([0.0, -12.0, 3.5], dtype=np.float16)
    assert_array_equal(softmax(x), softmax(x.astype(np.float32)).astype(np.float16))


@pytest.mark.parametrize("func", FUNCTIONS, ids=_names(FUNCTIONS))
def test_array_likes(func):
    data = [[1.0, 2.0, 3.0], [0.0, 0.0, 5.0]]
    expected = func(np.array(data))
    assert_array_equal(func(data), expected)
    frame = pd.DataFrame(data, columns=["a", "b", "c"])
    result = func(frame)
    assert isinstance(result, np.ndarray)
    assert_array_equal(result, expected)
    assert_array_equal(func(pd.Series(data[0])), func(np.array(data[0])))


@pytest.mark.parametrize("bad", [np.array([1 + 2j, 3j]), np.array(["a", "b"])])
def test_non_numeric_input_raises(bad):
    with pytest.raises(TypeError):
        softmax(bad)


# -------------------------------------------------------------- inputs and out=


@pytest.mark.parametrize("func", FUNCTIONS, ids=_names(FUNCTIONS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int64])
def test_input_is_never_modified(func, dtype):
    x = np.array([[1e308 if dtype == np.float64 else 100, -3, 0], [np.inf, 1, 2]])
    x = x.astype(dtype) if dtype != np.int64 else np.array([[5, -3, 0], [1, 1, 2]])
    before = x.copy()
    func(x)
    func(x, axis=0)
    assert_array_equal(x, before)


@pytest.mark.parametrize("func", [softmax, log_softmax], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_out_in_place_allocates_no_second_array(func, dtype):
    x = np.random.default_rng(3).standard_normal((40_000, 64)).astype(dtype)
    expected = func(x)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        result = func(x, out=x)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result is x
    assert_array_equal(x, expected)
    assert peak - base < x.nbytes / 4


@pytest.mark.parametrize("func", [softmax, log_softmax], ids=["softmax", "log_softmax"])
def test_out_variants(func):
    x = np.random.default_rng(4).standard_normal((6, 5))
    expected = func(x, axis=0)
    out = np.empty_like(x)
    assert func(x, axis=0, out=out) is out
    assert_array_equal(out, expected)
    # A non-contiguous out, and an out overlapping the input only in part.
    big = np.zeros((6, 10))
    assert_array_equal(func(x, axis=0, out=big[:, ::2]), expected)
    assert_array_equal(big[:, ::2], expected)
    y = np.concatenate([x, x[:1]])
    head_expected = func(y[1:])
    func(y[1:], out=y[:-1])
    assert_array_equal(y[:-1], head_expected)


@pytest.mark.parametrize(
    ("out", "message"),
    [
        (np.empty((3, 2)), "shape"),
        (np.empty((2, 3), dtype=np.float32), "dtype"),
        ([[0.0] * 3] * 2, "NumPy array"),
    ],
)
def test_bad_out_raises(out, message):
    with pytest.raises((ValueError, TypeError), match=message):
        softmax(np.ones((2, 3)), out=out)


# ---------------------------------------------------------------- temperature


@pytest.mark.parametrize("func", FUNCTIONS, ids=_names(FUNCTIONS))
@pytest.mark.parametrize(
    "temperature", [0, 0.0, -1.0, np.inf, np.nan, "2", None, [1.0], True]
)
def test_bad_temperature_raises(func, temperature):
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        func([1.0, 2.0], temperature=temperature)


@pytest.mark.parametrize("temperature", [2, np.float32(0.5), np.float64(3.0)])
def test_temperature_accepts_real_scalars(temperature):
    x = np.array([1.0, 2.0, 4.0])
    assert_allclose(
        softmax(x, temperature=temperature),
        scipy.special.softmax(x / float(temperature)),
        rtol=1e-15,
    )


# ------------------------------------------------------------------- empties


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0,), (0, 0)])
def test_empty_inputs(shape):
    x = np.empty(shape)
    assert softmax(x).shape == shape
    assert log_softmax(x).shape == shape
    # log of an empty sum is log 0 = -inf, as in SciPy.
    expected = scipy.special.logsumexp(x, axis=-1)
    assert_array_equal(logsumexp(x), expected)
    assert_array_equal(logsumexp(x, axis=None), -np.inf)


def test_bad_axis_raises():
    with pytest.raises(np.exceptions.AxisError):
        softmax(np.ones((2, 3)), axis=2)
    with pytest.raises(ValueError, match="repeated axis"):
        softmax(np.ones((2, 3)), axis=(1, -1))
    with pytest.raises(TypeError, match="axis"):
        softmax(np.ones((2, 3)), axis=1.0)


# ------------------------------------------------------------------ properties

finite_rows = arrays(
    np.float64,
    st.tuples(st.integers(1, 8), st.integers(1, 40)),
    elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=200, deadline=None)
@given(finite_rows)
def test_rows_sum_to_one(x):
    k = x.shape[1]
    eps = np.finfo(np.float64).eps
    assert np.all(np.abs(softmax(x).sum(axis=1) - 1) <= 4 * k * eps)
    x32 = x.astype(np.float32)
    eps32 = np.finfo(np.float32).eps
    assert np.all(
        np.abs(softmax(x32).sum(axis=1, dtype=np.float64) - 1) <= 4 * k * eps32
    )


@settings(max_examples=200, deadline=None)
@given(finite_rows, st.floats(-1e6, 1e6))
def test_shift_invariance(x, c):
    eps = np.finfo(np.float64).eps
    # x + c is rounded, so the shifted logits move by up to eps * |x + c|.
    tol = 8 * eps * (np.abs(x).max() + abs(c) + 1)
    p, q = softmax(x), softmax(x + c)
    assert_allclose(q, p, rtol=2 * tol, atol=1e-300)
    assert_allclose(logsumexp(x + c), logsumexp(x) + c, rtol=tol, atol=tol)


@settings(max_examples=200, deadline=None)
@given(finite_rows, st.floats(1e-3, 1e3))
def test_exp_log_softmax_is_softmax(x, temperature):
    logp = log_softmax(x, temperature=temperature)
    assert np.all(logp <= 0)
    p = softmax(x, temperature=temperature)
    eps = np.finfo(np.float64).eps
    # exp turns an absolute error in logp into a relative error of the same size.
    allowed = eps * (8 * x.shape[1] + 2 * np.abs(logp)) * p + 1e-300
    assert np.all(np.abs(np.exp(logp) - p) <= allowed)


@settings(max_examples=200, deadline=None)
@given(finite_rows)
def test_small_temperature_tends_to_shared_hardmax(x):
    m = x.max(axis=1, keepdims=True)
    gaps = np.where(x < m, m - x, np.inf).min()
    assume(np.isfinite(gaps) and gaps / 1000 > 0)
    # exp(-gap / T) = exp(-1000) underflows to 0: exactly the hardmax.
    is_max = (x == m).astype(np.float64)
    expected = is_max / is_max.sum(axis=1, keepdims=True)
    assert_allclose(softmax(x, temperature=gaps / 1000), expected, rtol=1e-15)


@settings(max_examples=200, deadline=None)
@given(finite_rows)
def test_large_temperature_tends_to_uniform(x):
    k = x.shape[1]
    result = softmax(x, temperature=1e300)
    assert_allclose(result, np.full_like(x, 1 / k), rtol=4 * k * np.finfo(float).eps)


@settings(max_examples=300, deadline=None)
@given(st.floats(-708, 708))  # SciPy's expit flushes subnormal results to 0
def test_two_classes_is_the_logistic_sigmoid(z):
    eps = np.finfo(np.float64).eps
    assert_allclose(softmax([0.0, z])[1], scipy.special.expit(z), rtol=4 * eps)
    assert_allclose(log_softmax([0.0, z])[1], scipy.special.log_expit(z), rtol=4 * eps)
    assert_allclose(logsumexp([0.0, z]), np.logaddexp(0.0, z), rtol=4 * eps)


def test_module_exports():
    assert set(special_module.__all__) == {"softmax", "log_softmax", "logsumexp"}
