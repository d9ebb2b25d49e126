"""
===========================================
Calibrating a neural network's saved logits
===========================================

The usual situation for temperature scaling: a neural network was trained
elsewhere, and all we have are its *logits* (the scores before the final
softmax) on a validation set and a test set, saved to disk, with the labels.
:class:`~skmax.TemperatureScaler` with ``estimator=None`` takes those logits as
its input ``X``, fits one temperature ``T`` on the validation split, and
calibrates any further logits as ``softmax(logits / T)``.

To keep the example self-contained, the "network" is a small
:class:`~sklearn.neural_network.MLPClassifier` trained on a few hundred images of
scikit-learn's digits data set; we extract its logits, save them with
:func:`numpy.save` and load them back, as one would with the outputs of a deep
network.
"""

# %%
# Train a network and save its logits
# -----------------------------------
#
# 300 training images, a wide hidden layer and no early stopping: the network
# fits its training set perfectly, which is what makes networks overconfident.
# The remaining images are split into a validation set (to fit ``T``) and a
# test set (to evaluate).
import shutil
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixel intensities in [0, 1]
X_train, X_rest, y_train, y_rest = train_test_split(
    X, y, train_size=300, random_state=0, stratify=y
)
X_val, X_test, y_val, y_test = train_test_split(
    X_rest, y_rest, test_size=0.5, random_state=0, stratify=y_rest
)

network = MLPClassifier(
    hidden_layer_sizes=(256,),
    alpha=1e-6,
    learning_rate_init=1e-2,
    max_iter=300,
    random_state=0,
).fit(X_train, y_train)
print(f"training accuracy: {network.score(X_train, y_train):.3f}")


def logits_of(network, X):
    """The network's output layer before the softmax."""
    activation = X
    for weights, bias in zip(
        network.coefs_[:-1], network.intercepts_[:-1], strict=True
    ):
        activation = np.maximum(activation @ weights + bias, 0.0)  # ReLU
    return activation @ network.coefs_[-1] + network.intercepts_[-1]


# %%
# The softmax of these logits is exactly the network's ``predict_proba``. Deep
# learning frameworks usually store float32, so we do too.
from skmax import softmax

assert np.allclose(softmax(logits_of(network, X_test)), network.predict_proba(X_test))

folder = Path(tempfile.mkdtemp())
for name, X_part, y_part in [("val", X_val, y_val), ("test", X_test, y_test)]:
    logits = logits_of(network, X_part).astype(np.float32)
    np.save(folder / f"{name}_logits.npy", logits)
    np.save(folder / f"{name}_labels.npy", y_part)

# %%
# Load the logits and fit the temperature
# ---------------------------------------
#
# From here on, only the saved files are used.
from skmax import TemperatureScaler

val_logits = np.load(folder / "val_logits.npy")
val_labels = np.load(folder / "val_labels.npy")
test_logits = np.load(folder / "test_logits.npy")
test_labels = np.load(folder / "test_labels.npy")
print(f"validation logits: {val_logits.shape} {val_logits.dtype}")
shutil.rmtree(folder)  # the example's files are no longer needed

scaler = TemperatureScaler().fit(val_logits, val_labels)
print(
    f"T = {scaler.temperature_:.4f} after {scaler.n_iter_} Newton iterations; "
    f"classes_ = {scaler.classes_}"
)

# %%
# ``T > 1``: the network is overconfident and its logits are shrunk. The fit
# minimises the validation negative log-likelihood (NLL) over ``T``; that curve is
# smooth (and convex in ``1 / T``), and the Newton iteration lands on its minimum
# in a handful of steps. The NLL is computed here with
# :func:`~skmax.log_softmax`, which is exact even for very small probabilities.
from skmax import log_softmax


def nll(logits, labels, temperature):
    log_proba = log_softmax(logits.astype(np.float64), axis=1, temperature=temperature)
    return -log_proba[np.arange(labels.size), labels].mean()


grid = np.geomspace(0.5, 6.0, 200)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(grid, [nll(val_logits, val_labels, T) for T in grid])
ax.axvline(scaler.temperature_, color="k", linestyle=":", label="fitted T")
ax.axvline(1.0, color="tab:red", linestyle="--", label="T = 1 (uncalibrated)")
ax.set(xscale="log", xlabel="temperature T", ylabel="validation NLL")
ax.legend()
fig.tight_layout()

# %%
# Evaluate on the test split
# --------------------------
#
# The calibrated probabilities are ``softmax(test_logits / T)``. They stay float32
# like the logits. The accuracy cannot change (dividing by ``T`` keeps the
# arg-max); the NLL and the expected calibration error (ECE, top-label, with 15
# equal-width bins, as in Guo et al. 2017) should drop.
from skmax.metrics import expected_calibration_error

temperatures = {"uncalibrated": 1.0, "temperature-scaled": scaler.temperature_}
test_proba = {
    "uncalibrated": softmax(test_logits, axis=1),
    "temperature-scaled": scaler.predict_proba(test_logits),
}
print(f"calibrated probabilities: {test_proba['temperature-scaled'].dtype}")
for name, proba in test_proba.items():
    accuracy = np.mean(proba.argmax(axis=1) == test_labels)
    test_nll = nll(test_logits, test_labels, temperatures[name])
    ece = expected_calibration_error(test_labels, proba, n_bins=15)
    print(
        f"{name:>18}: accuracy {accuracy:.4f}, NLL {test_nll:.4f}, "
        f"ECE (15 uniform bins) {ece:.4f}"
    )

# %%
# With 749 test images, the ECE has a noise floor of a few hundredths
# (see :ref:`binning`); the NLL needs no binning and is the more reliable of the
# two here.
#
# Reliability diagrams
# --------------------
#
# Each square is one of the 15 bins: its mean confidence (the largest predicted
# probability) against the accuracy of its samples. Points below the diagonal
# are overconfident. The outline along the bottom shows how many samples fall in
# each bin: most predictions are very confident, so the last bins dominate the
# ECE.
from skmax import ReliabilityDisplay

fig, axes = plt.subplots(1, 2, figsize=(11, 5.5), sharey=True)
for ax, (name, proba) in zip(axes, test_proba.items(), strict=True):
    ReliabilityDisplay.from_predictions(test_labels, proba, n_bins=15, name=name, ax=ax)
    ax.set_title(name)
fig.tight_layout()
plt.show()
