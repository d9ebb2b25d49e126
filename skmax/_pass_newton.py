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
- and, when the data set has many more rows than the dense Hessian has
  columns, only a subsample of its rows goes into the Hessian at the full step
  (subsampled Newton), computed once at the end of the round.

When a batch of the current round comes again, the round is over: the best
point becomes the anchor (so the objective never increases from round to
round) and its Newton direction, ``-(H + l2)^{-1} g``, the next round's. The
Hessian belongs to the full step, which is the best point near the optimum.
"""

from __future__ import annotations

import hashlib

import numpy as np
import scipy.linalg as sl
import scipy.sparse as sp

# Step lengths along the Newton direction, all evaluated in one pass; 0 keeps the
# anchor, so a round never makes the objective worse.
STEPS = np.array([1.0, 0.5, 0.25, 0.125, 1 / 16, 1 / 64, 0.0])


def batch_key(X, y, sample_weight) -> bytes:
    """A fingerprint of a batch, to know it when it comes again."""
    digest = hashlib.blake2b(digest_size=16)
    parts = [X.data, X.indices, X.indptr] if sp.issparse(X) else [X]
    parts += [y] + ([] if sample_weight is None else [sample_weight])
    digest.update(repr(X.shape).encode())
    for part in parts:
        part = np.ascontiguousarray(part)
        digest.update(part.dtype.str.encode())
        digest.update(part.view(np.uint8).reshape(-1))
    return digest.digest()


class PassNewton:
    """Rounds of Newton's method, each round one pass over the batches.

    Parameters
    ----------
    theta : ndarray of shape (n_params,)
        The starting point.
    penalised : ndarray of bool, shape (n_params,)
        The parameters that carry the penalty ``l2 / 2 ||theta||^2``.
    flat : ndarray of shape (n_params, n_params) or None
        The projector onto the directions the loss does not see ("add the same
        vector to every class"); added to the Hessian, it makes the Newton
        system positive definite without changing the (centred) direction.
    """

    def __init__(self, theta, penalised, flat):
        self.anchor = np.array(theta, dtype=np.float64)
        self.direction = None
        self.penalised = penalised
        self.flat = flat
        self.n_rounds = 0
        self._start_round()

    @property
    def points(self) -> np.ndarray:
        """The points evaluated in this round, one a row; the first gets the Hessian."""
        if self.direction is None:
            return self.anchor[None]
        return self.anchor + STEPS[:, None] * self.direction

    def _start_round(self):
        n_points, n_params = len(self.points), self.anchor.size
        self.keys = set()
        self.weight = 0.0
        self.values = np.zeros(n_points)
        self.gradients = np.zeros((n_points, n_params))
        self.hessian_rows = []

    def visit(self, key, weight, loss_gradient, hessian_rows):
        """Add one batch to the round.

        ``loss_gradient(theta)`` returns the batch's weighted loss sum and its
        gradient, without the penalty; ``hessian_rows`` is kept for
        ``finish_round``'s ``hessian`` (the batch's rows in the Hessian's
        subsample).
        """
        for j, point in enumerate(self.points):
            value, gradient = loss_gradient(point)
            self.values[j] += value
            self.gradients[j] += gradient
        self.hessian_rows.append(hessian_rows)
        self.keys.add(key)
        self.weight += weight

    def finish_round(self, l2, hessian):
        """The best point becomes the anchor, its Newton direction the next round's.

        ``l2`` is the penalty, with the losses averaged over the round's weight;
        ``hessian(rows, theta)`` the summed Hessian (without the penalty) of the
        round's subsample at ``theta``, the full step.
        """
        points = self.points
        penalty = np.where(self.penalised, l2, 0.0)
        values = self.values / self.weight + 0.5 * (points**2) @ penalty
        best = int(np.argmin(values))
        gradient = self.gradients[best] / self.weight + penalty * points[best]
        hessian = hessian(self.hessian_rows, points[0]) / self.weight
        hessian[np.diag_indices_from(hessian)] += penalty
        if self.flat is not None:
            hessian += max(float(np.mean(np.diag(hessian))), 1e-12) * self.flat
        self.anchor = points[best].copy()
        self.value, self.gradient = float(values[best]), gradient
        try:
            self.direction = -sl.cho_solve(sl.cho_factor(hessian), gradient)
        except np.linalg.LinAlgError:  # singular (no penalty, separable data)
            self.direction = -np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        self.n_rounds += 1
        self._start_round()
