"""
=====================================================
SoftmaxRegression and LogisticRegression side by side
=====================================================

:class:`~skmax.SoftmaxRegression` minimises the same objective as
scikit-learn's :class:`~sklearn.linear_model.LogisticRegression` for the same
``C`` (the multinomial cross-entropy plus an L2 penalty on the coefficients), so
the two should reach the same coefficients and the same probabilities. This
example checks that on the digits data set (10 classes) and on the breast
cancer data set (2 classes), compares the objective values reached, looks at
float32 input, and times one fit of each.
"""

# %%
# The objective, computed independently
# -------------------------------------
#
# To compare the two fits on neutral ground, we evaluate the objective
#
# .. math::
#
#    F(W, b) = \frac{1}{n} \sum_i \big[\operatorname{logsumexp}(z_i) - z_{i, y_i}\big]
#              + \frac{1}{2 C n} \lVert W \rVert_F^2, \qquad z_i = W x_i + b,
#
# and the largest entry of its gradient (the quantity that
# :class:`~skmax.SoftmaxRegression` drives below ``tol``) with a few lines of
# NumPy, in float64, for any fitted model. For two classes both libraries fit the
# binomial model, one row of coefficients for the logit of the second class;
# its logits are ``(0, z)``.
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from skmax import SoftmaxRegression, log_softmax


def objective_and_gradient(model, X, y, C):
    """F at the model's coefficients, and the largest |entry| of its gradient."""
    n = X.shape[0]
    W = model.coef_.astype(np.float64)
    b = model.intercept_.astype(np.float64)
    Z = X @ W.T + b
    if W.shape[0] == 1:  # binomial: logits (0, z)
        Z = np.column_stack([np.zeros(n), Z[:, 0]])
    log_proba = log_softmax(Z, axis=1)
    rows, codes = np.arange(n), np.searchsorted(model.classes_, y)
    value = -log_proba[rows, codes].mean() + (W**2).sum() / (2 * C * n)
    residual = np.exp(log_proba)  # P - Y, divided by n
    residual[rows, codes] -= 1.0
    residual /= n
    if W.shape[0] == 1:
        residual = residual[:, 1:]
    gradient_W = residual.T @ X + W / (C * n)
    gradient_b = residual.sum(axis=0)
    return value, max(np.abs(gradient_W).max(), np.abs(gradient_b).max())


# %%
# Ten classes, the same C
# -----------------------
#
# Both models are fitted twice: with the default ``tol=1e-4`` and with a tight
# ``tol=1e-8``.
X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
C = 1.0

fits = {}
for tol in (1e-4, 1e-8):
    ours = SoftmaxRegression(C=C, tol=tol).fit(X, y)
    theirs = LogisticRegression(C=C, tol=tol, max_iter=10_000).fit(X, y)
    fits[tol] = (ours, theirs)
    print(f"tol = {tol:g}")
    coef_difference = np.abs(ours.coef_ - theirs.coef_).max()
    print(f"  max |coef difference|          {coef_difference:.2e}")
    print(
        "  max |probability difference|   "
        f"{np.abs(ours.predict_proba(X) - theirs.predict_proba(X)).max():.2e}"
    )
    for name, model in [("skmax", ours), ("sklearn", theirs)]:
        value, grad_max = objective_and_gradient(model, X, y, C)
        print(
            f"  {name:8s} F = {value:.12f}   max|gradient| = {grad_max:.1e}   "
            f"n_iter_ = {model.n_iter_[0]}"
        )

# %%
# With the default tolerance, both models stop once the largest gradient entry
# is below ``1e-4``, but at different points near the optimum: the coefficients
# differ in the second decimal, the probabilities by about 1 %, and the
# objective values agree to about three significant digits. The objective is
# flat near its minimum, so a small gradient still allows sizeable moves along
# the flat directions. With ``tol=1e-8`` both converge to the same optimum: the
# coefficients agree to about ``1e-5`` and the objective values to within
# ``1e-10`` of each other. Both stopped on the
# gradient test here; scikit-learn's L-BFGS can also stop earlier, on its
# relative-decrease test, which skmax does not use (see
# :ref:`stopping-rule`).
#
# With a penalty, the coefficients of the optimum sum to zero over the classes,
# in both models:
ours, theirs = fits[1e-8]
print(f"skmax:   max |sum over classes| {np.abs(ours.coef_.sum(axis=0)).max():.1e}")
print(f"sklearn: max |sum over classes| {np.abs(theirs.coef_.sum(axis=0)).max():.1e}")

# %%
# The coefficients of the two fits, one point per (class, feature), fall on the
# diagonal:
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
for ax, tol in zip(axes, fits, strict=True):
    ours, theirs = fits[tol]
    ax.scatter(theirs.coef_.ravel(), ours.coef_.ravel(), s=8, alpha=0.6)
    limits = [ours.coef_.min() - 0.1, ours.coef_.max() + 0.1]
    ax.plot(limits, limits, "k:", linewidth=1)
    ax.set(
        xlabel="LogisticRegression coef_",
        ylabel="SoftmaxRegression coef_",
        title=f"digits, C = {C:g}, tol = {tol:g}",
    )
fig.tight_layout()

# %%
# Two classes: the binomial model
# -------------------------------
#
# With two classes, ``LogisticRegression`` fits one row of coefficients (the
# logit of ``classes_[1]`` against ``classes_[0]``) and so does
# :class:`~skmax.SoftmaxRegression`; with the same ``C`` the penalty and hence
# the optimum are the same.
X_binary, y_binary = load_breast_cancer(return_X_y=True)
X_binary = StandardScaler().fit_transform(X_binary)
ours = SoftmaxRegression(C=C, tol=1e-8).fit(X_binary, y_binary)
theirs = LogisticRegression(C=C, tol=1e-8, max_iter=10_000).fit(X_binary, y_binary)
print(f"coef_ shapes: skmax {ours.coef_.shape}, sklearn {theirs.coef_.shape}")
print(f"max |coef difference| {np.abs(ours.coef_ - theirs.coef_).max():.2e}")
for name, model in [("skmax", ours), ("sklearn", theirs)]:
    value, grad_max = objective_and_gradient(model, X_binary, y_binary, C)
    print(f"{name:8s} F = {value:.12f}   max|gradient| = {grad_max:.1e}")

# %%
# float32
# -------
#
# A float32 ``X`` stays float32: the products with the data run in float32 (the
# sums over samples are accumulated in float64), and the fitted coefficients and
# the probabilities are float32. The optimum is that of the float32 data; it is
# within float32 rounding of the float64 one, and the tolerance has to respect
# float32 precision (``tol=1e-8`` would be below the rounding of the gradient).
X32 = X.astype(np.float32)
ours32 = SoftmaxRegression(C=C, tol=1e-5).fit(X32, y)
ours64 = fits[1e-8][0]
print(
    f"coef_ dtype {ours32.coef_.dtype}, predict_proba dtype "
    f"{ours32.predict_proba(X32).dtype}"
)
print(
    f"max |coef difference| to the float64 fit: "
    f"{np.abs(ours32.coef_ - ours64.coef_).max():.1e}"
)
value, grad_max = objective_and_gradient(ours32, X, y, C)
print(f"F (float64 data) = {value:.12f}   max|gradient| = {grad_max:.1e}")

# %%
# Fit times, indicatively
# -----------------------
#
# One fit of each, with the default ``tol``. **One run on one machine is only
# indicative**: timings of a few milliseconds vary from run to run, and this page
# may have been built on a busy machine. The :ref:`benchmarks` measure fit times
# properly, in interleaved rounds with medians and spreads, on larger problems.
candidates = {
    "SoftmaxRegression (auto = newton-cg)": SoftmaxRegression(C=C),
    "SoftmaxRegression (lbfgs)": SoftmaxRegression(C=C, solver="lbfgs"),
    "LogisticRegression (lbfgs)": LogisticRegression(C=C, max_iter=10_000),
    "LogisticRegression (newton-cg)": LogisticRegression(
        C=C, solver="newton-cg", max_iter=10_000
    ),
}
for name, model in candidates.items():
    start = time.perf_counter()
    model.fit(X, y)
    elapsed = time.perf_counter() - start
    print(f"{name:38s} {1000 * elapsed:8.1f} ms   n_iter_ = {model.n_iter_[0]}")
plt.show()
