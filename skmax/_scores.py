"""The one conversion of classifier outputs into logits.

Every place in skmax that turns scores into logits calls :func:`as_logits`:

- ``(n, k)`` logits (``k >= 2``) are used as they are;
- a 1-D or ``(n, 1)`` array of binary decision values ``x`` becomes the logits
  ``(0, x)``, so that ``softmax((0, x) / T)[1] = sigmoid(x / T)``. (scikit-learn's
  temperature scaling uses ``(-x, x)``, i.e. ``sigmoid(2 x / T)``: its T is twice
  ours for the same fit.)
- probabilities (only when declared: nothing is guessed from the values) become
  ``log p``, with ``p`` clipped below at the smallest positive normal number of its
  dtype so that exact zeros give a finite logit (-708 in float64, -87 in float32).
  ``log p`` differs from the model's logits by a per-row constant, which softmax
  and temperature scaling ignore. A 1-D array of probabilities is ``P(classes_[1])``.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_array

INPUT_TYPES = ("logits", "probabilities")

# |row sum - 1| allowed for probabilities, here and in skmax.metrics. Probabilities
# computed in float32 and stored as float64 (as real model outputs often are) are
# off by up to ~1e-6; scores that are not probabilities are off by far more.
PROBABILITY_SUM_TOLERANCE = 1e-4


def as_logits(scores, input_type="logits", *, name="X"):
    """Validated ``(n, k)`` logits (float32 or float64) from classifier scores.

    Parameters
    ----------
    scores : array-like of shape (n_samples,), (n_samples, 1) or (n_samples, k)
        Decision values, logits or (with ``input_type="probabilities"``)
        probabilities.
    input_type : {"logits", "probabilities"}
        What ``scores`` are.
    name : str
        Name used in error messages.

    Returns
    -------
    ndarray of shape (n_samples, k)
        Read-only use only: for ``(n, k)`` logits this may be the input itself.
    """
    if input_type not in INPUT_TYPES:
        raise ValueError(f"input_type must be one of {INPUT_TYPES}, got {input_type!r}")
    scores = check_array(
        scores, ensure_2d=False, dtype=[np.float64, np.float32], input_name=name
    )
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores[:, 0]
    if scores.ndim != 1 and scores.ndim != 2:
        raise ValueError(f"{name} must be 1-D or 2-D, got shape {scores.shape}")
    if input_type == "logits":
        if scores.ndim == 1:
            return np.column_stack([np.zeros_like(scores), scores])
        return scores  # validated, never written to: no copy of the user's array
    if scores.ndim == 1:
        scores = np.column_stack([1 - scores, scores])
    _check_probabilities(scores, name)
    tiny = np.finfo(scores.dtype).tiny
    return np.log(np.maximum(scores, tiny))


def _check_probabilities(proba, name):
    if proba.min() < 0 or proba.max() > 1:
        raise ValueError(
            f"{name} was declared as probabilities but has values outside [0, 1] "
            f"(min {proba.min():.3g}, max {proba.max():.3g})"
        )
    sums = proba.sum(axis=1, dtype=np.float64)
    deviation = np.abs(sums - 1)
    if deviation.max() > PROBABILITY_SUM_TOLERANCE:
        row = int(deviation.argmax())
        raise ValueError(
            f"{name} was declared as probabilities but row {row} sums to "
            f"{sums[row]:.10g}, not 1 (tolerance {PROBABILITY_SUM_TOLERANCE:g})"
        )
