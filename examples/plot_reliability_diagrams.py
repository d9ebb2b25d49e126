"""
=================================================
Reliability diagrams before and after calibration
=================================================

A reliability diagram bins the predictions by confidence (the largest predicted
probability) and plots, for each bin, the accuracy against the mean confidence;
a calibrated model lies on the diagonal. Here we look at two models that err in
opposite directions:

- :class:`~skmax.SoftmaxRegression` with almost no penalty (``C=1000``) on few
  training samples, which is *over*\\ confident;
- a :class:`~sklearn.ensemble.RandomForestClassifier`, whose averaged votes are
  typically *under*\\ confident,

before and after temperature scaling with :class:`~skmax.TemperatureScaler`,
cross-fitted on the training data. We then compare uniform and quantile bins,
and the top-label with the classwise calibration error.
"""

# %%
# Data and models
# ---------------
#
# A synthetic 4-class problem with 50 features, of which 10 are informative:
# 1,000 samples to train on, 4,000 to test.
import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmax import ReliabilityDisplay, SoftmaxRegression, TemperatureScaler
from skmax.metrics import expected_calibration_error, reliability_curve

X, y = make_classification(
    n_samples=5000,
    n_features=50,
    n_informative=10,
    n_redundant=5,
    n_classes=4,
    n_clusters_per_class=1,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=1000, random_state=0, stratify=y
)

models = {
    "SoftmaxRegression(C=1000)": make_pipeline(
        StandardScaler(), SoftmaxRegression(C=1000.0)
    ),
    "RandomForest": RandomForestClassifier(
        n_estimators=60, min_samples_leaf=5, random_state=0
    ),
}

# %%
# Cross-fitted temperature scaling
# --------------------------------
#
# Passing an *unfitted* model to :class:`~skmax.TemperatureScaler` cross-fits
# it: the temperature is fitted on out-of-fold scores (5 folds here), then the
# model is refitted on all the training data. No data has to be set aside for
# calibration. The pipeline ending in :class:`~skmax.SoftmaxRegression` has a
# ``decision_function``, whose logits are scaled; the random forest has only
# ``predict_proba``, whose logarithms serve as logits.
fitted = {}
for name, model in models.items():
    uncalibrated = model.fit(X_train, y_train)
    calibrated = TemperatureScaler(model, cv=5).fit(X_train, y_train)
    fitted[name] = (uncalibrated, calibrated)
    print(
        f"{name:>26}: T = {calibrated.temperature_:.3f} "
        f"(scores from {calibrated.response_method_})"
    )

# %%
# ``T > 1`` shrinks the overconfident logits of the regression; ``T < 1`` sharpens
# the underconfident forest.
#
# A note on the forest: an out-of-fold probability of exactly zero for the
# true class becomes a logit of about -708 (zero is clipped at the smallest
# normal float) and can dominate the temperature fit. With 60 trees and at
# least 5 samples per leaf this does not happen here; with a few trees it can
# (see :ref:`probability-input`).
#
# Reliability diagrams
# --------------------
#
# Top-label diagrams on the test set, 15 uniform bins. The vertical segments are
# each bin's gap to the diagonal; the outline along the bottom is the share of
# the samples in each bin (scale on the right).
fig, axes = plt.subplots(1, 2, figsize=(12, 6), sharey=True)
for ax, (name, (uncalibrated, calibrated)) in zip(axes, fitted.items(), strict=True):
    ReliabilityDisplay.from_estimator(
        uncalibrated, X_test, y_test, n_bins=15, name="uncalibrated", ax=ax
    )
    ReliabilityDisplay.from_estimator(
        calibrated, X_test, y_test, n_bins=15, name="temperature-scaled", ax=ax
    )
    ax.set_title(name)
fig.tight_layout()

# %%
# The regression's curve lies below the diagonal (accuracy lower than
# confidence), the forest's above it; after scaling both follow the diagonal.
# The numbers, with the accuracy (unchanged by construction) and the log loss:
for name, (uncalibrated, calibrated) in fitted.items():
    for label, model in [("uncalibrated", uncalibrated), ("scaled", calibrated)]:
        proba = model.predict_proba(X_test)
        print(
            f"{name:>26} {label:>12}: accuracy {model.score(X_test, y_test):.3f}, "
            f"log loss {log_loss(y_test, proba):.3f}, ECE (15 uniform bins) "
            f"{expected_calibration_error(y_test, proba, n_bins=15):.3f}"
        )

# %%
# Uniform or quantile bins
# ------------------------
#
# With equal-width (``"uniform"``) bins, the regression's predictions crowd
# into the upper bins (more than a third of them into the last one), while the
# lowest non-empty bins hold only a few samples each, so their points are
# noisy. Equal-mass (``"quantile"``) bins put
# the same number of test samples, 4,000 / 15 (about 267), into every bin: the
# points are spread where the data is and are equally reliable, at the price of
# bins of unequal width. Here the two ECEs nearly agree, because the gap is
# systematic over the whole range; on smaller test sets, or for better
# calibrated models, different binnings give visibly different numbers (see
# :ref:`binning`), which is why every number should state its binning.
uncalibrated = fitted["SoftmaxRegression(C=1000)"][0]
fig, axes = plt.subplots(1, 2, figsize=(12, 6), sharey=True)
for ax, strategy in zip(axes, ["uniform", "quantile"], strict=True):
    ReliabilityDisplay.from_estimator(
        uncalibrated,
        X_test,
        y_test,
        n_bins=15,
        strategy=strategy,
        name="SoftmaxRegression(C=1000)",
        ax=ax,
    )
    ax.set_title(f"15 {strategy} bins")
fig.tight_layout()

# %%
# Top-label and classwise calibration error
# -----------------------------------------
#
# The top-label ECE only checks the probability of the predicted class. The
# classwise ECE checks every class's probability, one class against the rest,
# and averages over the classes; :func:`~skmax.metrics.reliability_curve` with
# ``kind="classwise"`` also gives each class's own value.
for name, (uncalibrated, calibrated) in fitted.items():
    for label, model in [("uncalibrated", uncalibrated), ("scaled", calibrated)]:
        curve = reliability_curve(
            y_test, model.predict_proba(X_test), n_bins=15, kind="classwise"
        )
        per_class = ", ".join(f"{value:.3f}" for value in curve.class_ece)
        print(
            f"{name:>26} {label:>12}: classwise ECE (15 uniform bins) "
            f"{curve.ece:.3f}, per class [{per_class}]"
        )

# %%
# One temperature moves all classes together, so it cannot fix a class whose
# probabilities are off in a direction of their own; the per-class values show
# whether such a class remains after scaling.
plt.show()
