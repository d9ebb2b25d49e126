"""partial_fit's bookkeeping: which batches make the data set, and which solver runs.

The data set is a multiset of batches, known by their fingerprints: a batch
seen again is either a revisit (a new pass over the same data) or another copy
(the stream happens to repeat it), and only a complete pass tells the two apart.

- **Stream mode** (the start): averaged SGD, one step a batch
  (``skmax._solvers.AveragedSGD``); every batch adds a copy to the data set.
- When a batch already in the data set arrives, a **trial pass** starts: if the
  batches that follow revisit every copy in the data set (each fingerprint as
  many times as it has copies), they were a second pass. Unknown batches met on
  the way are new data (copies, part of the pass). During the trial, SGD goes
  on (the model the user sees) and the first Newton round is evaluated alongside
  at the model of the end of the first pass. A known batch beyond its count
  starts the trial again from that batch (a short second pass); after more
  restarts than the data set has batches, or once new data outweigh the data
  set, the trial ends: its revisits become copies, and the stream goes on.
- **Passes mode** (after a successful trial): one Newton step per complete pass
  (``skmax._pass_newton.PassNewton``). Unknown batches are new data; once they
  outweigh the data set of the pass's start, the stream mode returns, from the
  best model so far. A known batch beyond its count means the next pass began
  early: the round starts again at the same points (and after more restarts
  than the data set has batches, the stream mode returns).

Models with more than ``NEWTON_MAX_PARAMS`` parameters have no Newton steps and
keep no fingerprints: every batch is a copy, and passes shrink the penalty as
on a stream. The bookkeeping costs a few hundred bytes per distinct batch.
"""

from __future__ import annotations

from collections import Counter
from functools import partial

import numpy as np
import scipy.sparse as sp

from skmax._loss import LinearSoftmaxLoss
from skmax._pass_newton import PassNewton, batch_key, class_mean_projector
from skmax._solvers import AveragedSGD

# Newton steps hold a dense Hessian (n_params^2 floats, 50 MB at the limit) and
# solve with it once per pass; larger models stay with SGD.
NEWTON_MAX_PARAMS = 2500
# A pass's Hessian takes every row while that costs under HESSIAN_FLOPS (a few
# seconds at most), else every m-th row, with at least HESSIAN_ROWS_PER_PARAM
# rows per parameter; so its cost stops growing with the data.
HESSIAN_FLOPS = 2e10
HESSIAN_ROWS_PER_PARAM = 20
# Hessian rows are folded into its running sum once they hold about this many
# bytes of products (rows x n_params floats).
_BUFFER_BYTES = 1 << 26


def _summed_hessian(n_classes, fit_intercept, samples, theta):
    """The Hessian sum of samples ``(X, codes, weights)``, at ``theta``."""
    parts = [sample[0] for sample in samples]
    if any(sp.issparse(part) for part in parts):
        X = sp.vstack([sp.csr_matrix(part) for part in parts], format="csr")
    else:
        X = np.vstack(parts)
    codes, weights = (np.concatenate([s[i] for s in samples]) for i in (1, 2))
    loss = LinearSoftmaxLoss(
        X,
        codes,
        n_classes,
        sample_weight=weights,
        l2=0.0,
        fit_intercept=fit_intercept,
        weight_sum=1.0,  # sums: the round divides by its weight
    )
    return loss.hessian(theta)


class PartialFitState:
    """The data set seen by ``partial_fit`` so far, and the solver fitting it."""

    def __init__(self, start, n_classes, n_features, fit_intercept, C):
        self.n_classes, self.n_features = n_classes, n_features
        self.fit_intercept, self.C = fit_intercept, C
        rows = 1 if n_classes == 2 else n_classes
        # Models too large for Newton steps have no use for fingerprints.
        self.tracks_batches = rows * (n_features + fit_intercept) <= NEWTON_MAX_PARAMS
        self.copies = Counter()  # fingerprint -> copies in the data set
        self.key_stats = {}  # fingerprint -> the batch's (weight, rows, norms)
        self.n_copies = 0  # batches in the data set, copies included
        self.weight = 0.0  # S, the data set's total weight
        self.rows = 0
        self.squared_norms = 0.0
        self.n_batches = 0
        self.sgd = AveragedSGD(start)
        self.trial = None  # Counter of the trial pass's fingerprints
        self.newton = None

    @property
    def l2(self) -> float:
        return 0.0 if np.isinf(self.C) else 1.0 / (self.C * self.weight)

    @property
    def theta(self) -> np.ndarray:
        """The model to show: SGD's average, or the best point of the passes."""
        return self.sgd.average if self.newton is None else self.newton.anchor

    def update(self, X, codes, weights):
        """Take one batch (validated; ``weights`` an array, ones if none)."""
        self.n_batches += 1
        if not self.tracks_batches:
            self._add_copy(None, X, weights)
            self._sgd_step(X, codes, weights)
            return
        key = batch_key(X, codes, weights)
        if self.newton is not None:
            self._pass_step(key, X, codes, weights)
        else:
            self._stream_step(key, X, codes, weights)

    def _stream_step(self, key, X, codes, weights):
        """A batch in the stream mode (a trial pass included)."""
        counted = self.trial is not None and self._trial_step(key, X, codes, weights)
        if self.trial is not None and not counted:
            self._end_trial()
        if not counted:
            if key in self.copies:
                self._start_trial(key, X, codes, weights)
            else:
                self._add_copy(key, X, weights)
        if self.newton is None:  # not the batch that completed a trial pass
            self._sgd_step(X, codes, weights)

    # ----------------------------------------------------------------- helpers

    def _loss(self, X, codes, **kwargs):
        return LinearSoftmaxLoss(
            X, codes, self.n_classes, fit_intercept=self.fit_intercept, **kwargs
        )

    def _add_copy(self, key, X, weights, count=1):
        """Add ``count`` copies of a batch to the data set (key None: untracked)."""
        stats = self.key_stats.get(key)
        if stats is None:
            squared = (
                np.asarray(X.multiply(X).sum(axis=1)).ravel()
                if sp.issparse(X)
                else np.einsum("ij,ij->i", X, X, dtype=np.float64)
            )
            stats = (
                float(weights.sum()),
                X.shape[0],
                float(weights @ (squared + self.fit_intercept)),
            )
            if key is not None:
                self.key_stats[key] = stats
        weight, rows, squared_norms = stats
        if key is not None:
            self.copies[key] += count
        self.n_copies += count
        self.weight += count * weight
        self.rows += count * rows
        self.squared_norms += count * squared_norms

    def _sgd_step(self, X, codes, weights):
        loss = self._loss(X, codes, sample_weight=weights, l2=self.l2)
        _, gradient = loss.loss_gradient(self.sgd.theta)
        lipschitz = 0.5 * self.squared_norms / self.weight + self.l2
        if lipschitz == 0:  # all-zero rows and no penalty: nothing to learn
            return
        # A batch lighter than the mean takes a proportionally shorter step, so
        # that a few rows cannot move the model as far as a full batch (heavier
        # ones keep the full step, which is the stable one).
        share = float(weights.sum()) * self.n_copies / self.weight
        self.sgd.step(gradient, lipschitz / min(1.0, share))

    def _new_newton(self, theta):
        n_params = theta.size
        penalised = np.zeros(n_params, dtype=bool)
        binary = self.n_classes == 2
        penalised[: (1 if binary else self.n_classes) * self.n_features] = True
        flat = None
        if not binary:
            flat = partial(
                class_mean_projector,
                self.n_classes,
                self.n_features,
                self.fit_intercept,
            )
        return PassNewton(
            theta,
            penalised,
            flat,
            partial(_summed_hessian, self.n_classes, self.fit_intercept),
            buffer_rows=max(64, _BUFFER_BYTES // (8 * n_params)),
        )

    def _visit(self, newton, X, codes, weights):
        """Add a batch to the Newton round: sums at its points, Hessian rows."""
        # Sums, not means: the round adds them up.
        loss = self._loss(X, codes, sample_weight=weights, l2=0.0, weight_sum=1.0)
        budget = max(
            HESSIAN_ROWS_PER_PARAM * loss.n_params, HESSIAN_FLOPS / loss.n_params**2
        )
        stride = max(1, int(self.rows // budget))
        # Every stride-th row of the pass, wherever the batches start.
        rows = np.arange((-self._pass_rows) % stride, X.shape[0], stride)
        self._pass_rows += X.shape[0]
        sample = (X[rows], codes[rows], weights[rows] * float(stride))
        newton.visit(float(weights.sum()), loss.loss_gradient, sample, rows.size)

    def _start_pass(self):
        """After a completed round (or at a trial's start)."""
        self._restart_pass()
        self._restarts = 0
        self._pass_new_weight = 0.0
        self._pass_start_weight = self.weight

    def _restart_pass(self):
        """The next pass began early: count again (new data stays counted)."""
        self._pass_rows = 0
        self._pass_seen = Counter()
        self._pass_count = 0

    def _new_data(self, key, X, weights):
        """A batch the data set has no copy of, met during a pass: add it.

        True once a pass has brought more new data than the data set held at
        its start: the stream has moved on.
        """
        self._add_copy(key, X, weights)
        self._pass_new_weight += self.key_stats[key][0]
        return self._pass_new_weight > self._pass_start_weight

    def _to_stream(self, theta):
        """Back to SGD from ``theta``, averaging on as if SGD had run all along."""
        self.sgd = AveragedSGD(theta, n_updates=self.n_batches)
        self.newton = self.trial = self._trial_newton = None

    # --------------------------------------------------------------- the trial

    def _start_trial(self, key, X, codes, weights):
        # The first Newton round, at the model at the end of the first pass.
        self._trial_newton = self._new_newton(self.sgd.average.copy())
        self.trial, self._trial_added = Counter(), Counter()
        self._trial_dropped = Counter()  # revisits of restarted attempts
        self._start_pass()
        self._trial_step(key, X, codes, weights)

    def _trial_step(self, key, X, codes, weights):
        """Count a batch into the trial; False if no copy of it is left to revisit."""
        if key not in self.copies:  # new data in the second pass: one more copy
            moved_on = self._new_data(key, X, weights)
            self._trial_added[key] += 1
            if moved_on:
                self._end_trial()
                return True
        elif self.trial[key] >= self.copies[key]:
            # The pass may have begun again early (a short second pass): start
            # the trial again from this batch, a bounded number of times.
            self._restarts += 1
            if self._restarts > self.n_copies:
                return False
            self._trial_dropped += self.trial - self._trial_added
            self.trial, self._trial_added = Counter(), Counter()
            self._trial_newton.start_round()
            self._restart_pass()
        self.trial[key] += 1
        self._pass_count += 1
        self._visit(self._trial_newton, X, codes, weights)
        if self._pass_count == self.n_copies:  # a whole second pass
            self.newton, self.trial = self._trial_newton, None
            self.newton.finish_round(self.l2)
            self._start_pass()
        return True

    def _end_trial(self):
        """The trial's batches were not a pass: they are copies, as in a stream."""
        revisits = self.trial - self._trial_added + self._trial_dropped
        for key, count in revisits.items():
            self._add_copy(key, None, None, count)
        self.trial = self._trial_newton = None

    # -------------------------------------------------------------- the passes

    def _pass_step(self, key, X, codes, weights):
        newton = self.newton
        if key not in self.copies:
            if self._new_data(key, X, weights):
                self._to_stream(newton.anchor)
                self._sgd_step(X, codes, weights)
                return
        elif self._pass_seen[key] >= self.copies[key]:
            # Seen as often as the data set has it: the next pass has begun
            # before this one was complete. Start the round again, same points.
            self._restarts += 1
            if self._restarts > self.n_copies:  # never complete: not passes
                self._to_stream(newton.anchor)
                self._stream_step(key, X, codes, weights)
                return
            newton.start_round()
            self._restart_pass()
        self._pass_seen[key] += 1
        self._pass_count += 1
        self._visit(newton, X, codes, weights)
        if self._pass_count == self.n_copies:  # the pass is complete
            newton.finish_round(self.l2)
            self._start_pass()
