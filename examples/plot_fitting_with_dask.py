"""
==================================
Fitting on Dask arrays
==================================

:class:`~skmax.SoftmaxRegression` and :class:`~skmax.TemperatureScaler` accept Dask
arrays chunked by rows. Each pass of the solver is a reduction over the chunks:
one task per chunk runs the in-memory code, and only coefficient-sized results
come back, so the data never need to be in one place. This example uses Dask's
default threaded scheduler; with a ``distributed.Client`` (a laptop's
``LocalCluster`` or a real cluster) the same code runs on the workers.
"""

# %%
# Data generated chunk by chunk
# -----------------------------
# The features are drawn lazily, one chunk at a time, and the labels follow a
# planted softmax model. Nothing is computed yet.
import dask.array as da
import numpy as np

from skmax import SoftmaxRegression, TemperatureScaler
from skmax.special import softmax

n_samples, n_features, n_classes = 200_000, 10, 4
rng = da.random.default_rng(0)
X = rng.standard_normal((n_samples, n_features), chunks=(25_000, n_features))
W_true = np.random.default_rng(1).standard_normal((n_classes, n_features))
gumbel = rng.gumbel(size=(n_samples, n_classes), chunks=(25_000, n_classes))
y = da.map_blocks(
    lambda x, g: np.argmax(x @ W_true.T + g, axis=1),
    X,
    gumbel,
    drop_axis=1,
    dtype=int,
)
print(X)

# %%
# Fit, predict lazily
# -------------------
model = SoftmaxRegression(C=1.0, tol=1e-8).fit(X, y)
print(f"Newton iterations: {model.n_iter_[0]}")
proba = model.predict_proba(X)  # a Dask array: nothing computed yet
print(type(proba).__name__, proba.shape)

# %%
# The same optimum as in memory
# -----------------------------
# The data are small enough here to check against an in-memory fit. Both are
# fitted to a tight ``tol``: at the default 1e-4 each stops wherever its own path
# first meets the gradient test, and those points differ by about 1e-3 in P.
X_np, y_np = X.compute(), y.compute()
in_memory = SoftmaxRegression(C=1.0, tol=1e-8).fit(X_np, y_np)
difference = np.abs(model.predict_proba(X_np) - in_memory.predict_proba(X_np)).max()
print(f"max |P_dask - P_in_memory| = {difference:.1e}")
planted = np.abs(model.predict_proba(X_np[:1000]) - softmax(X_np[:1000] @ W_true.T))
print(f"max |P - P_planted| on 1000 rows = {planted.max():.3f}")

# %%
# Temperature scaling on Dask logits
# ----------------------------------
# Logits that are twice too confident: the fitted temperature is close to 2, and
# each Newton iteration on 1/T is one reduction over the chunks.
logits = 2 * model.decision_function(X)
scaler = TemperatureScaler().fit(logits, y)
print(f"T = {scaler.temperature_:.3f}")
