"""SoftmaxRegression.partial_fit: ten passes of mini-batches against fit.

``python -m benchmarks partial_fit [--quick] [--repeats N]`` streams each data
set in batches, ten passes in the same order, and reports the objective's
relative gap to ``fit``'s optimum (same ``C``; reference fitted at tol=1e-8)
after passes 1, 3, 5, 8 and 10, and the time of the ten passes against one
``fit`` (median of interleaved rounds). scikit-learn has no multinomial
``partial_fit``; ``SGDClassifier(loss="log_loss")`` (one-vs-rest, a different
model) over the same ten passes is timed alongside, with its accuracy, as the
nearest thing a scikit-learn user would reach for.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

from skmax import SoftmaxRegression
from skmax._loss import LinearSoftmaxLoss

from ._harness import interleaved_times, print_table, summary

PASSES = 10
REPORTED = (1, 3, 5, 8, 10)


def _problems(quick):
    X, y = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(y))
    yield "digits", StandardScaler().fit_transform(X)[order], y[order], 64
    n = 20_000 if quick else 200_000
    X, y = make_classification(
        n_samples=n, n_features=100, n_informative=60, n_classes=10, random_state=0
    )
    yield f"synthetic {n:,} x 100", StandardScaler().fit_transform(X), y, 1000


def _objective(model, X, y):
    loss = LinearSoftmaxLoss(X, y, 10, l2=1 / len(y), fit_intercept=True)
    return loss.loss(loss.pack(model.coef_, model.intercept_))


def _passes(model, X, y, batch, classes, after_pass=None):
    for done in range(1, PASSES + 1):
        for start in range(0, len(y), batch):
            model.partial_fit(
                X[start : start + batch], y[start : start + batch], classes=classes
            )
        if after_pass is not None:
            after_pass(done, model)
    return model


def _measure(name, X, y, batch, repeats):
    classes = np.unique(y)
    best = _objective(SoftmaxRegression(tol=1e-8).fit(X, y), X, y)
    gaps = {}

    def record(done, model):
        gaps[done] = (_objective(model, X, y) - best) / best

    _passes(SoftmaxRegression(), X, y, batch, classes, record)
    models = {}

    def ours():
        models["ours"] = _passes(SoftmaxRegression(), X, y, batch, classes)

    def sgd():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            models["sgd"] = _passes(SGDClassifier(random_state=0), X, y, batch, classes)

    times = interleaved_times(
        {"partial_fit": ours, "fit": lambda: SoftmaxRegression().fit(X, y), "sgd": sgd},
        repeats,
        warmup=0,
        pause=0.2,
    )
    median = {key: summary(value)["median"] for key, value in times.items()}
    return {
        "problem": name,
        "batch": batch,
        **{f"gap_{done}": gaps[done] for done in REPORTED},
        "partial_fit_s": median["partial_fit"],
        "fit_s": median["fit"],
        "ratio_fit": median["partial_fit"] / median["fit"],
        "sgd_s": median["sgd"],
        "accuracy": float(models["ours"].score(X, y)),
        "sgd_accuracy": float(models["sgd"].score(X, y)),
    }


def run(repeats: int = 3, quick: bool = False) -> dict:
    rows = [_measure(*problem, repeats) for problem in _problems(quick)]
    columns = [
        ("problem", "problem", "s"),
        ("batch", "batch", "d"),
        *[(f"gap_{done}", f"gap after {done}", ".1e") for done in REPORTED],
        ("partial_fit_s", "10 passes (s)", ".3g"),
        ("fit_s", "fit (s)", ".3g"),
        ("ratio_fit", "/ fit", ".1f"),
        ("accuracy", "accuracy", ".4f"),
        ("sgd_s", "SGDClassifier 10 passes (s)", ".3g"),
        ("sgd_accuracy", "SGD accuracy", ".4f"),
    ]
    print_table(rows, columns)
    return {"benchmark": "partial_fit", "rows": rows}
