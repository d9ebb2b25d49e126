"""Dask arrays: the same objectives, reduced chunk by chunk on the workers.

A Dask array chunked by rows is a sum of chunks as far as every objective here is
concerned: the loss, gradient, Hessian-vector product and Hessian diagonal of
``SoftmaxRegression`` and the NLL derivatives of ``TemperatureScaler`` are sums
over samples. Each is computed on the workers, one task per chunk with the
in-memory code (``LinearSoftmaxLoss``, ``TemperatureObjective``), and only the
per-chunk results (the size of the coefficients, or three numbers) travel to the
driver, which adds them up and runs the same solver as in memory. Nothing is
persisted: every pass recomputes the chunks from the graph, so data larger than
the cluster's memory (generated or read chunk by chunk) can be fitted.

A Hessian-vector product recomputes the probabilities at the current iterate on
each chunk instead of keeping them on the workers: three matrix products per
chunk instead of two, in exchange for holding nothing between passes.
"""

from __future__ import annotations

import sys

import numpy as np

from skmax._loss import LinearSoftmaxLoss, sum_parts
from skmax._temperature import TemperatureObjective


def is_dask_array(obj) -> bool:
    """Whether ``obj`` is a ``dask.array.Array`` (without importing Dask)."""
    if "dask.array" not in sys.modules:
        return False
    import dask.array as da

    return isinstance(obj, da.Array)


def _row_blocks(*arrays):
    """The arrays' row chunks as lists of delayed objects, aligned by row."""
    import dask.array as da

    first = arrays[0]
    if first.ndim == 2 and first.numblocks[1] != 1:
        first = first.rechunk({1: -1})
    aligned = [first] + [
        None if a is None else da.asarray(a).rechunk({0: first.chunks[0]})
        for a in arrays[1:]
    ]
    return [None if a is None else list(a.to_delayed().ravel()) for a in aligned]


# --------------------------------------------------------- SoftmaxRegression


def _chunk_objective(X, y, w, *, n_classes, weight_sum, fit_intercept, precondition):
    """The chunk's share of the data term (no penalty), normalised by the total S."""
    loss = LinearSoftmaxLoss(
        X.tocsr() if hasattr(X, "tocsr") else X,
        y,
        n_classes,
        sample_weight=w,
        l2=0.0,
        fit_intercept=fit_intercept,
        weight_sum=weight_sum,
    )
    loss.precondition = precondition  # decided once for the whole data set
    return loss


def _chunk_loss(X, y, w, theta, *, want, **options):
    loss = _chunk_objective(X, y, w, **options)
    if want == "loss":
        return [loss.loss(theta)]
    if want == "gradient":
        return list(loss.loss_gradient(theta))
    value, gradient, _, diagonal = loss.loss_gradient_hessp(theta)
    return [value, gradient, diagonal]


def _chunk_hessp(X, y, w, theta, direction, **options):
    loss = _chunk_objective(X, y, w, **options)
    return [loss.loss_gradient_hessp(theta)[2](direction)]


def _worth_preconditioning(X) -> bool:
    """``LinearSoftmaxLoss``'s rule, applied to the whole Dask array at once."""
    import scipy.sparse as sp

    from skmax._loss import _SCALE_SPREAD

    if sp.issparse(getattr(X, "_meta", None)):
        return True
    scales = np.asarray((X.astype(np.float64) ** 2).sum(axis=0).compute())
    scales = scales[scales > 0]
    return bool(scales.size and scales.max() > _SCALE_SPREAD * scales.min())


class DaskLinearSoftmaxLoss:
    """``LinearSoftmaxLoss``'s interface for Dask arrays X, y (and weights).

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        Chunked by rows; chunks may be NumPy arrays or SciPy sparse matrices.
    y : dask.array.Array of shape (n_samples,)
        Class codes ``0 .. n_classes - 1``.
    n_classes : int
    sample_weight : dask.array.Array or None
    weight_sum : float
        Total sample weight S (n without weights).
    l2 : float
    fit_intercept : bool
    """

    def __init__(
        self, X, y, n_classes, *, sample_weight, weight_sum, l2, fit_intercept
    ):
        self._X, self._y, self._w = _row_blocks(X, y, sample_weight)
        if self._w is None:
            self._w = [None] * len(self._X)
        self.n_classes = int(n_classes)
        self.binary = self.n_classes == 2
        self.n_rows = 1 if self.binary else self.n_classes
        self.n_features = X.shape[1]
        self.fit_intercept = bool(fit_intercept)
        self.l2 = float(l2)
        self._options = {
            "n_classes": self.n_classes,
            "weight_sum": float(weight_sum),
            "fit_intercept": self.fit_intercept,
            "precondition": _worth_preconditioning(X),
        }
        # unpack / pack are those of the in-memory loss with the same layout.
        template = LinearSoftmaxLoss(
            np.zeros((1, self.n_features)),
            np.zeros(1, dtype=int),
            self.n_classes,
            l2=0.0,
            fit_intercept=self.fit_intercept,
        )
        self.n_params = template.n_params
        self.unpack, self.pack = template.unpack, template.pack
        self.centre_classes = template.centre_classes

    def _reduce(self, function, *args, **options):
        import dask

        tasks = [
            dask.delayed(function)(X, y, w, *args, **self._options, **options)
            for X, y, w in zip(self._X, self._y, self._w, strict=True)
        ]
        return sum_parts(dask.compute(*tasks))

    def _penalty(self, theta):
        W, _ = self.unpack(theta)
        return W

    def loss(self, theta) -> float:
        (value,) = self._reduce(_chunk_loss, theta, want="loss")
        W = self._penalty(theta)
        return float(value) + 0.5 * self.l2 * float(np.vdot(W, W))

    def loss_gradient(self, theta):
        value, gradient = self._reduce(_chunk_loss, theta, want="gradient")
        W = self._penalty(theta)
        gradient = gradient.copy()
        gradient[: W.size] += self.l2 * W.ravel()
        return float(value) + 0.5 * self.l2 * float(np.vdot(W, W)), gradient

    def loss_gradient_hessp(self, theta):
        value, gradient, diagonal = self._reduce(_chunk_loss, theta, want="hessp")
        W = self._penalty(theta)
        gradient = gradient.copy()
        gradient[: W.size] += self.l2 * W.ravel()
        if diagonal is not None:
            diagonal = diagonal.copy()
            diagonal[: W.size] += self.l2

        def hessp(direction):
            (product,) = self._reduce(_chunk_hessp, theta, direction)
            product = product.copy()
            product[: W.size] += self.l2 * self.unpack(direction)[0].ravel()
            return product

        value = float(value) + 0.5 * self.l2 * float(np.vdot(W, W))
        return value, gradient, hessp, diagonal


# --------------------------------------------------------- TemperatureScaler


def _chunk_temperature(logits, codes, weights, beta):
    """Weight of the chunk times its (L, L', L''), or its summary at beta=None."""
    weight = float(len(codes) if weights is None else np.sum(weights))
    if weight == 0:  # an empty or zero-weight chunk adds nothing
        return [np.zeros(2), np.array([True])] if beta is None else [np.zeros(3)]
    objective = TemperatureObjective(logits, codes, weights)
    if beta is None:
        return [
            np.array([weight, weight * objective.slope_at_zero]),
            np.array([objective.separable]),
        ]
    return [weight * np.array(objective.derivatives(beta))]


class DaskTemperatureObjective:
    """``TemperatureObjective``'s interface for Dask arrays of logits and labels.

    Each call of :meth:`derivatives` is one distributed reduction over the chunks.
    """

    def __init__(self, logits, y, sample_weight, dtype):
        import dask

        self._logits, self._y, self._w = _row_blocks(logits, y, sample_weight)
        if self._w is None:
            self._w = [None] * len(self._logits)
        self.dtype = np.dtype(dtype)
        summaries = dask.compute(*self._tasks(None))
        weights, separable = zip(*summaries, strict=True)
        total = np.sum(weights, axis=0)
        if not total[0] > 0:
            raise ValueError("Sample weights sum to zero: nothing to fit.")
        self.weight_sum = float(total[0])
        self.slope_at_zero = float(total[1]) / self.weight_sum
        self.separable = bool(np.all(separable))

    def _tasks(self, beta):
        import dask

        return [
            dask.delayed(_chunk_temperature)(Z, y, w, beta)
            for Z, y, w in zip(self._logits, self._y, self._w, strict=True)
        ]

    def derivatives(self, beta):
        import dask

        parts = dask.compute(*self._tasks(beta))
        total = np.sum([part[0] for part in parts], axis=0) / self.weight_sum
        return float(total[0]), float(total[1]), float(total[2])


# ------------------------------------------------------------- predictions


def map_rows(method, X, n_columns, dtype):
    """``method`` applied to each row chunk of the Dask array X, lazily.

    ``n_columns=None`` means one value per row (a 1-D result).
    """
    if X.ndim == 2 and X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    if n_columns is None:
        return X.map_blocks(
            method, dtype=dtype, drop_axis=1, meta=np.empty((0,), dtype=dtype)
        )
    return X.map_blocks(
        method,
        dtype=dtype,
        chunks=(X.chunks[0], (n_columns,)),
        meta=np.empty((0, n_columns), dtype=dtype),
    )


def _all_finite(block):
    data = block.data if hasattr(block, "tocsr") else block
    return np.array([bool(np.all(np.isfinite(data)))])


def check_finite(X, name="X"):
    """Raise like scikit-learn if a Dask array holds NaN or infinity (one pass)."""
    import dask

    (blocks,) = _row_blocks(X)
    if not all(dask.compute(*[dask.delayed(_all_finite)(b) for b in blocks])):
        raise ValueError(f"Input {name} contains NaN or infinity.")
