"""Temperature scaling's objective and its safeguarded Newton solver.

For logits Z (n x k), labels y and weights s (S = sum s), the inverse temperature
``beta = 1 / T`` minimises the weighted negative log-likelihood (MATH.md)::

    L(beta)   = (1/S) sum_i s_i [logsumexp(beta Z_i) - beta Z_{i, y_i}]
    L'(beta)  = (1/S) sum_i s_i (E_{p_i}[Z_i] - Z_{i, y_i}),   p_i = softmax(beta Z_i)
    L''(beta) = (1/S) sum_i s_i Var_{p_i}[Z_i] >= 0

Each row is shifted once by its maximum (``z = Z_i - max Z_i <= 0``); the maximum
cancels from all three quantities, so one pass over the shifted logits per
iteration computes ``exp(beta z)`` and its first two moments. With the maximum at
``z = 0`` carrying the largest probability (at least 1/k), ``Var = E[z^2] - E[z]^2``
loses at most a factor k of relative precision, and the sums are taken in float64.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from skmax._parallel import max_threads, parallel_map, split_range

_BLOCK_ELEMENTS = 1 << 16
_PARALLEL_MIN_ELEMENTS = 1 << 18


class TemperatureObjective:
    """The NLL of ``softmax(beta * logits)`` as a function of ``beta``.

    Parameters
    ----------
    logits : ndarray of shape (n_samples, n_classes)
        Finite logits, float32 or float64 (float32 stays float32: the one copy made
        is the row-shifted logits, in the input dtype).
    y : ndarray of shape (n_samples,)
        Class codes ``0 .. n_classes - 1``.
    sample_weight : ndarray of shape (n_samples,) or None
        Non-negative weights with a positive sum.
    """

    def __init__(self, logits, y, sample_weight=None):
        logits = np.asarray(logits)
        self.n_samples, self.n_classes = logits.shape
        self.dtype = logits.dtype
        self.shifted = logits - logits.max(axis=1, keepdims=True)
        rows = np.arange(self.n_samples)
        self.true_shifted = self.shifted[rows, y].astype(np.float64)
        if sample_weight is None:
            self.weights = None
        else:
            weights = np.asarray(sample_weight, dtype=np.float64)
            self.weights = weights / weights.sum()
        # L'(0): the derivative at uniform probabilities. If it is >= 0 the
        # optimum is beta = 0 (T = inf): the logits carry no signal.
        self.slope_at_zero = self._mean(self.shifted.mean(axis=1, dtype=np.float64))
        self.slope_at_zero -= self._mean(self.true_shifted)
        # True class at the maximum in every (weighted) row: no finite optimum.
        counted = (
            self.true_shifted
            if self.weights is None
            else (self.true_shifted[self.weights > 0])
        )
        self.separable = bool(np.all(counted == 0))
        self._rows_per_block = max(1, _BLOCK_ELEMENTS // max(self.n_classes, 1))

    def _mean(self, values):
        if self.weights is None:
            return float(values.mean())
        return float(values @ self.weights)

    def derivatives(self, beta: float) -> tuple[float, float, float]:
        """``(L, L', L'')`` at ``beta``, in one pass over the logits."""
        n = self.n_samples
        n_blocks = -(-n // self._rows_per_block)
        n_threads = 1
        if self.shifted.size >= _PARALLEL_MIN_ELEMENTS:
            n_threads = min(max_threads(), n_blocks)
        chunks = split_range(n, n_threads)
        with np.errstate(under="ignore"):
            parts = parallel_map(partial(self._chunk, beta), chunks, n_threads)
        log_norm, mean, var = (np.concatenate(p) for p in zip(*parts, strict=True))
        value = self._mean(log_norm) - beta * self._mean(self.true_shifted)
        slope = self._mean(mean) - self._mean(self.true_shifted)
        return value, slope, self._mean(var)

    def _chunk(self, beta, chunk):
        """Per-row log-normaliser, mean and variance of z under softmax(beta z)."""
        start, stop = chunk
        k = self.n_classes
        work = np.empty((min(self._rows_per_block, stop - start), k), self.dtype)
        ones = np.ones(k, dtype=self.dtype)
        out = np.empty((3, stop - start))
        scale = self.dtype.type(beta)
        with np.errstate(under="ignore"):
            for lo in range(start, stop, self._rows_per_block):
                hi = min(lo + self._rows_per_block, stop)
                z = self.shifted[lo:hi]
                e = np.multiply(z, scale, out=work[: hi - lo])
                np.exp(e, out=e)
                total = (e @ ones).astype(np.float64)  # >= 1: exp(0) at the max
                e *= z
                first = (e @ ones).astype(np.float64)
                e *= z
                second = (e @ ones).astype(np.float64)
                mean = first / total
                rows = slice(lo - start, hi - start)
                out[0, rows] = np.log(total)
                out[1, rows] = mean
                out[2, rows] = np.maximum(second / total - mean * mean, 0.0)
        return out[0], out[1], out[2]


@dataclass
class TemperatureResult:
    """Outcome of :func:`fit_inverse_temperature`."""

    beta: float
    n_iter: int
    converged: bool
    at_bound: str | None  # "lower" (T -> 0), "upper" (T -> inf) or None
    nll: float  # at the last beta evaluated (within rtol of ``beta``)
    message: str


def fit_inverse_temperature(
    objective: TemperatureObjective,
    *,
    beta_bounds: tuple[float, float],
    max_iter: int = 100,
    rtol: float | None = None,
) -> TemperatureResult:
    """Minimise ``L(beta)`` on ``beta_bounds`` by safeguarded Newton iteration.

    Newton steps ``beta - L'/L''`` are taken inside a bracket ``(lo, hi)`` that
    always contains the minimiser (``L'(lo) < 0 < L'(hi)``, L being convex); a step
    that leaves the bracket is replaced by its geometric midpoint, or, while one
    side is still unknown, by a factor-of-4 move towards it. The iteration stops
    when a Newton step changes ``beta`` by at most ``rtol * beta`` (default: the
    square root of the dtype's epsilon, after which the step taken leaves an
    error of order epsilon), or at a bound, where the minimiser lies beyond it.
    """
    eps = np.finfo(objective.dtype).eps
    rtol = np.sqrt(eps) if rtol is None else rtol
    lower, upper = beta_bounds
    if objective.slope_at_zero >= 0:
        # L is non-decreasing from beta = 0: the best temperature is infinite.
        value, _, _ = objective.derivatives(lower)
        return TemperatureResult(
            lower,
            0,
            False,
            "upper",
            value,
            "the logits carry no information about the labels (L'(0) >= 0)",
        )
    if objective.separable:
        # Every row's true class has the largest logit: L decreases for ever.
        value, _, _ = objective.derivatives(upper)
        return TemperatureResult(
            upper,
            0,
            False,
            "lower",
            value,
            "the NLL keeps decreasing as T -> 0: in every sample the true class "
            "has the largest score",
        )
    lo, hi = lower, upper  # bracket; each side is confirmed once evaluated
    lo_known = hi_known = False
    beta = min(max(1.0, lower), upper)
    previous_slope = None
    for n_iter in range(1, max_iter + 1):
        value, slope, curvature = objective.derivatives(beta)
        # Far below a large minimiser L' decays only geometrically (exponential
        # tails): Newton then creeps by ~1/(logit scale) per step, so double
        # beta instead until the minimiser is bracketed.
        creeping = (
            slope < 0 and previous_slope is not None and slope > 0.25 * previous_slope
        )
        previous_slope = slope if slope < 0 and not hi_known else None
        if slope > 0:
            hi, hi_known = beta, True
        else:
            lo, lo_known = beta, True
        if slope == 0:
            step = 0.0
        elif curvature > 0:
            step = -slope / curvature
        else:  # flat: all mass on one logit per row; move towards the minimiser
            step = np.inf if slope < 0 else -np.inf
        if abs(step) <= rtol * beta:
            beta = min(max(beta + step, lo), hi)
            return TemperatureResult(beta, n_iter, True, None, value, "converged")
        candidate = beta + step
        if creeping and not hi_known:
            candidate = max(candidate, 2 * beta)
        if not lo < candidate < hi:
            if lo_known and hi_known:
                candidate = np.sqrt(lo * hi)
            elif slope < 0:  # minimiser above beta, no upper side known yet
                if beta >= upper:
                    return TemperatureResult(
                        upper,
                        n_iter,
                        False,
                        "lower",
                        value,
                        "the NLL keeps decreasing as T -> 0: the logits separate "
                        "the classes",
                    )
                candidate = min(4 * beta, upper)
            else:
                if beta <= lower:
                    return TemperatureResult(
                        lower,
                        n_iter,
                        False,
                        "upper",
                        value,
                        "the NLL keeps decreasing as T -> inf",
                    )
                candidate = max(beta / 4, lower)
        beta = candidate
    return TemperatureResult(
        beta, max_iter, False, None, value, f"reached max_iter = {max_iter} iterations"
    )
