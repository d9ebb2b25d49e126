"""Newton's method for a data set that arrives in batches, one step per pass.

``SoftmaxRegression.partial_fit`` switches to it once batches come round again
(the usual way to fit data that do not fit in memory: pass after pass over the
same chunks). A stochastic method cannot reach ``fit``'s optimum in ten passes on
an ill-conditioned problem (it is first order, and its gradient noise does not
average out); Newton's method needs about as many iterations, and one pass gives
everything an iteration needs:

- every batch adds, at each point of the current round, its loss and gradient
  (the points are the anchor plus the steps in ``STEPS`` along the round's
  Newton direction: a line search evaluated in the same pass);
- and its rows (a subsample when the data set has many more rows than the
  dense Hessian has columns: subsampled Newton) go into the Hessian at the full
  step, folded into a running sum a few megabytes at a time.

When every batch of the data set has been visited, the round is over: the best
point becomes the anchor (so the objective never increases from round to
round) and its Newton direction, ``-(H + l2)^{-1} g``, the next round's. The
Hessian belongs to the full step, which is the best point near the optimum; far
from it the line search keeps the objective from increasing whatever the
Hessian.
"""

from __future__ import annotations

import hashlib

import numpy as np
import scipy.linalg as sl
import scipy.sparse as sp

# Step lengths along the Newton direction, all evaluated in one pass; 0 keeps the
# anchor, so a round never makes the objective worse.
STEPS = np.array([1.0, 0.5, 0.25, 0.125, 1 / 16, 1 / 64, 0.0])


def batch_key(X, y, weights) -> bytes:
    """A fingerprint of a batch (its values, labels and weights), to know it again.

    The values are hashed as float64, and sparse matrices in canonical CSR form:
    the same batch is the same in float32 or float64, and in CSR or CSC (a dense
    batch and its sparse copy differ).
    """
    digest = hashlib.blake2b(digest_size=16)
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=np.float64, copy=True)
        X.sum_duplicates()  # sorts the indices too, in the copy
        X.eliminate_zeros()
        parts = [X.data, X.indices.astype(np.int64), X.indptr.astype(np.int64)]
    else:
        parts = [np.asarray(X, dtype=np.float64)]
    digest.update(repr(X.shape).encode())
    for part in [*parts, np.asarray(y, dtype=np.int64), np.asarray(weights, float)]:
        digest.update(np.ascontiguousarray(part).view(np.uint8).reshape(-1))
    return digest.digest()


def class_mean_projector(n_classes, n_features, fit_intercept) -> np.ndarray:
    """The matrix of ``theta -> its class means`` (for multinomial ``theta``).

    It projects onto "add the same vector to every class", the directions the
    loss does not see: per feature of ``W`` and for ``b``, each class gets the
    mean over the classes.
    """
    means = np.full((n_classes, n_classes), 1.0 / n_classes)
    blocks = [np.kron(means, np.eye(n_features))]
    if fit_intercept:
        blocks.append(means)
    return sl.block_diag(*blocks)


class PassNewton:
    """Rounds of Newton's method, each round one pass over the batches.

    Parameters
    ----------
    theta : ndarray of shape (n_params,)
        The starting point.
    penalised : ndarray of bool, shape (n_params,)
        The parameters that carry the penalty ``l2 / 2 ||theta||^2``.
    flat : callable or None
        Returns the projector onto the directions the loss does not see ("add
        the same vector to every class"); added to the Hessian, it makes the
        Newton system positive definite without changing the (centred)
        direction. Built when needed rather than stored (n_params^2 floats).
    hessian : callable
        ``hessian(samples, theta)``: the summed Hessian (without the penalty) of
        a list of the samples passed to ``visit``, at ``theta``.
    buffer_rows : int
        Samples are folded into the Hessian's sum once they hold this many rows,
        so a round keeps a bounded number of rows, not the data.
    """

    def __init__(self, theta, penalised, flat, hessian, buffer_rows):
        self.anchor = np.array(theta, dtype=np.float64)
        self.direction = None
        self.penalised = penalised
        self.flat = flat
        self._hessian = hessian
        self.buffer_rows = buffer_rows
        self.n_rounds = 0
        self.start_round()

    def start_round(self):
        """Start the round (again): sums emptied, same points.

        ``points`` are the points evaluated in the round, one a row; the first
        gets the Hessian.
        """
        if self.direction is None:
            self.points = self.anchor[None]
        else:
            self.points = self.anchor + STEPS[:, None] * self.direction
        n_points, n_params = len(self.points), self.anchor.size
        self.weight = 0.0
        self.values = np.zeros(n_points)
        self.gradients = np.zeros((n_points, n_params))
        self.hessian = None  # allocated at the first fold: pickles stay small
        self._samples, self._buffered = [], 0

    def _fold_samples(self):
        if self._buffered:
            part = self._hessian(self._samples, self.points[0])
            self.hessian = part if self.hessian is None else self.hessian + part
        self._samples, self._buffered = [], 0

    def visit(self, weight, loss_gradient, sample, sample_rows):
        """Add one batch to the round.

        ``loss_gradient(theta)`` returns the batch's weighted loss sum and its
        gradient, without the penalty; ``sample`` (``sample_rows`` rows of the
        batch, weighted to stand for all of it) goes into the Hessian.
        """
        for j, point in enumerate(self.points):
            value, gradient = loss_gradient(point)
            self.values[j] += value
            self.gradients[j] += gradient
        if sample_rows:
            self._samples.append(sample)
            self._buffered += sample_rows
        if self._buffered >= self.buffer_rows:
            self._fold_samples()
        self.weight += weight

    def finish_round(self, l2):
        """The best point becomes the anchor, its Newton direction the next round's.

        ``l2`` is the penalty, with the losses averaged over the round's weight.
        """
        self._fold_samples()
        points = self.points
        penalty = np.where(self.penalised, l2, 0.0)
        values = self.values / self.weight + 0.5 * (points**2) @ penalty
        values[~np.isfinite(values)] = np.inf  # overflow: never the best point
        # The longest step within rounding of the best value: near the optimum
        # the values tie, and the full Newton step is the one to take.
        best = int(np.argmax(values <= values.min() + 1e-13 * abs(values.min())))
        gradient = self.gradients[best] / self.weight + penalty * points[best]
        n_params = self.anchor.size
        hessian = (
            np.zeros((n_params, n_params))
            if self.hessian is None
            else self.hessian / self.weight
        )
        hessian[np.diag_indices_from(hessian)] += penalty
        if self.flat is not None:
            hessian += max(float(np.mean(np.diag(hessian))), 1e-12) * self.flat()
        self.anchor = points[best].copy()
        self.value, self.gradient = float(values[best]), gradient
        if not (np.all(np.isfinite(hessian)) and np.all(np.isfinite(gradient))):
            self.direction = np.zeros_like(gradient)  # keep the anchor
        else:
            try:
                self.direction = -sl.cho_solve(sl.cho_factor(hessian), gradient)
            except np.linalg.LinAlgError:  # singular (no penalty, separable data)
                self.direction = -np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        self.n_rounds += 1
        self.start_round()
