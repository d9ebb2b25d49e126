"""TemperatureScaler against scikit-learn's temperature scaling; real-data checks.

Run with ``python -m benchmarks calibration [--repeats N] [--quick]`` (default 5
repeats). Results go to ``benchmarks/results/calibration.json``.

Part 1, fit time on synthetic overconfident logits. ``base`` is an ``n x k`` matrix
of N(0, 2^2) entries (seeded), each label is drawn from ``softmax(base_i)`` by the
Gumbel-max trick, and the logits are ``3 * base``: the labels follow
``softmax(logits / 3)``, so the true temperature is T = 3. Shape 200,000 x 100
(``--quick``: 20,000 x 100), in float64 and in float32 (the float64 logits cast,
same labels). Candidates, timed in interleaved rounds
(``_harness.interleaved_times``):

- ``skmax``: ``skmax.TemperatureScaler().fit(logits, y)`` (raw-scores mode, with
  skmax's default threading, which follows the BLAS thread limit);
- ``skmax 1 thread``: the same under ``threadpool_limits(1)``, as scikit-learn's
  loss runs on one thread;
- ``skmax core``: ``fit_inverse_temperature(TemperatureObjective(logits, y))``
  alone, without validation (its difference from ``skmax`` is the overhead of
  ``fit``);
- ``sklearn``: ``CalibratedClassifierCV(FrozenEstimator(passthrough),
  method="temperature").fit(logits, y)``, where ``passthrough`` is an
  already-fitted classifier whose ``decision_function`` returns its input (the
  reference of the speed target);
- ``sklearn core``: scikit-learn's private ``_TemperatureScaling().fit(logits,
  y)``, the calibrator alone (Brent's method on log(1/T) over
  ``HalfMultinomialLoss``), without the cross_val_predict pass of the frozen
  estimator.

Columns: median time and IQR; ``/sklearn``, the median over sklearn's median (below
1: faster; target at most 1/3, i.e. ``speedup`` at least 3x); the fitted T;
``NLL``, the mean negative log-likelihood at each fitted T, evaluated for every
candidate by one and the same exact float64 evaluator
(``TemperatureObjective(logits.astype(float64), y).derivatives(1 / T)[0]``; for
float32 the float64 version of the same float32 logits); ``dNLL``, NLL minus
sklearn's NLL (the condition is ``|dNLL| <= 1e-10`` in float64; for float32 it is
shown but not judged); ``iters``: Newton iterations (``n_iter_``) for skmax, loss
evaluations by Brent's method for scikit-learn (counted in the memory run); ``peak
MB``: peak extra memory of one separate fit (``_harness.peak_extra_memory``,
tracemalloc), and ``x input``, the same in units of the logits' size (target for
skmax: at most one extra n x k buffer, about 1.0-1.2x). The memory fits come first
and are also the warm-up of the timed rounds.

Part 2, real network outputs, when ``../shared/data/calibration`` exists next to
the repository (else skipped with a note); see that folder's README for the
reference figures:

- ``densenet40_cifar10_logits.npz``: ``TemperatureScaler()`` fitted on
  ``val_logits``/``val_labels``; T and the validation NLL, and on the test arrays
  the NLL, top-label ECE (15 equal-width bins) and accuracy before (T = 1) and
  after, against the references;
- every ``*_probs.npz`` (``probabilities``, ``labels``): split 50/50 by
  ``np.random.default_rng(0).permutation``; ``TemperatureScaler(input_type=
  "probabilities")`` fitted on the first half; on the second half NLL, ECE (15
  equal-width bins) and accuracy before and after. "Before" is the same model at
  T = 1, i.e. ``log_softmax`` of the clipped ``log p`` that the scaler uses, so
  that before and after are comparable; where some test rows give their true class
  p = 0 exactly the raw NLL ``-mean log p_y`` is infinite, and the ``p_y=0``
  column counts those rows. ``finite`` records that T is finite and the calibrated
  probabilities and log-probabilities have no NaN. A file that TemperatureScaler
  rejects as given (rows summing to 1 only to float32 precision but stored as
  float64) is recorded as rejected (``rejected_as_is``, printed) and then fitted
  on renormalised rows ``p / sum p``: that changes ``log p`` by a per-row constant,
  so neither T nor the calibrated output in exact arithmetic
  (``renormalised`` column). For comparison, scikit-learn's
  ``_TemperatureScaling`` (which takes ``log(p + 1e-12)`` of probabilities) is
  fitted on the same split: its T, and its test NLL and ECE.

NLLs are computed exactly from ``predict_log_proba`` (in the data's dtype, summed in
float64); ECE is ``skmax.metrics.expected_calibration_error(y, proba, n_bins=15)``
(top-label, uniform bins).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from unittest import mock

import numpy as np
from sklearn._loss.loss import HalfMultinomialLoss
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV, _TemperatureScaling
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from threadpoolctl import threadpool_limits

from skmax import TemperatureScaler
from skmax._scores import as_logits
from skmax._temperature import TemperatureObjective, fit_inverse_temperature
from skmax.metrics import expected_calibration_error
from skmax.special import log_softmax, softmax

from ._harness import (
    interleaved_times,
    peak_extra_memory,
    print_table,
    summary,
    timing_fields,
)

TRUE_T = 3.0
BASE_SCALE = 2.0
SHAPE = (200_000, 100)
QUICK_SHAPE = (20_000, 100)
DTYPES = [np.float64, np.float32]
SPEED_TARGET = 3.0  # sklearn time / skmax time, at least
DELTA_NLL_TARGET = 1e-10  # |NLL(skmax T) - NLL(sklearn T)| in float64, at most
MEMORY_TARGET = 1.2  # skmax peak extra memory in units of the logits, at most
N_BINS = 15
REFERENCE = "sklearn"
# TemperatureScaler's default temperature_bounds (1e-4, 1e4), as bounds on 1/T.
BETA_BOUNDS = (1e-4, 1e4)

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "calibration"
DENSENET = "densenet40_cifar10_logits.npz"
DENSENET_REFERENCE = {
    "T": 2.88256,
    "val_nll": 0.18661,
    "test_nll_before": 0.4301,
    "test_nll_after": 0.2251,
    "test_ece_before": 0.0550,
    "test_ece_after": 0.0095,
    "test_accuracy": 0.9242,
}


class PassthroughClassifier(ClassifierMixin, BaseEstimator):
    """A "classifier" whose decision function is its input: X are the logits."""

    def fit(self, X, y=None):
        X = np.asarray(X)
        self.n_features_in_ = X.shape[1]
        self.classes_ = np.arange(X.shape[1])
        return self

    def decision_function(self, X):
        return X

    def predict(self, X):
        return self.classes_[np.argmax(X, axis=1)]


class _CountingLoss(HalfMultinomialLoss):
    """HalfMultinomialLoss that counts its evaluations (patched in for one fit)."""

    calls = 0

    def __call__(self, *args, **kwargs):
        type(self).calls += 1
        return super().__call__(*args, **kwargs)


# ------------------------------------------------------------------ synthetic


def _synthetic(shape):
    rng = np.random.default_rng(0)
    base = BASE_SCALE * rng.standard_normal(shape)
    # Gumbel-max: argmax(base_i + G_i) with standard Gumbel G follows softmax(base_i).
    y = np.argmax(base + rng.gumbel(size=shape), axis=1)
    base *= TRUE_T  # the logits: labels follow softmax(logits / TRUE_T)
    return base, y


class _Fit:
    """One candidate's fit as a callable; keeps the last result."""

    def __init__(self, fit, temperature, iterations):
        self.fit, self.temperature, self.iterations = fit, temperature, iterations
        self.result = None
        self.messages: list[str] = []

    def __call__(self):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            self.result = self.fit()
        for w in caught:
            message = f"{w.category.__name__}: {' '.join(str(w.message).split())}"
            if message not in self.messages:
                self.messages.append(message)
        return self.result


def _candidates(X, y) -> dict[str, _Fit]:
    passthrough = FrozenEstimator(PassthroughClassifier().fit(X, y))

    def skmax_fit():
        return TemperatureScaler().fit(X, y)

    def skmax_single():
        with threadpool_limits(1):
            return TemperatureScaler().fit(X, y)

    def skmax_core():
        objective = TemperatureObjective(X, y)
        return fit_inverse_temperature(objective, beta_bounds=BETA_BOUNDS)

    def sklearn_fit():
        return CalibratedClassifierCV(passthrough, method="temperature").fit(X, y)

    def sklearn_core():
        return _TemperatureScaling().fit(X, y)

    def sklearn_beta(model):
        return float(model.calibrated_classifiers_[0].calibrators[0].beta_)

    return {
        "skmax": _Fit(skmax_fit, lambda m: m.temperature_, lambda m: m.n_iter_),
        "skmax 1 thread": _Fit(
            skmax_single, lambda m: m.temperature_, lambda m: m.n_iter_
        ),
        "skmax core": _Fit(skmax_core, lambda r: 1.0 / r.beta, lambda r: r.n_iter),
        "sklearn": _Fit(sklearn_fit, lambda m: 1.0 / sklearn_beta(m), None),
        "sklearn core": _Fit(sklearn_core, lambda m: 1.0 / float(m.beta_), None),
    }


def _synthetic_rows(X, y, repeats) -> list[dict]:
    fits = _candidates(X, y)
    peaks, iterations = {}, {}
    for name, fit in fits.items():
        if fit.iterations is None:  # scikit-learn: count the loss evaluations
            _CountingLoss.calls = 0
            with mock.patch("sklearn.calibration.HalfMultinomialLoss", _CountingLoss):
                peaks[name] = peak_extra_memory(fit)
            iterations[name] = _CountingLoss.calls
        else:
            peaks[name] = peak_extra_memory(fit)
            iterations[name] = int(fit.iterations(fit.result))
    times = interleaved_times(fits, repeats, warmup=0)
    stats = {name: summary(t) for name, t in times.items()}

    evaluator = TemperatureObjective(X.astype(np.float64), y)
    rows = []
    for name, fit in fits.items():
        T = float(fit.temperature(fit.result))
        s = stats[name]
        rows.append(
            {
                "shape": "x".join(map(str, X.shape)),
                "dtype": np.dtype(X.dtype).name,
                "candidate": name,
                **timing_fields(s),
                "temperature": T,
                "nll": float(evaluator.derivatives(1.0 / T)[0]),
                "iterations": iterations[name],
                "iterations_kind": (
                    "loss evaluations" if fit.iterations is None else "Newton"
                ),
                "peak_mb": peaks[name] / 1e6,
                "peak_x_input": peaks[name] / X.nbytes,
                "input_mb": X.nbytes / 1e6,
                "warnings": fit.messages,
            }
        )
    del evaluator
    ref = next(row for row in rows if row["candidate"] == REFERENCE)
    for row in rows:
        row["ratio_sklearn"] = row["time_s"] / ref["time_s"]
        row["speedup"] = ref["time_s"] / row["time_s"]
        row["delta_nll"] = row["nll"] - ref["nll"]
        if row["candidate"].startswith("skmax"):
            row["meets_speed_target"] = bool(row["speedup"] >= SPEED_TARGET)
            row["meets_memory_target"] = bool(row["peak_x_input"] <= MEMORY_TARGET)
            row["meets_nll_condition"] = (
                bool(abs(row["delta_nll"]) <= DELTA_NLL_TARGET)
                if row["dtype"] == "float64"
                else None
            )
    return rows


def _yes_no(value) -> str:
    if value is None:
        return "-"
    return "yes" if value else "NO"


SYNTHETIC_COLUMNS = [
    ("shape", "logits", "s"),
    ("dtype", "dtype", "s"),
    ("candidate", "candidate", "s"),
    ("time_s", "time (s)", ".4g"),
    ("iqr_s", "IQR", ".2g"),
    ("ratio_sklearn", "/sklearn", ".3f"),
    ("speedup", "speedup", ".1f"),
    ("speed_text", ">=3x?", "s"),
    ("temperature", "T", ".8f"),
    ("nll", "NLL (exact, f64)", ".12f"),
    ("delta_nll", "dNLL vs sklearn", ".1e"),
    ("nll_text", "|dNLL|<=1e-10?", "s"),
    ("iterations", "iters", "d"),
    ("peak_mb", "peak MB", ".1f"),
    ("peak_x_input", "x input", ".2f"),
    ("memory_text", "<=1.2x?", "s"),
]


def _print_synthetic(rows):
    print(
        f"\nFit time on synthetic logits (true T = {TRUE_T:g}); /sklearn and "
        "speedup against CalibratedClassifierCV(FrozenEstimator(passthrough), "
        'method="temperature");\niters: Newton iterations for skmax, loss '
        "evaluations (Brent) for sklearn; peak MB: one separate fit, 'x input' in "
        "units of the logits' size\n"
    )
    print_table(
        [
            {
                **r,
                "speed_text": _yes_no(r.get("meets_speed_target")),
                "nll_text": _yes_no(r.get("meets_nll_condition")),
                "memory_text": _yes_no(r.get("meets_memory_target")),
            }
            for r in rows
        ],
        SYNTHETIC_COLUMNS,
    )
    for row in rows:
        for message in row["warnings"]:
            print(f"  {row['dtype']} / {row['candidate']} warned: {message}")


# ------------------------------------------------------------------ real data


def _nll(log_proba, y) -> float:
    """Exact mean negative log-likelihood from log-probabilities."""
    picked = log_proba[np.arange(y.size), y].astype(np.float64)
    return float(-picked.mean())


def _accuracy(scores, y) -> float:
    return float(np.mean(np.argmax(scores, axis=1) == y))


def _fit_scaler(scaler, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scaler.fit(X, y)
    return scaler, [
        f"{w.category.__name__}: {' '.join(str(w.message).split())}" for w in caught
    ]


def _sklearn_after(X_fit, y_fit, X_test, y_test, labels) -> dict:
    """scikit-learn's calibrator on the same split, for comparison."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calibrator = _TemperatureScaling().fit(X_fit, y_fit)
        proba = calibrator.predict(X_test)
    true_p = proba[np.arange(y_test.size), y_test].astype(np.float64)
    with np.errstate(divide="ignore"):
        nll = float(-np.log(true_p).mean())
    return {
        "sklearn_temperature": 1.0 / float(calibrator.beta_),
        "sklearn_nll_after": nll,
        "sklearn_ece_after": float(
            expected_calibration_error(y_test, proba, n_bins=N_BINS, labels=labels)
        ),
    }


def _evaluate(scaler, X_test, y_test, logits_before, proba_before, labels) -> dict:
    """Test-set NLL, ECE and accuracy before (T = 1) and after the scaling."""
    log_proba = scaler.predict_log_proba(X_test)
    proba = scaler.predict_proba(X_test)
    return {
        "nll_before": _nll(log_softmax(logits_before, axis=1), y_test),
        "nll_after": _nll(log_proba, y_test),
        "ece_before": float(
            expected_calibration_error(
                y_test, proba_before, n_bins=N_BINS, labels=labels
            )
        ),
        "ece_after": float(
            expected_calibration_error(y_test, proba, n_bins=N_BINS, labels=labels)
        ),
        "accuracy_before": _accuracy(proba_before, y_test),
        "accuracy_after": float(np.mean(scaler.predict(X_test) == y_test)),
        "finite": bool(
            np.isfinite(scaler.temperature_)
            and not np.isnan(proba).any()
            and not np.isnan(log_proba).any()
        ),
    }


def _densenet_row(path) -> dict:
    data = np.load(path)
    X_val, y_val = data["val_logits"], data["val_labels"]
    X_test, y_test = data["test_logits"], data["test_labels"]
    labels = np.arange(X_val.shape[1])
    scaler, messages = _fit_scaler(TemperatureScaler(), X_val, y_val)
    row = {
        "file": path.name,
        "input": "logits",
        "dtype": np.dtype(X_val.dtype).name,
        "n_fit": int(y_val.size),
        "n_test": int(y_test.size),
        "n_classes": int(labels.size),
        "temperature": float(scaler.temperature_),
        "n_iter": int(scaler.n_iter_),
        "fit_nll": _nll(scaler.predict_log_proba(X_val), y_val),
        "zero_true_p": 0,
        "warnings": messages,
        **_evaluate(scaler, X_test, y_test, X_test, softmax(X_test, axis=1), labels),
        **_sklearn_after(X_val, y_val, X_test, y_test, labels),
    }
    row["reference"] = DENSENET_REFERENCE
    return row


def _probabilities_row(path) -> dict:
    data = np.load(path)
    P, y = data["probabilities"], data["labels"]
    n, k = P.shape
    order = np.random.default_rng(0).permutation(n)
    fit_idx, test_idx = order[: n // 2], order[n // 2 :]
    labels = np.arange(k)
    try:
        scaler, messages = _fit_scaler(
            TemperatureScaler(input_type="probabilities", classes=labels),
            P[fit_idx],
            y[fit_idx],
        )
        rejected = None
    except ValueError as error:
        # Rows whose sums miss 1 by more than skmax's tolerance (e.g. float32
        # probabilities stored as float64): renormalise, which changes log p by a
        # per-row constant only, so neither T nor the calibrated output changes.
        rejected = " ".join(str(error).split())
        P = P / P.sum(axis=1, keepdims=True)
        scaler, messages = _fit_scaler(
            TemperatureScaler(input_type="probabilities", classes=labels),
            P[fit_idx],
            y[fit_idx],
        )
    P_test, y_test = P[test_idx], y[test_idx]
    true_p = P_test[np.arange(y_test.size), y_test]
    with np.errstate(divide="ignore"):
        raw_nll = float(-np.log(true_p.astype(np.float64)).mean())
    return {
        "file": path.name,
        "input": "probabilities",
        "dtype": np.dtype(P.dtype).name,
        "n_fit": int(fit_idx.size),
        "n_test": int(test_idx.size),
        "n_classes": int(k),
        "temperature": float(scaler.temperature_),
        "n_iter": int(scaler.n_iter_),
        "fit_nll": _nll(scaler.predict_log_proba(P[fit_idx]), y[fit_idx]),
        "zeros_in_input": int(np.count_nonzero(P == 0)),
        "zero_true_p": int(np.count_nonzero(true_p == 0)),
        "raw_nll_before": raw_nll,
        "max_row_sum_error": float(
            np.abs(data["probabilities"].sum(axis=1, dtype=np.float64) - 1).max()
        ),
        "rejected_as_is": rejected,
        "renormalised": rejected is not None,
        "warnings": messages,
        **_evaluate(
            scaler,
            P_test,
            y_test,
            as_logits(P_test, "probabilities"),
            P_test,
            labels,
        ),
        **_sklearn_after(P[fit_idx], y[fit_idx], P_test, y_test, labels),
    }


REAL_COLUMNS = [
    ("file", "file", "s"),
    ("dtype", "dtype", "s"),
    ("sizes", "fit/test", "s"),
    ("temperature", "T", ".5f"),
    ("n_iter", "iters", "d"),
    ("fit_nll", "fit NLL", ".5f"),
    ("nll_before", "NLL before", ".4f"),
    ("nll_after", "NLL after", ".4f"),
    ("ece_before", "ECE before", ".4f"),
    ("ece_after", "ECE after", ".4f"),
    ("accuracy_before", "acc before", ".4f"),
    ("accuracy_after", "acc after", ".4f"),
    ("zero_true_p", "p_y=0", "d"),
    ("finite_text", "finite", "s"),
    ("sklearn_temperature", "sklearn T", ".5f"),
    ("sklearn_nll_after", "sk NLL after", ".4f"),
    ("sklearn_ece_after", "sk ECE after", ".4f"),
    ("renorm_text", "renormalised", "s"),
]


def _print_real(rows):
    print(
        "\nReal network outputs: T fitted on the fit split (DenseNet-40: val_*; "
        "probability files: a seeded 50/50 split), metrics on the test split;\n"
        "NLL exact from predict_log_proba (before = T 1 on the same logits); ECE "
        f"top-label with {N_BINS} uniform (equal-width) bins; p_y=0: test rows whose "
        "true class has p = 0;\nsklearn T / sk NLL after / sk ECE after: "
        "scikit-learn's _TemperatureScaling on the same split (it takes log(p + "
        "1e-12) of probabilities)\n"
    )
    print_table(
        [
            {
                **r,
                "sizes": f"{r['n_fit']}/{r['n_test']}",
                "finite_text": _yes_no(r["finite"]),
                "renorm_text": "YES" if r.get("renormalised") else "no",
            }
            for r in rows
        ],
        REAL_COLUMNS,
    )
    densenet = next((r for r in rows if r["file"] == DENSENET), None)
    if densenet is not None:
        ref = densenet["reference"]
        print(f"\n{DENSENET} against the reference figures (data README)\n")
        checks = [
            ("T", densenet["temperature"], ref["T"]),
            ("validation NLL", densenet["fit_nll"], ref["val_nll"]),
            ("test NLL before", densenet["nll_before"], ref["test_nll_before"]),
            ("test NLL after", densenet["nll_after"], ref["test_nll_after"]),
            (
                f"test ECE before ({N_BINS} bins)",
                densenet["ece_before"],
                ref["test_ece_before"],
            ),
            (
                f"test ECE after ({N_BINS} bins)",
                densenet["ece_after"],
                ref["test_ece_after"],
            ),
            ("test accuracy before", densenet["accuracy_before"], ref["test_accuracy"]),
            ("test accuracy after", densenet["accuracy_after"], ref["test_accuracy"]),
        ]
        print_table(
            [
                {"quantity": q, "ours": o, "reference": r, "diff": o - r}
                for q, o, r in checks
            ],
            [
                ("quantity", "quantity", "s"),
                ("ours", "skmax", ".6f"),
                ("reference", "reference", ".6g"),
                ("diff", "diff", "+.1e"),
            ],
        )
    for row in rows:
        if row.get("raw_nll_before", 0.0) == np.inf:
            print(
                f"  {row['file']}: {row['zero_true_p']} test rows have p_y = 0, so "
                "the raw NLL -mean log p_y is infinite; 'NLL before' uses the "
                f"clipped log p ({row['dtype']} tiny) at T = 1. "
                f"{row['zeros_in_input']} exact zeros in the file; T = "
                f"{row['temperature']:.5f} "
                + ("(finite, no NaN)" if row["finite"] else "(NOT finite / NaN)")
            )
        if row["ece_after"] > row["ece_before"]:
            print(
                f"  {row['file']}: ECE got WORSE with temperature scaling "
                f"({row['ece_before']:.4f} -> {row['ece_after']:.4f}; T = "
                f"{row['temperature']:.5g}, scikit-learn's T = "
                f"{row['sklearn_temperature']:.5g})"
            )
        if row.get("renormalised"):
            print(
                f"  {row['file']}: REJECTED as given (largest |row sum - 1| = "
                f"{row['max_row_sum_error']:.2g}, {row['dtype']}): "
                f"{row['rejected_as_is']}\n    -> rows renormalised (p / sum p) "
                "before fitting and for every metric of this file."
            )
        for message in row["warnings"]:
            print(f"  {row['file']} warned: {message}")


def _real_rows() -> list[dict]:
    if not DATA_DIR.is_dir():
        print(f"\nReal-data part skipped: {DATA_DIR} does not exist.")
        return []
    rows = []
    if (DATA_DIR / DENSENET).exists():
        rows.append(_densenet_row(DATA_DIR / DENSENET))
    rows.extend(_probabilities_row(p) for p in sorted(DATA_DIR.glob("*_probs.npz")))
    return rows


# ----------------------------------------------------------------------- run


def run(repeats: int = 5, quick: bool = False) -> dict:
    shape = QUICK_SHAPE if quick else SHAPE
    X64, y = _synthetic(shape)
    synthetic_rows = []
    for dtype in DTYPES:
        X = X64 if dtype is np.float64 else X64.astype(dtype)
        rows = _synthetic_rows(X, y, repeats)
        synthetic_rows.extend(rows)
        for row in rows:
            print(
                f"{row['dtype']:8s} {row['candidate']:15s} {row['time_s']:9.4g} s  "
                f"x{row['ratio_sklearn']:.3f} sklearn  T {row['temperature']:.8f}  "
                f"iters {row['iterations']:3d}  peak {row['peak_x_input']:.2f}x input",
                flush=True,
            )
        del X
    del X64
    _print_synthetic(synthetic_rows)
    real_rows = _real_rows()
    if real_rows:
        _print_real(real_rows)
    return {
        "benchmark": "calibration",
        "repeats": repeats,
        "quick": quick,
        "true_temperature": TRUE_T,
        "base_scale": BASE_SCALE,
        "speed_target": SPEED_TARGET,
        "delta_nll_target": DELTA_NLL_TARGET,
        "memory_target_x_input": MEMORY_TARGET,
        "ece_bins": N_BINS,
        "ece_binning": "uniform, top-label",
        "rows": synthetic_rows,
        "real_rows": real_rows,
        "data_dir_found": bool(real_rows),
    }
