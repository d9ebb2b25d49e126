"""Multinomial cross-entropy of a linear model: loss, gradient, Hessian-vector product.

With X (n x p), integer labels y, sample weights s (S = sum s) and the coefficient
layout ``W`` (rows x p), ``b`` (rows,), the objective is scikit-learn's
``LogisticRegression`` objective, scaled as in ``MATH.md``::

    F(W, b) = (1/S) sum_i s_i l_i + (l2 / 2) ||W||_F^2,     l2 = 1 / (C S)

- Multinomial (``n_classes >= 3``): ``rows = n_classes``, logits ``Z = X W^T + b``
  and ``l_i = logsumexp(Z_i) - Z_{i, y_i}``.
- Binomial (``n_classes == 2``): one row, ``z = X w + b`` is the logit of class 1
  against class 0 (the softmax of ``(0, z)``), ``l_i = log(1 + e^z_i) - y_i z_i``.

Gradient and Hessian-vector product, with ``P = softmax(Z)``, ``R = diag(s/S)(P - Y)``
and, for a direction (V, c), ``U = X V^T + c``, ``D_i = P_i U_i - P_i (P_i . U_i)``::

    grad_W = R^T X + l2 W,              grad_b = R^T 1
    H(V, c) = ((s/S) D)^T X + l2 V,     ((s/S) D)^T 1

and the Hessian's diagonal (a preconditioner, computed where feature scales differ)
is ``((s/S) P (1 - P))^T (X * X) + l2`` for ``W`` and ``((s/S) P (1 - P))^T 1`` for
``b``.

The parameters travel as one float64 vector ``theta = [W.ravel(), b]`` (what SciPy's
optimisers take). X keeps its dtype: with float32 X the products run in float32
(BLAS sums within a block of rows in float32) and the sums over blocks and the
per-sample losses are accumulated in float64. Dense X is processed in blocks of
rows, so that each block is read from memory once and used by both products while
it is in cache; logits are held class-major (classes x rows), which turns the
reductions over classes into vector operations. Blocks are shared between threads
(``skmax._parallel``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from skmax._parallel import max_threads, parallel_map, split_range
from skmax.special import softmax

# Bytes of X per block: a block and its logits stay in cache between the products,
# and NumPy's per-call overhead stays small (measured in benchmarks/).
_BLOCK_BYTES = 1 << 22
_PARALLEL_MIN_ROWS = 2_000
# Dense columns whose mean squares differ by more than this get preconditioning.
_SCALE_SPREAD = 4.0

Hessp = Callable[[np.ndarray], np.ndarray]


def _csr_rows(X, lo, hi):
    """Rows ``lo:hi`` of a CSR matrix, sharing its data and indices (no copy)."""
    start, stop = X.indptr[lo], X.indptr[hi]
    return sp.csr_matrix(
        (X.data[start:stop], X.indices[start:stop], X.indptr[lo : hi + 1] - start),
        shape=(hi - lo, X.shape[1]),
    )


def sum_parts(parts):
    """Element-wise sum of lists of partial results (``None`` entries stay None)."""
    total = parts[0]
    for part in parts[1:]:
        total = [None if a is None else a + b for a, b in zip(total, part, strict=True)]
    return total


class LinearSoftmaxLoss:
    """Penalised multinomial (or, for two classes, binomial) log-loss of ``X``.

    Parameters
    ----------
    X : ndarray or scipy.sparse CSR matrix of shape (n_samples, n_features)
        float32 or float64.
    y : ndarray of shape (n_samples,)
        Class codes ``0 .. n_classes - 1``.
    n_classes : int
        At least 2.
    sample_weight : ndarray of shape (n_samples,) or None
        Non-negative weights with a positive sum.
    l2 : float
        Penalty strength ``1 / (C * S)``; 0 for no penalty.
    fit_intercept : bool
        Whether ``theta`` ends with (unpenalised) intercepts.
    weight_sum : float, default=None
        The ``S`` that divides the sums over samples; by default the weight of
        ``X``'s own samples. A chunk of a larger data set passes the data set's
        ``S`` (with ``l2=0``), so that the chunks' values add up to the whole.
    """

    def __init__(
        self,
        X,
        y,
        n_classes,
        *,
        sample_weight=None,
        l2,
        fit_intercept,
        weight_sum=None,
    ):
        self.X = X
        self.sparse = sp.issparse(X)
        self.y = np.asarray(y, dtype=np.intp)
        self.n_classes = int(n_classes)
        self.binary = self.n_classes == 2
        self.n_rows = 1 if self.binary else self.n_classes
        self.n_samples, self.n_features = X.shape
        self.fit_intercept = bool(fit_intercept)
        self.l2 = float(l2)
        self.dtype = X.dtype
        if sample_weight is None and weight_sum is None:
            # Blocks are summed plainly and the totals scaled by 1/n.
            self.weights = self._weights64 = None
        else:
            if sample_weight is None:
                sample_weight = np.ones(X.shape[0])
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            if weight_sum is None:
                weight_sum = sample_weight.sum()
            self._weights64 = sample_weight / weight_sum  # for loss sums
            self.weights = self._weights64.astype(X.dtype)  # to scale P - Y
        if self.binary:
            self.y_float = self.y.astype(X.dtype)
        self._ones_k = np.ones(self.n_classes, dtype=X.dtype)
        if self.sparse:
            # Sparse products gain nothing from cache blocking: one block a thread.
            self._rows_per_block = max(1, self.n_samples)
        else:
            row_bytes = (self.n_features + 2 * self.n_classes) * X.dtype.itemsize
            self._rows_per_block = max(64, _BLOCK_BYTES // row_bytes)
        self.precondition = self._worth_preconditioning()
        self._blocks = {}  # (lo, hi) -> sparse row block of X
        self._squares = {}  # (lo, hi) -> sparse block squared elementwise

    def _worth_preconditioning(self) -> bool:
        """Whether Newton-CG should get the Hessian's diagonal (Jacobi).

        It pays where feature scales differ (sparse data, unscaled columns) and
        costs a third matrix product per Newton step for nothing where they do
        not (standardised data); measured in benchmarks/.
        """
        if self.sparse:
            return True
        if self.n_samples == 0 or self.n_features == 0:
            return False
        scales = np.einsum("ij,ij->j", self.X, self.X, dtype=np.float64)
        scales = scales[scales > 0]
        return bool(scales.size and scales.max() > _SCALE_SPREAD * scales.min())

    # ----------------------------------------------------------- parameter layout

    @property
    def n_params(self) -> int:
        return self.n_rows * (self.n_features + self.fit_intercept)

    def unpack(self, theta):
        """Views ``(W, b)`` of ``theta``; ``b`` is None without an intercept."""
        W = theta[: self.n_rows * self.n_features].reshape(self.n_rows, -1)
        b = theta[self.n_rows * self.n_features :] if self.fit_intercept else None
        return W, b

    def centre_classes(self, theta):
        """``theta`` minus its mean over classes, per feature and for ``b``.

        The projection onto the subspace where the class sums are zero, which
        holds the optimum, the gradients and the Hessian products: "add the same
        vector to every class" leaves the data's loss unchanged (its curvature is
        the penalty ``l2`` alone, or 0 for the intercepts). Conjugate gradients
        preconditioned by the per-class diagonal would be pushed along that
        direction; centring the preconditioned residual keeps them in the
        subspace. The identity for two classes (one row).
        """
        if self.binary:
            return theta
        W, b = self.unpack(theta)
        return self.pack(W - W.mean(axis=0), None if b is None else b - b.mean())

    def pack(self, W, b=None):
        """``theta`` for coefficients ``W`` and intercepts ``b``."""
        parts = [np.asarray(W, dtype=np.float64).ravel()]
        if self.fit_intercept:
            parts.append(np.asarray(b, dtype=np.float64).ravel())
        return np.concatenate(parts)

    # ------------------------------------------------------------ public methods

    def loss(self, theta) -> float:
        """F at ``theta``."""
        return self._evaluate(theta, want_gradient=False)[0]

    def loss_gradient(self, theta) -> tuple[float, np.ndarray]:
        """F and its gradient at ``theta``, in one pass over X."""
        return self._evaluate(theta, want_gradient=True)[:2]

    def loss_gradient_hessp(self, theta) -> tuple[float, np.ndarray, Hessp, np.ndarray]:
        """F, its gradient, ``v -> H v`` and the Hessian's diagonal at ``theta``.

        The probabilities at ``theta`` are kept (n x n_classes, or n for two
        classes) so that each product ``H v`` costs two more passes over X.
        """
        shape = (self.n_samples,) if self.binary else (self.n_classes, self.n_samples)
        curvature = np.empty(shape, dtype=self.dtype)
        value, gradient, diagonal = self._evaluate(
            theta, want_gradient=True, keep=curvature
        )
        return value, gradient, partial(self._hessp, curvature), diagonal

    def hessian(self, theta) -> np.ndarray:
        """The Hessian of F at ``theta`` as a dense (n_params x n_params) array.

        For the few-parameter problems where it is affordable (partial_fit's
        pass-level Newton steps): with ``Xa = [X, 1]`` and ``w = s/S``, the
        (class c, class d) block is ``Xa^T diag(w (P_c delta_cd - P_c P_d)) Xa``,
        which is a sum of per-class weighted Gram matrices minus ``U^T U`` with
        ``U = sqrt(w) P (x) Xa`` row by row; ``l2`` is added on ``W``'s diagonal.
        """
        W, b = self.unpack(np.asarray(theta, dtype=np.float64))
        weights = (
            np.full(self.n_samples, 1.0 / max(self.n_samples, 1))
            if self._weights64 is None
            else self._weights64
        )
        q = self.n_features + self.fit_intercept
        H = np.zeros((self.n_rows * q, self.n_rows * q))
        # Blocks of rows keep U (rows x n_params) at 16 _BLOCK_BYTES at most: big
        # products run several times faster per flop than small ones (measured).
        step = max(1, 16 * _BLOCK_BYTES // (8 * H.shape[0]))
        for lo in range(0, self.n_samples, step):
            Xb = self._block(lo, min(lo + step, self.n_samples))
            Xb = np.asarray(Xb.toarray() if self.sparse else Xb, dtype=np.float64)
            if self.fit_intercept:
                Xb = np.hstack([Xb, np.ones((Xb.shape[0], 1))])
            wb = weights[lo : lo + step]
            Z = Xb @ (W.T if b is None else np.vstack([W.T, b]))
            if self.binary:
                p = expit(Z[:, 0])
                H += (Xb * (wb * p * (1.0 - p))[:, None]).T @ Xb
                continue
            P = softmax(Z, axis=1)
            # Columns ordered (class, feature): U = sqrt(w) P (x) Xa row by row.
            V = (wb[:, None] * P)[:, :, None] * Xb[:, None, :]
            V = V.reshape(Xb.shape[0], -1)  # w P (x) Xa
            U = V / np.sqrt(np.maximum(wb, np.finfo(float).tiny))[:, None]
            H -= U.T @ U  # OpenBLAS's syrk (half the flops) is no faster here
            grams = Xb.T @ V  # every class's Xa^T diag(w P_c) Xa in one product
            for c in range(self.n_classes):
                block = slice(c * q, (c + 1) * q)
                H[block, block] += grams[:, block]
        # (class, augmented feature) order -> theta's [W.ravel(), b] order
        order = np.arange(self.n_rows * q).reshape(self.n_rows, q)
        order = np.concatenate(
            [order[:, : self.n_features].ravel(), order[:, self.n_features :].ravel()]
        )
        H = H[np.ix_(order, order)]
        H[np.diag_indices(W.size)] += self.l2
        return H

    # ------------------------------------------------------------- block driver

    def _map(self, kernel):
        """Sum ``kernel(lo, hi)`` over all blocks of rows, on threads."""
        n = self.n_samples
        n_blocks = -(-n // self._rows_per_block)
        n_threads = max_threads() if n >= _PARALLEL_MIN_ROWS else 1
        if self.sparse:
            n_blocks = n_threads  # one block a thread
        n_threads = max(1, min(n_threads, n_blocks))

        def run_chunk(chunk):
            start, stop = chunk
            return sum_parts(
                [
                    kernel(lo, min(lo + self._rows_per_block, stop))
                    for lo in range(start, stop, self._rows_per_block)
                ]
            )

        with np.errstate(all="ignore"):  # exp underflowing to 0 is intended
            parts = parallel_map(run_chunk, split_range(n, n_threads), n_threads)
        return sum_parts(parts)

    def _block(self, lo, hi):
        if not self.sparse:
            return self.X[lo:hi]
        if (lo, hi) not in self._blocks:
            self._blocks[lo, hi] = _csr_rows(self.X, lo, hi)
        return self._blocks[lo, hi]

    def _block_squared(self, lo, hi):
        if not self.sparse:
            return np.square(self.X[lo:hi])
        if (lo, hi) not in self._squares:
            self._squares[lo, hi] = self._block(lo, hi).power(2)
        return self._squares[lo, hi]

    def _block_weights(self, lo, hi):
        return None if self.weights is None else self.weights[lo:hi]

    def _block_loss(self, losses, lo, hi) -> float:
        if self._weights64 is None:
            return float(losses.sum(dtype=np.float64))
        return float(losses.astype(np.float64) @ self._weights64[lo:hi])

    def _mean(self, total):
        """A sum over samples, made the weighted mean (weights are pre-scaled)."""
        return total / self.n_samples if self.weights is None else total

    def _as_params(self, W_part, b_part, W=None):
        """``theta``-shaped vector of per-sample sums, averaged, plus ``l2 W``."""
        W_part = self._mean(W_part)
        if W is not None and self.l2:
            W_part = W_part + self.l2 * W
        if not self.fit_intercept:
            return np.ravel(W_part)
        return np.concatenate([np.ravel(W_part), np.ravel(self._mean(b_part))])

    # ---------------------------------------------------------------- products

    def _coefficients(self, W, b):
        """``W`` and ``b`` in X's dtype, laid out for the products."""
        W_x = W.astype(self.dtype)
        W_x = np.ascontiguousarray(W_x.T) if self.sparse else W_x
        return W_x, (None if b is None else b.astype(self.dtype)[:, None])

    def _logits(self, Xb, coefficients):
        """Logits of a block, class-major: ``Z^T = W Xb^T + b`` (rows x block)."""
        W_x, b_x = coefficients
        if self.sparse:
            Zt = np.ascontiguousarray((Xb @ W_x).T)
        else:
            Zt = W_x @ Xb.T
        if b_x is not None:
            Zt += b_x
        return Zt

    def _back_product(self, Rt, Xb):
        """``R^T Xb`` (rows x p) for a class-major ``Rt``, accumulated in float64."""
        if self.sparse:
            return np.asarray(Xb.T @ Rt.T, dtype=np.float64).T
        return (Rt @ Xb).astype(np.float64, copy=False)

    def _intercept_part(self, Rt):
        if not self.fit_intercept:
            return 0.0
        return (Rt @ np.ones(Rt.shape[1], dtype=Rt.dtype)).astype(np.float64)

    # ----------------------------------------------------------------- kernels

    def _evaluate(self, theta, *, want_gradient, keep=None):
        W, b = self.unpack(theta)
        kernel = self._binomial_block if self.binary else self._multinomial_block
        parts = self._map(
            partial(
                kernel,
                self._coefficients(W, b),
                want_gradient=want_gradient,
                keep=keep,
            )
        )
        value = self._mean(parts[0]) + 0.5 * self.l2 * float(np.vdot(W, W))
        if not want_gradient:
            return value, None, None
        gradient = self._as_params(parts[1], parts[2], W)
        diagonal = None
        if keep is not None and self.precondition:
            diagonal = self._as_params(parts[3], parts[4])
            diagonal[: W.size] += self.l2
        return value, gradient, diagonal

    def _multinomial_block(self, coefficients, lo, hi, *, want_gradient, keep):
        Xb = self._block(lo, hi)
        Zt = self._logits(Xb, coefficients)  # C-contiguous
        # Flat positions of the true classes: 1-D fancy indexing into a view is
        # several times cheaper than Zt[y, arange(n)].
        true_class = self.y[lo:hi] * (hi - lo) + np.arange(hi - lo)
        Zt_flat = Zt.reshape(-1)
        Zt -= Zt.max(axis=0)  # shifted logits, <= 0
        z_true = Zt_flat[true_class]
        np.exp(Zt, out=Zt)
        sums = self._ones_k @ Zt  # >= 1: the maximum contributes exp(0)
        loss = self._block_loss(np.log(sums) - z_true, lo, hi)
        if not want_gradient:
            return [loss]
        wb = self._block_weights(lo, hi)
        Zt *= 1.0 / sums  # now P^T
        parts = []
        if keep is not None:
            keep[:, lo:hi] = Zt
        if keep is not None and self.precondition:
            curvature = Zt * (1.0 - Zt)
            if wb is not None:
                curvature *= wb
            squared = self._block_squared(lo, hi)
            parts = [
                self._back_product(curvature, squared),
                self._intercept_part(curvature),
            ]
        Zt_flat[true_class] -= 1.0  # (P - Y)^T
        if wb is not None:
            Zt *= wb
        return [loss, self._back_product(Zt, Xb), self._intercept_part(Zt), *parts]

    def _binomial_block(self, coefficients, lo, hi, *, want_gradient, keep):
        Xb = self._block(lo, hi)
        yb = self.y_float[lo:hi]
        z = self._logits(Xb, coefficients)[0]
        loss = self._block_loss(np.logaddexp(0.0, z) - yb * z, lo, hi)
        if not want_gradient:
            return [loss]
        wb = self._block_weights(lo, hi)
        p = expit(z)
        parts = []
        if keep is not None:
            keep[lo:hi] = p * (1.0 - p)
        if keep is not None and self.precondition:
            curvature = keep[lo:hi] if wb is None else keep[lo:hi] * wb
            squared = self._block_squared(lo, hi)
            parts = [
                self._back_product(curvature[None], squared),
                self._intercept_part(curvature[None]),
            ]
        r = p - yb
        if wb is not None:
            r *= wb
        return [
            loss,
            self._back_product(r[None], Xb),
            self._intercept_part(r[None]),
            *parts,
        ]

    def _hessp(self, curvature, direction):
        V, c = self.unpack(np.asarray(direction, dtype=np.float64))
        kernel = self._binomial_hessp_block if self.binary else self._hessp_block
        parts = self._map(partial(kernel, curvature, self._coefficients(V, c)))
        return self._as_params(parts[0], parts[1], V)

    def _hessp_block(self, Pt, coefficients, lo, hi):
        Xb = self._block(lo, hi)
        Pb = Pt[:, lo:hi]
        Dt = self._logits(Xb, coefficients)  # U^T = V Xb^T + c
        Dt *= Pb
        Dt -= Pb * (self._ones_k @ Dt)  # P * U - P (P . U)
        wb = self._block_weights(lo, hi)
        if wb is not None:
            Dt *= wb
        return [self._back_product(Dt, Xb), self._intercept_part(Dt)]

    def _binomial_hessp_block(self, h, coefficients, lo, hi):
        Xb = self._block(lo, hi)
        d = self._logits(Xb, coefficients) * h[lo:hi]  # shape (1, block)
        wb = self._block_weights(lo, hi)
        if wb is not None:
            d *= wb
        return [self._back_product(d, Xb), self._intercept_part(d)]
