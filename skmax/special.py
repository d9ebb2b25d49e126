"""Numerically stable softmax, log-softmax and log-sum-exp.

For a vector ``z`` with largest entry ``m`` (at position ``j*``)::

    logsumexp(z)   = m + log1p(rest),   rest = sum_{j != j*} exp(z_j - m)
    log_softmax(z) = (z - m) - log1p(rest)
    softmax(z)     = exp(z - m) / (1 + rest)

Subtracting the maximum means nothing overflows for any finite input, and writing
the normaliser as ``log1p(rest)`` keeps full relative precision when one entry
dominates (``log_softmax([0, -40])[0]`` is ``-4.25e-18``, not ``0``). With a
temperature ``T`` the input is ``z / T``; it is applied as ``(z - m) / T`` so that
large finite inputs with small ``T`` still cannot overflow.

Edge semantics, along the reduced axis:

- a slice containing ``+inf`` puts all of its mass, shared equally, on its
  ``+inf`` entries (``logsumexp`` is ``+inf``);
- a slice of all ``-inf`` has no distribution: ``softmax`` and ``log_softmax`` give
  NaN and ``logsumexp`` gives ``-inf`` (``log 0``), as in SciPy;
- NaN makes its own slice NaN and nothing else;
- a zero-length axis gives an empty ``softmax``/``log_softmax`` and a
  ``logsumexp`` of ``-inf``.

No floating-point warning escapes for any of these.

The work is done in row blocks small enough to stay in cache, so the input is read
from memory once and no temporary the size of the input is made; large inputs are
spread over threads (see :mod:`skmax._parallel`).
"""

from __future__ import annotations

import math
import numbers
import operator
from functools import partial

import numpy as np

from skmax._parallel import max_threads, parallel_map, split_range

__all__ = ["log_softmax", "logsumexp", "softmax"]

# Bytes per row block: small enough to stay in cache between the passes over it,
# large enough that NumPy's per-call overhead stays small (measured in benchmarks/).
_BLOCK_BYTES = 1 << 19
# Below this many elements a second thread costs more than it saves.
_PARALLEL_MIN_ELEMENTS = 1 << 17


def logsumexp(x, axis=-1, *, temperature=1.0, keepdims=False):
    """Logarithm of the sum of exponentials, ``log(sum(exp(x / temperature)))``.

    Parameters
    ----------
    x : array-like
        Input values. Lists and pandas objects are accepted.
    axis : int, tuple of int or None, default=-1
        Axis (or axes) to reduce over; ``None`` reduces over the whole array.
    temperature : float, default=1.0
        Finite number > 0 that divides the input.
    keepdims : bool, default=False
        Keep the reduced axes as dimensions of length one.

    Returns
    -------
    ndarray or numpy scalar
        float64 for float64, integer and bool input; float32 for float32 input;
        float16 (computed in float32) for float16 input. A full reduction gives a
        NumPy scalar.

    Examples
    --------
    >>> import numpy as np
    >>> from skmax import logsumexp
    >>> logsumexp([1000.0, 1000.0])
    np.float64(1000.6931471805599)
    >>> logsumexp([[0.0, 0.0], [1e308, -1e308]])
    array([6.93147181e-001, 1.00000000e+308])
    >>> logsumexp([2.0, 4.0], temperature=2.0)
    np.float64(2.313261687518223)
    """
    return _reduce_or_map("logsumexp", x, axis, temperature, None, keepdims)


def log_softmax(x, axis=-1, *, temperature=1.0, out=None):
    """Logarithm of the softmax, ``log_softmax(x / temperature)``, computed stably.

    Parameters
    ----------
    x : array-like
        Input values (logits). Lists and pandas objects are accepted.
    axis : int, tuple of int or None, default=-1
        Axis (or axes) along which the result is normalised; ``None`` normalises
        over the whole array.
    temperature : float, default=1.0
        Finite number > 0 that divides the input.
    out : ndarray, optional
        Array of the input's shape and of the result dtype to write into;
        ``out=x`` works in place without a second array of ``x``'s size.

    Returns
    -------
    ndarray
        Same shape as ``x``; dtype as for :func:`logsumexp`. Entries are finite for
        finite input and never above zero.

    Examples
    --------
    >>> import numpy as np
    >>> from skmax import log_softmax
    >>> log_softmax([0.0, -40.0])
    array([-4.24835426e-18, -4.00000000e+01])
    >>> log_softmax([1000.0, 0.0])
    array([    0., -1000.])
    """
    return _reduce_or_map("log_softmax", x, axis, temperature, out, False)


def softmax(x, axis=-1, *, temperature=1.0, out=None):
    """Softmax, ``exp(x / temperature)`` normalised to sum to one, computed stably.

    Parameters
    ----------
    x : array-like
        Input values (logits). Lists and pandas objects are accepted.
    axis : int, tuple of int or None, default=-1
        Axis (or axes) along which the result sums to one; ``None`` normalises over
        the whole array.
    temperature : float, default=1.0
        Finite number > 0 that divides the input. Small values approach the
        (tie-sharing) hardmax, large ones the uniform distribution.
    out : ndarray, optional
        Array of the input's shape and of the result dtype to write into;
        ``out=x`` works in place without a second array of ``x``'s size.

    Returns
    -------
    ndarray
        Same shape as ``x``; dtype as for :func:`logsumexp`.

    Examples
    --------
    >>> import numpy as np
    >>> from skmax import softmax
    >>> softmax([1.0, 2.0, 3.0])
    array([0.09003057, 0.24472847, 0.66524096])
    >>> softmax([1e308, -1e308, 0.0])
    array([1., 0., 0.])
    >>> softmax([np.inf, 1.0, np.inf])
    array([0.5, 0. , 0.5])
    >>> softmax([0.0, 1.0], temperature=1e-3)
    array([0., 1.])
    """
    return _reduce_or_map("softmax", x, axis, temperature, out, False)


# --------------------------------------------------------------------------- input


def _check_temperature(temperature) -> float:
    if type(temperature) is float and 0.0 < temperature < math.inf:
        return temperature  # the common case, checked cheaply
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real):
        if not (isinstance(temperature, np.ndarray) and temperature.ndim == 0):
            raise ValueError(
                "temperature must be a finite number > 0, got "
                f"{temperature!r} of type {type(temperature).__name__}"
            )
    value = float(temperature)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"temperature must be a finite number > 0, got {value!r}")
    return value


def _as_array(x) -> np.ndarray:
    x = np.asarray(x)
    kind = x.dtype.kind
    if kind in "biuf":
        return x
    if kind == "c":
        raise TypeError("complex input is not supported")
    try:
        return x.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"input must be numeric, got an array of dtype {x.dtype}"
        ) from exc


def _dtypes(dtype: np.dtype) -> tuple[np.dtype, np.dtype]:
    """(dtype to compute in, dtype to return) for an input dtype."""
    if dtype.kind == "f":
        if dtype.itemsize < 4:  # float16: too few digits to compute in
            return np.dtype(np.float32), dtype
        return dtype, dtype
    return np.dtype(np.float64), np.dtype(np.float64)


def _normalize_axes(axis, ndim: int) -> tuple[int, ...]:
    if type(axis) is int and -ndim <= axis < ndim:
        return (axis % ndim,)  # the common case, checked cheaply
    if axis is None:
        return tuple(range(ndim))
    normalized = []
    for a in axis if isinstance(axis, tuple) else (axis,):
        try:
            a = operator.index(a)
        except TypeError as exc:
            raise TypeError(
                f"axis must be an int, a tuple of ints or None, got {axis!r}"
            ) from exc
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(a, ndim)
        normalized.append(a % ndim)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"repeated axis in {axis!r}")
    return tuple(normalized)


# ------------------------------------------------------------------------- driver


def _reduce_or_map(kind, x, axis, temperature, out, keepdims):
    temperature = _check_temperature(temperature)
    x = _as_array(x)
    compute_dtype, result_dtype = _dtypes(x.dtype)
    axes = _normalize_axes(axis, x.ndim)
    # Bring the reduced axes last, so that each row of ``x_rows`` is one slice.
    last = tuple(range(x.ndim - len(axes), x.ndim))
    moved = x if axes == last else np.moveaxis(x, axes, last)
    x_rows = _rows(moved, len(axes))

    if kind == "logsumexp":
        result = np.empty(x_rows.shape[0], dtype=result_dtype)
        _apply(kind, x_rows, result, temperature, compute_dtype)
        result = result.reshape(moved.shape[: moved.ndim - len(axes)])
        if keepdims:
            result = np.expand_dims(result, axes)
        return result[()] if result.ndim == 0 else result

    if out is not None:
        _check_out(out, x, result_dtype)
    if out is not None and (_same_layout(out, x) or not np.shares_memory(out, x)):
        target = out
    else:  # no ``out``, or one that partly overlaps ``x``
        target = np.empty(x.shape, dtype=result_dtype)
    target_moved = target if axes == last else np.moveaxis(target, axes, last)
    target_rows = _rows(target_moved, len(axes))
    _apply(kind, x_rows, target_rows, temperature, compute_dtype)
    if target.size and not np.shares_memory(target_rows, target):
        target_moved[...] = target_rows.reshape(target_moved.shape)  # was a copy
    if out is not None and target is not out:
        np.copyto(out, target)
        return out
    return target


def _check_out(out, x, result_dtype) -> None:
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a NumPy array, got {type(out).__name__}")
    if out.shape != x.shape:
        raise ValueError(f"out has shape {out.shape}, expected {x.shape}")
    if out.dtype != result_dtype:
        raise ValueError(f"out has dtype {out.dtype}, expected {result_dtype}")
    if not out.flags.writeable:
        raise ValueError("out is read-only")


def _same_layout(a: np.ndarray, b: np.ndarray) -> bool:
    return (
        a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
        and a.strides == b.strides
    )


def _rows(moved: np.ndarray, n_reduced_axes: int) -> np.ndarray:
    """``moved`` (reduced axes last) as a 2-D (slices, k) array; a view if possible."""
    lead = moved.shape[: moved.ndim - n_reduced_axes]
    n = math.prod(lead)
    k = math.prod(moved.shape[len(lead) :])
    return moved.reshape(n, k)


def _apply(kind, x_rows, out_rows, temperature, compute_dtype) -> None:
    """Fill ``out_rows`` (a vector for logsumexp) from the rows of ``x_rows``."""
    n, k = x_rows.shape
    if n == 0:
        return
    if k == 0:
        if kind == "logsumexp":
            out_rows[...] = -np.inf
        return
    rows_per_block = max(1, _BLOCK_BYTES // (k * compute_dtype.itemsize))
    kernel = partial(
        _KERNELS[kind],
        x_rows=x_rows,
        out_rows=out_rows,
        temperature=temperature,
        compute_dtype=compute_dtype,
        rows_per_block=rows_per_block,
    )
    n_blocks = -(-n // rows_per_block)
    n_threads = 1
    if n_blocks > 1 and x_rows.size >= _PARALLEL_MIN_ELEMENTS:
        n_threads = min(max_threads(), n_blocks)
    if n_threads == 1:
        kernel((0, n))
        return
    chunks = [
        (a * rows_per_block, min(n, b * rows_per_block))
        for a, b in split_range(n_blocks, n_threads)
    ]
    parallel_map(kernel, chunks, n_threads)


# ------------------------------------------------------------------------ kernels
#
# Each kernel handles the rows ``chunk = (start, stop)`` of ``x_rows`` block by
# block: the shifted block ``(x - m) / T`` is written once, and exp, row sums and
# normalisation run on it while it is in cache. ``np.errstate`` is thread-local,
# so each kernel sets its own.


def _row_max(xb, arange):
    """Position and value of each row's maximum (NaN wins, so NaN rows stay NaN)."""
    argmax = xb.argmax(axis=1)
    return argmax, xb[arange, argmax]


def _posinf_rows(xb, m):
    """(rows, mask of their +inf entries) for the rows whose maximum is +inf."""
    if np.fmax.reduce(m) != np.inf:
        return None
    rows = np.flatnonzero(m == np.inf)
    return rows, np.isposinf(xb[rows])


def _shift(xb, m, dest, temperature):
    """``dest = (xb - m) / T``: entries <= 0, the maxima exactly 0."""
    np.subtract(xb, m[:, None], out=dest)
    if temperature != 1.0:
        np.divide(dest, temperature, out=dest)


def _row_sums(block):
    if block.flags.c_contiguous:  # a BLAS matrix-vector product: fastest
        return block @ np.ones(block.shape[1], dtype=block.dtype)
    return np.add.reduce(block, axis=1)


def _blocks(chunk, rows_per_block):
    start, stop = chunk
    for lo in range(start, stop, rows_per_block):
        yield lo, min(lo + rows_per_block, stop)


def _input_block(x_rows, lo, hi, compute_dtype):
    xb = x_rows[lo:hi]
    return xb if xb.dtype == compute_dtype else xb.astype(compute_dtype)


def _scratch(chunk, rows_per_block, k, dtype):
    return np.empty((min(rows_per_block, chunk[1] - chunk[0]), k), dtype=dtype)


def _logsumexp_kernel(
    chunk, *, x_rows, out_rows, temperature, compute_dtype, rows_per_block
):
    work = _scratch(chunk, rows_per_block, x_rows.shape[1], compute_dtype)
    arange = np.arange(work.shape[0])
    with np.errstate(all="ignore"):
        for lo, hi in _blocks(chunk, rows_per_block):
            r = hi - lo
            xb = _input_block(x_rows, lo, hi, compute_dtype)
            argmax, m = _row_max(xb, arange[:r])
            eb = work[:r]
            _shift(xb, m, eb, temperature)
            np.exp(eb, out=eb)
            eb[arange[:r], argmax] = 0.0  # the maximum's exp(0) = 1 goes into log1p
            result = np.log1p(_row_sums(eb))
            result += m / temperature if temperature != 1.0 else m
            bad = np.isnan(result)
            if bad.any():  # max +inf -> +inf, all -inf -> -inf (log 0), NaN -> NaN
                result[bad] = m[bad]
            out_rows[lo:hi] = result


def _softmax_kernel(
    chunk, *, x_rows, out_rows, temperature, compute_dtype, rows_per_block
):
    direct = out_rows.dtype == compute_dtype and out_rows.flags.c_contiguous
    work = _scratch(chunk, rows_per_block, x_rows.shape[1], compute_dtype)
    arange = np.arange(work.shape[0])
    with np.errstate(all="ignore"):
        for lo, hi in _blocks(chunk, rows_per_block):
            r = hi - lo
            xb = _input_block(x_rows, lo, hi, compute_dtype)
            argmax, m = _row_max(xb, arange[:r])
            posinf = _posinf_rows(xb, m)  # before an in-place ``out`` overwrites xb
            eb = out_rows[lo:hi] if direct else work[:r]
            _shift(xb, m, eb, temperature)
            np.exp(eb, out=eb)
            np.divide(eb, _row_sums(eb)[:, None], out=eb)
            if posinf is not None:
                rows, mask = posinf
                eb[rows] = mask / mask.sum(axis=1, keepdims=True)
            if not direct:
                out_rows[lo:hi] = eb


def _log_softmax_kernel(
    chunk, *, x_rows, out_rows, temperature, compute_dtype, rows_per_block
):
    direct = out_rows.dtype == compute_dtype and out_rows.flags.c_contiguous
    k = x_rows.shape[1]
    work = _scratch(chunk, rows_per_block, k, compute_dtype)
    shifted = None if direct else np.empty_like(work)
    arange = np.arange(work.shape[0])
    with np.errstate(all="ignore"):
        for lo, hi in _blocks(chunk, rows_per_block):
            r = hi - lo
            xb = _input_block(x_rows, lo, hi, compute_dtype)
            argmax, m = _row_max(xb, arange[:r])
            posinf = _posinf_rows(xb, m)
            sb = out_rows[lo:hi] if direct else shifted[:r]
            _shift(xb, m, sb, temperature)
            eb = np.exp(sb, out=work[:r])
            eb[arange[:r], argmax] = 0.0
            np.subtract(sb, np.log1p(_row_sums(eb))[:, None], out=sb)
            if posinf is not None:
                rows, mask = posinf
                share = -np.log(mask.sum(axis=1, keepdims=True))
                sb[rows] = np.where(mask, share, -np.inf)
            if not direct:
                out_rows[lo:hi] = sb


_KERNELS = {
    "logsumexp": _logsumexp_kernel,
    "softmax": _softmax_kernel,
    "log_softmax": _log_softmax_kernel,
}
