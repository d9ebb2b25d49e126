"""SoftmaxRegression against scikit-learn's LogisticRegression: fit time and quality.

Run with ``python -m benchmarks regression [--repeats N] [--quick]`` (default 3
repeats: each fit takes seconds). Results go to
``benchmarks/results/regression.json``.

Candidates, all at ``C=1.0``, ``tol=1e-4`` and ``max_iter=1000`` (a budget nobody
reaches on these problems, so every solver stops on its own rule):

- ``skmax auto``: ``skmax.SoftmaxRegression(solver="auto")`` (the solver that
  ``"auto"`` resolved to is in the ``solver`` column);
- ``skmax lbfgs``: ``skmax.SoftmaxRegression(solver="lbfgs")``;
- ``sklearn lbfgs`` and ``sklearn newton-cg``: ``LogisticRegression`` with that
  solver (multinomial, the default for three or more classes).

Problems (train/test by ``train_test_split(test_size=0.2, random_state=0)``; the
sizes in the tables are of the training split):

(a) ``digits``: ``load_digits``, standardised (StandardScaler fitted on the training
    split);
(b) ``classif``: ``make_classification(n_samples=200_000, n_features=100,
    n_informative=60, n_classes=10, random_state=0)``, standardised, so 160,000
    training rows;
(c) ``sparse``: a 100,000 x 20,000 CSR matrix of density 1e-3 (standard normal
    entries) with 20 classes drawn from a planted softmax model: ``W`` of shape
    (20, 20,000) with N(0, 3^2) entries, logits ``Z = X W^T`` and each label drawn
    from ``softmax(Z_i)`` (by the Gumbel-max trick, with a seeded generator);
(d) ``classif32``: problem (b) cast to float32 after standardising.

``--quick`` uses 20,000 rows for (b) and (d) and 10,000 x 2,000 for (c), at density
0.01 so that the rows keep about 20 non-zeros, as in the full problem.

For each problem and candidate the table gives:

- ``time``: median wall time of one full ``fit`` (a fresh clone each time) over
  ``repeats`` interleaved rounds (``_harness.interleaved_times``; ``3 * repeats``
  for the small problems: digits, and the sparse one with ``--quick``), and its
  IQR; each timed call follows a pause of ``PAUSE`` seconds, so that no candidate
  pays for the BLAS threads its predecessor left spinning (OpenBLAS's workers spin
  about 0.1 s after a multi-threaded call: without the pause, a gradient timed
  right after the two products below cost up to 2x its quiet time);
- ``/sk-lbfgs`` and ``/sk-best``: the median over scikit-learn lbfgs's median and over
  the fastest scikit-learn solver's median on that problem (below 1: faster);
- ``n_iter``: ``n_iter_`` of the fit;
- ``objective``: the exact objective ``F = mean log-loss + ||W||^2 / (2 C n)`` of the
  fitted coefficients, evaluated for every candidate by one and the same
  ``skmax._loss.LinearSoftmaxLoss`` built on the float64 training data (for float32
  problems, on the float64 version of the same float32 data), so that the numbers
  are comparable exactly; ``gap`` is ``(F - F_best) / F_best`` with ``F_best`` the
  smallest objective among the candidates, and ``max|grad|`` is the largest entry
  of the gradient of ``F`` there (the stopping rule of skmax);
- ``accuracy`` on the held-out split;
- ``peak MB``: peak extra memory (``_harness.peak_extra_memory``, tracemalloc) of
  one separate, untimed fit per candidate, done before the timed rounds (these
  fits are also the warm-up: the timed rounds have no other);
- ``warned``: whether any fit of the candidate raised a ``ConvergenceWarning``
  (warnings are caught, and so not printed, during all fits).

For (b) and (d) a second table compares one gradient evaluation with the two matrix
products that any gradient needs, ``W @ X.T`` (logits) and ``R @ X`` (back product)
for ``W`` (10 x 100) and ``R`` (10 x n) in X's dtype: the time of
``LinearSoftmaxLoss(X, y, 10, l2=1/n, fit_intercept=True).loss_gradient(theta)`` at a
random ``theta`` over the time of the two products (target: at most 1.5), and, for
context, the same ratio for scikit-learn's
``LinearModelLoss(HalfMultinomialLoss(10), fit_intercept=True).loss_gradient`` called
as ``LogisticRegression`` calls it (coefficients and targets in X's dtype,
``n_threads=1``). The three are timed interleaved over ``max(10, 5 * repeats)``
rounds, each timed call after the same pause and one untimed call of the same
candidate: a gradient's steady-state cost, as inside a solver's loop (timed
straight after the products, in a round without pause, skmax's float32 gradient
cost about 2x the products).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp
from sklearn._loss.loss import HalfMultinomialLoss
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.linear_model._linear_loss import LinearModelLoss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skmax import SoftmaxRegression
from skmax._loss import LinearSoftmaxLoss

from ._harness import (
    interleaved_times,
    peak_extra_memory,
    print_table,
    summary,
    timing_fields,
)

C = 1.0
TOL = 1e-4
MAX_ITER = 1000
SKLEARN = ("sklearn lbfgs", "sklearn newton-cg")
# Problems with at most this many entries (non-zeros if sparse) fit in well under
# a second: they get three times as many timed rounds.
_SMALL_SIZE = 1_000_000
GRADIENT_TARGET = 1.5
PAUSE = 0.2


def _candidates() -> dict:
    common = {"C": C, "tol": TOL, "max_iter": MAX_ITER}
    return {
        "skmax auto": SoftmaxRegression(solver="auto", **common),
        "skmax lbfgs": SoftmaxRegression(solver="lbfgs", **common),
        "sklearn lbfgs": LogisticRegression(solver="lbfgs", **common),
        "sklearn newton-cg": LogisticRegression(solver="newton-cg", **common),
    }


# ------------------------------------------------------------------- problems


def _split_scaled(X, y):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def _planted_sparse(n_samples, n_features, n_classes=20, nnz_per_row=20):
    rng = np.random.default_rng(0)
    X = sp.random(
        n_samples,
        n_features,
        density=nnz_per_row / n_features,
        format="csr",
        random_state=0,
        data_rvs=rng.standard_normal,
    )
    W = rng.normal(0.0, 3.0, size=(n_classes, n_features))
    Z = np.asarray(X @ W.T)
    # Gumbel-max: argmax(Z_i + G_i) with standard Gumbel G is drawn from softmax(Z_i).
    y = np.argmax(Z + rng.gumbel(size=Z.shape), axis=1)
    return train_test_split(X, y, test_size=0.2, random_state=0)


def _problems(quick: bool) -> Iterator[dict]:
    """Problems one at a time (the large ones are not all held at once)."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = _split_scaled(X, y)
    yield {"problem": "digits", "data": (X_train, X_test, y_train, y_test)}

    n = 20_000 if quick else 200_000
    X, y = make_classification(
        n_samples=n, n_features=100, n_informative=60, n_classes=10, random_state=0
    )
    data = _split_scaled(X, y)
    del X, y
    yield {"problem": "classif", "data": data, "gradient": True}
    X_train, X_test, y_train, y_test = data
    del data
    data32 = (X_train.astype(np.float32), X_test.astype(np.float32), y_train, y_test)
    del X_train, X_test
    yield {"problem": "classif32", "data": data32, "gradient": True}
    del data32

    shape = (10_000, 2_000) if quick else (100_000, 20_000)
    yield {"problem": "sparse", "data": _planted_sparse(*shape)}


# ----------------------------------------------------------------- fit timing


class _Fitter:
    """One candidate's fit, as a callable: a fresh clone, warnings recorded."""

    def __init__(self, estimator, X, y):
        self.estimator, self.X, self.y = estimator, X, y
        self.fitted = None
        self.warned = False
        self.messages: list[str] = []

    def __call__(self):
        estimator = clone(self.estimator)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            estimator.fit(self.X, self.y)
        for w in caught:
            if issubclass(w.category, ConvergenceWarning):
                self.warned = True
                message = " ".join(str(w.message).split())
                if message not in self.messages:
                    self.messages.append(message)
            else:  # not ours to hide
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        self.fitted = estimator
        return estimator


def _objective_loss(X_train, y_train):
    """The exact objective on float64 data, shared by every candidate."""
    classes, codes = np.unique(y_train, return_inverse=True)
    X64 = X_train.astype(np.float64)  # float32 data: the float64 version of it
    return classes, LinearSoftmaxLoss(
        X64, codes, classes.size, l2=1.0 / (C * X64.shape[0]), fit_intercept=True
    )


def _fit_rows(problem, X_train, X_test, y_train, y_test, repeats) -> list[dict]:
    fitters = {
        name: _Fitter(estimator, X_train, y_train)
        for name, estimator in _candidates().items()
    }
    # The memory fits come first and are the warm-up of the timed rounds.
    peaks = {name: peak_extra_memory(fitter) for name, fitter in fitters.items()}
    size = X_train.nnz if sp.issparse(X_train) else X_train.size
    rounds = 3 * repeats if size <= _SMALL_SIZE else repeats
    times = interleaved_times(fitters, rounds, warmup=0, pause=PAUSE)
    stats = {name: summary(t) for name, t in times.items()}

    classes, loss = _objective_loss(X_train, y_train)
    rows = []
    for name, fitter in fitters.items():
        model = fitter.fitted
        assert np.array_equal(model.classes_, classes)
        theta = loss.pack(model.coef_, model.intercept_)
        objective, gradient = loss.loss_gradient(theta)
        s = stats[name]
        rows.append(
            {
                "problem": problem,
                "train": "x".join(map(str, X_train.shape)),
                "n_train": int(X_train.shape[0]),
                "n_test": int(X_test.shape[0]),
                "n_features": int(X_train.shape[1]),
                "n_classes": int(classes.size),
                "dtype": np.dtype(X_train.dtype).name,
                "sparse": bool(sp.issparse(X_train)),
                "candidate": name,
                "solver": getattr(model, "solver_", model.get_params()["solver"]),
                **timing_fields(s),
                "n_iter": int(np.max(model.n_iter_)),
                "objective": float(objective),
                "grad_max": float(np.max(np.abs(gradient))),
                "accuracy": float(model.score(X_test, y_test)),
                "peak_mb": peaks[name] / 1e6,
                "warned": fitter.warned,
                "warnings": fitter.messages,
            }
        )
    best = min(row["objective"] for row in rows)
    sk_lbfgs = stats["sklearn lbfgs"]["median"]
    sk_best = min(stats[name]["median"] for name in SKLEARN)
    for row in rows:
        row["gap"] = (row["objective"] - best) / abs(best)
        row["ratio_sk_lbfgs"] = row["time_s"] / sk_lbfgs
        row["ratio_sk_fastest"] = row["time_s"] / sk_best
    return rows


# ------------------------------------------------------------ gradient timing


def _gradient_row(problem, X, y, repeats) -> dict:
    n, p = X.shape
    classes, codes = np.unique(y, return_inverse=True)
    k = classes.size
    rng = np.random.default_rng(1)
    loss = LinearSoftmaxLoss(X, codes, k, l2=1.0 / n, fit_intercept=True)
    theta = rng.standard_normal(loss.n_params)
    W_theta, b_theta = loss.unpack(theta)
    # scikit-learn's layout: (n_classes, n_features + 1) raveled in Fortran order;
    # coefficients and targets in X's dtype, as LogisticRegression passes them.
    sk_loss = LinearModelLoss(
        base_loss=HalfMultinomialLoss(n_classes=k), fit_intercept=True
    )
    coef = np.column_stack([W_theta, b_theta]).astype(X.dtype).ravel(order="F")
    target = codes.astype(X.dtype)
    W = rng.standard_normal((k, p)).astype(X.dtype)
    R = rng.standard_normal((k, n)).astype(X.dtype)
    inner = max(1, round(5e6 / X.size))  # small X: several calls a round

    def products():
        for _ in range(inner):
            W @ X.T
            R @ X

    def skmax_gradient():
        for _ in range(inner):
            loss.loss_gradient(theta)

    def sklearn_gradient():
        for _ in range(inner):
            sk_loss.loss_gradient(coef, X, target, None, 1.0 / n)

    ours, _ = loss.loss_gradient(theta)
    theirs, _ = sk_loss.loss_gradient(coef, X, target, None, 1.0 / n)
    times = interleaved_times(
        {"products": products, "skmax": skmax_gradient, "sklearn": sklearn_gradient},
        max(10, 5 * repeats),
        pause=PAUSE,
        settle=True,
    )
    s = {name: summary(t) for name, t in times.items()}
    base = s["products"]["median"]
    return {
        "problem": problem,
        "shape": f"{n}x{p}",
        "dtype": np.dtype(X.dtype).name,
        "n_classes": int(k),
        "products_s": base / inner,
        "products_iqr_s": (s["products"]["q3"] - s["products"]["q1"]) / inner,
        "skmax_s": s["skmax"]["median"] / inner,
        "skmax_iqr_s": (s["skmax"]["q3"] - s["skmax"]["q1"]) / inner,
        "sklearn_s": s["sklearn"]["median"] / inner,
        "sklearn_iqr_s": (s["sklearn"]["q3"] - s["sklearn"]["q1"]) / inner,
        "skmax_ratio": s["skmax"]["median"] / base,
        "sklearn_ratio": s["sklearn"]["median"] / base,
        "target": GRADIENT_TARGET,
        "meets_target": bool(s["skmax"]["median"] / base <= GRADIENT_TARGET),
        # The two losses agree (a check of the layout above).
        "value_rel_diff": float(abs(ours - theirs) / abs(theirs)),
        "inner_calls": int(inner),
    }


# ----------------------------------------------------------------------- run

FIT_COLUMNS = [
    ("problem", "problem", "s"),
    ("train", "train n x p", "s"),
    ("dtype", "dtype", "s"),
    ("candidate", "candidate", "s"),
    ("solver", "solver", "s"),
    ("time_s", "time (s)", ".4g"),
    ("iqr_s", "IQR", ".2g"),
    ("ratio_sk_lbfgs", "/sk-lbfgs", ".2f"),
    ("ratio_sk_fastest", "/sk-best", ".2f"),
    ("n_iter", "n_iter", "d"),
    ("objective", "objective", ".10g"),
    ("gap", "gap", ".1e"),
    ("grad_max", "max|grad|", ".1e"),
    ("accuracy", "accuracy", ".4f"),
    ("peak_mb", "peak MB", ".1f"),
    ("warned_text", "warned", "s"),
]

GRADIENT_COLUMNS = [
    ("problem", "problem", "s"),
    ("shape", "X", "s"),
    ("dtype", "dtype", "s"),
    ("products_s", "2 products (s)", ".4g"),
    ("products_iqr_s", "IQR", ".2g"),
    ("skmax_s", "skmax grad (s)", ".4g"),
    ("skmax_iqr_s", "IQR", ".2g"),
    ("skmax_ratio", "skmax/products", ".2f"),
    ("sklearn_s", "sklearn grad (s)", ".4g"),
    ("sklearn_iqr_s", "IQR", ".2g"),
    ("sklearn_ratio", "sklearn/products", ".2f"),
    ("target_text", "<= 1.5?", "s"),
]


def run(repeats: int = 3, quick: bool = False) -> dict:
    fit_rows, gradient_rows = [], []
    for spec in _problems(quick):
        X_train, X_test, y_train, y_test = spec["data"]
        name = spec["problem"]
        rows = _fit_rows(name, X_train, X_test, y_train, y_test, repeats)
        fit_rows.extend(rows)
        for row in rows:
            print(
                f"{name:10s} {row['candidate']:18s} {row['time_s']:9.4g} s  "
                f"x{row['ratio_sk_lbfgs']:.2f} sk-lbfgs  n_iter {row['n_iter']:4d}  "
                f"gap {row['gap']:.1e}" + ("  (warned)" if row["warned"] else ""),
                flush=True,
            )
        if spec.get("gradient"):
            row = _gradient_row(name, X_train, y_train, repeats)
            gradient_rows.append(row)
            print(
                f"{name:10s} gradient / two products: skmax "
                f"{row['skmax_ratio']:.2f}, sklearn {row['sklearn_ratio']:.2f}",
                flush=True,
            )
        del spec, X_train, X_test, y_train, y_test

    print("\nFit time (one full fit; train n x p is the training split)\n")
    print_table(
        [{**r, "warned_text": "yes" if r["warned"] else "no"} for r in fit_rows],
        FIT_COLUMNS,
    )
    for row in fit_rows:
        for message in row["warnings"]:
            print(f"  {row['problem']} / {row['candidate']} warned: {message}")
    print("\nOne gradient evaluation against the two matrix products alone\n")
    print_table(
        [
            {**r, "target_text": "yes" if r["meets_target"] else "NO"}
            for r in gradient_rows
        ],
        GRADIENT_COLUMNS,
    )
    return {
        "benchmark": "regression",
        "repeats": repeats,
        "quick": quick,
        "C": C,
        "tol": TOL,
        "max_iter": MAX_ITER,
        "rows": fit_rows,
        "gradient_rows": gradient_rows,
    }
