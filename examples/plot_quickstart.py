"""
=====================
A quick tour of skmax
=====================

The three parts of skmax in a few lines each: the numerically stable softmax
core, :class:`~skmax.SoftmaxRegression` (multinomial logistic regression) and
:class:`~skmax.TemperatureScaler` (post-hoc calibration).
"""

# %%
# The softmax core
# ----------------
#
# :func:`~skmax.softmax`, :func:`~skmax.log_softmax` and :func:`~skmax.logsumexp`
# subtract each row's maximum before exponentiating, so no finite input can
# overflow. The textbook formula ``exp(z) / exp(z).sum()`` fails as soon as a
# logit exceeds about 709, where ``exp`` overflows in float64:
import matplotlib.pyplot as plt
import numpy as np

from skmax import log_softmax, logsumexp, softmax

logits = np.array([[2.0, 1.0, 0.1], [1000.0, 999.0, -1000.0]])

with np.errstate(all="ignore"):  # silence the overflow of the naive version
    naive = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
print("naive softmax:\n", naive)
print("skmax.softmax:\n", softmax(logits))

# %%
# The log-probabilities are computed directly, not as ``log(softmax)``: a
# probability that underflows to zero still has an exact, finite logarithm.
with np.errstate(divide="ignore"):
    print("log(softmax):      ", np.log(softmax(logits))[1])
print("skmax.log_softmax: ", log_softmax(logits)[1])
print("skmax.logsumexp:   ", logsumexp(logits))

# %%
# Temperature
# -----------
#
# All three functions take a ``temperature`` ``T``: the input is divided by ``T``
# (after the shift by the maximum, so that even huge logits with a tiny ``T``
# cannot overflow). Small temperatures approach the arg-max, large ones the
# uniform distribution.
z = np.array([3.0, 2.0, 1.0, 0.5, -1.0])
temperatures = [0.25, 1.0, 4.0]

fig, ax = plt.subplots(figsize=(6, 3.5))
width = 0.8 / len(temperatures)
for i, T in enumerate(temperatures):
    ax.bar(
        np.arange(z.size) + (i - 1) * width,
        softmax(z, temperature=T),
        width=width,
        label=f"T = {T:g}",
    )
ax.set(
    xticks=np.arange(z.size),
    xticklabels=[f"z = {v:g}" for v in z],
    ylabel="probability",
    title="softmax(z / T)",
)
ax.legend()
fig.tight_layout()

# %%
# SoftmaxRegression
# -----------------
#
# :class:`~skmax.SoftmaxRegression` is a drop-in for scikit-learn's
# ``LogisticRegression``: same ``C``, same optimum, same attributes. We fit it on
# half of the digits data set, keep a quarter to calibrate and a quarter to test.
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmax import SoftmaxRegression

X, y = load_digits(return_X_y=True)
X_train, X_rest, y_train, y_rest = train_test_split(X, y, test_size=0.5, random_state=0)
X_calib, X_test, y_calib, y_test = train_test_split(
    X_rest, y_rest, test_size=0.5, random_state=0
)

model = make_pipeline(StandardScaler(), SoftmaxRegression(C=1000.0))
model.fit(X_train, y_train)
regression = model[-1]
print(f"solver: {regression.solver_}, Newton steps: {regression.n_iter_[0]}")
print(f"coef_ {regression.coef_.shape}, intercept_ {regression.intercept_.shape}")
print(f"test accuracy: {model.score(X_test, y_test):.3f}")

# %%
# TemperatureScaler
# -----------------
#
# With ``C=1000`` there is almost no penalty and the model is overconfident.
# :class:`~skmax.TemperatureScaler` divides its logits by one temperature,
# fitted on the calibration split. The model is already fitted, so it is
# wrapped in :class:`~sklearn.frozen.FrozenEstimator` (an unfitted model would
# be cross-fitted instead).
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import log_loss

from skmax import ReliabilityDisplay, TemperatureScaler
from skmax.metrics import expected_calibration_error

calibrated = TemperatureScaler(FrozenEstimator(model)).fit(X_calib, y_calib)
print(f"fitted temperature T = {calibrated.temperature_:.3f}")

for name, estimator in [("uncalibrated", model), ("temperature-scaled", calibrated)]:
    proba = estimator.predict_proba(X_test)
    print(
        f"{name:>18}: accuracy {estimator.score(X_test, y_test):.3f}, "
        f"log loss {log_loss(y_test, proba):.3f}, "
        f"ECE (10 uniform bins) "
        f"{expected_calibration_error(y_test, proba, n_bins=10):.3f}"
    )

# %%
# The accuracy is the same (dividing by ``T`` never changes the arg-max); the log
# loss and the expected calibration error (ECE) improve. A reliability diagram
# shows where: each square is one bin of confidence, plotted at its mean
# confidence and its accuracy; the diagonal is perfect calibration. The test
# split has only 450 samples, so the bins are noisy.
fig, ax = plt.subplots(figsize=(6, 6))
ReliabilityDisplay.from_estimator(
    model, X_test, y_test, n_bins=10, name="SoftmaxRegression(C=1000)", ax=ax
)
ReliabilityDisplay.from_estimator(
    calibrated, X_test, y_test, n_bins=10, name="temperature-scaled", ax=ax
)
ax.set_title("Digits, test split")
plt.show()
