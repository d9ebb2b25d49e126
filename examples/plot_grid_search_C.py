"""
======================================
Choosing C by cross-validated log loss
======================================

``C`` is the inverse strength of :class:`~skmax.SoftmaxRegression`'s L2 penalty,
exactly as in scikit-learn's ``LogisticRegression``: small ``C`` shrinks the
coefficients towards zero, large ``C`` lets the model fit the training data
closely. Here we choose it by 5-fold cross-validation of a
``Pipeline(StandardScaler(), SoftmaxRegression())`` on the digits data set,
scoring by the log loss (``scoring="neg_log_loss"``), which rewards
probabilities that are both sharp and calibrated. The expected calibration error
is recorded alongside, as a second scorer.
"""

# %%
# The search
# ----------
#
# The parameter of a pipeline step is addressed as ``<step>__<parameter>``. With
# several scorers, ``refit`` names the one used to choose the final model.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skmax import SoftmaxRegression
from skmax.metrics import make_calibration_scorer

X, y = load_digits(return_X_y=True)

pipeline = Pipeline([("scale", StandardScaler()), ("softmax", SoftmaxRegression())])
C_grid = np.logspace(-3, 3, 13)
search = GridSearchCV(
    pipeline,
    {"softmax__C": C_grid},
    scoring={
        "neg_log_loss": "neg_log_loss",
        "neg_ece": make_calibration_scorer("ece", n_bins=10),
        "accuracy": "accuracy",
    },
    refit="neg_log_loss",
    cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=0),
)
search.fit(X, y)

best_C = search.best_params_["softmax__C"]
print(f"best C = {best_C:.3g}, cross-validated log loss {-search.best_score_:.4f}")

# %%
# The cross-validated scores against C
# ------------------------------------
#
# The scorers return *negated* losses (greater is better); we plot the losses
# themselves, with one standard deviation over the folds.
results = search.cv_results_
fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
panels = [
    ("neg_log_loss", "log loss", -1),
    ("neg_ece", "ECE (top-label, 10 uniform bins)", -1),
    ("accuracy", "accuracy", 1),
]
for ax, (key, label, sign) in zip(axes, panels, strict=True):
    mean = sign * results[f"mean_test_{key}"]
    std = results[f"std_test_{key}"]
    ax.plot(C_grid, mean, marker="o")
    ax.fill_between(C_grid, mean - std, mean + std, alpha=0.25)
    ax.axvline(best_C, color="k", linestyle=":")
    ax.set(xscale="log", xlabel="C", title=label)
axes[0].set_ylabel("mean over 5 folds (± 1 std)")
fig.tight_layout()

# %%
# Small ``C`` underfits: the coefficients are shrunk so much that the
# probabilities are too flat, which costs log loss and shows as a large
# calibration error (underconfidence). Large ``C`` overfits: the accuracy
# plateaus, but the probabilities become overconfident and the log loss rises
# again. The log loss has a clear minimum in between. The accuracy peaks in the
# same region, but beyond it barely changes while the log loss keeps rising: it
# cannot see the overconfidence that the log loss penalises.
#
# The ECE curve is noisy (about 360 samples per fold, 10 bins) and its minimum
# need not coincide with the log loss's: use it to check calibration, not to
# select, since a model that always predicts the class frequencies has an ECE
# near zero and no use at all.
#
# The refitted pipeline
# ---------------------
#
# ``search.best_estimator_`` was refitted on all the data with the chosen ``C``.
# Each fit of :class:`~skmax.SoftmaxRegression` stops only when the largest
# gradient entry is below ``tol``, so every point of the grid is a converged fit.
best = search.best_estimator_
model = best.named_steps["softmax"]
print(f"solver: {model.solver_}, Newton steps: {model.n_iter_[0]}")
largest = np.abs(model.coef_).max()
print(f"coefficients: {model.coef_.shape}, largest |coef|: {largest:.3f}")
plt.show()
