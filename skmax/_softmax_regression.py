"""SoftmaxRegression: validate, encode labels, call a solver, store attributes."""

from __future__ import annotations

import inspect
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import compute_class_weight
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from skmax._dask import is_dask_array, map_rows
from skmax._loss import LinearSoftmaxLoss
from skmax._partial_fit import PartialFitState
from skmax._solvers import lbfgs, newton_cg
from skmax.special import log_softmax, softmax

# compute_class_weight takes sample_weight from scikit-learn 1.8 on; "balanced"
# then counts weighted samples, as LogisticRegression does.
_CLASS_WEIGHT_TAKES_SAMPLE_WEIGHT = (
    "sample_weight" in inspect.signature(compute_class_weight).parameters
)


class SoftmaxRegression(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression: a drop-in for ``LogisticRegression``.

    Minimises scikit-learn's ``LogisticRegression`` objective, scaled by the total
    sample weight ``S`` (same ``C``, same optimum)::

        F(W, b) = (1/S) sum_i s_i [logsumexp(z_i) - z_{i, y_i}] + ||W||^2 / (2 C S)

    with logits ``z_i = W x_i + b``; the intercept is not penalised. With three or
    more classes ``W`` has one row per class; with two classes it has one row, the
    logit of ``classes_[1]`` against ``classes_[0]``, exactly the binomial model
    ``LogisticRegression`` fits. ``C=np.inf`` is unpenalised; the optimum is then
    defined only up to adding a constant to every class, and the fitted
    coefficients and intercepts are pinned to sum to zero over the classes (the
    symmetric, minimum-norm solution; with a penalty the optimum has that property
    already).

    Parameters
    ----------
    C : float or np.inf, default=1.0
        Inverse of the regularisation strength, as in ``LogisticRegression``.
    fit_intercept : bool, default=True
        Whether to fit (unpenalised) intercepts.
    class_weight : dict, "balanced" or None, default=None
        Weights multiplying the sample weights of each class; ``"balanced"`` uses
        ``S / (n_classes * S_c)`` with ``S_c`` the weight of class ``c``.
    solver : {"auto", "lbfgs", "newton-cg"}, default="auto"
        ``"lbfgs"``: SciPy's L-BFGS-B on one fused loss-and-gradient pass.
        ``"newton-cg"``: truncated Newton with exact Hessian-vector products.
        ``"auto"`` is ``"newton-cg"``: in ``benchmarks/`` it was as fast as or
        faster than ``"lbfgs"`` on every problem (dense and sparse, float32 and
        float64), and it reaches tight tolerances where L-BFGS's line search
        stalls.
    max_iter : int, default=100
        Maximum number of solver iterations (L-BFGS steps or Newton steps).
    tol : float, default=1e-4
        Stopping rule, the same for every solver: the largest absolute entry of the
        gradient of ``F`` is at most ``tol``. A fit that stops for any other reason
        raises a ``ConvergenceWarning`` that says why.
    warm_start : bool, default=False
        Start from the previous fit's coefficients when the classes agree.
    verbose : int, default=0
        Print solver progress when positive.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients, in the dtype of ``X`` (float32 stays float32).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts (zeros when ``fit_intercept=False``).
    n_iter_ : ndarray of shape (1,)
        Iterations of the solver, as in ``LogisticRegression``.
    solver_ : str
        The solver used (what ``"auto"`` resolved to).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Feature names seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : The model this one reproduces.
    skmax.TemperatureScaler : Calibrates the probabilities of a fitted model.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skmax import SoftmaxRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), SoftmaxRegression(C=10.0)).fit(X, y)
    >>> model.predict(X[:3])
    array([0, 0, 0])
    >>> model.predict_proba(X[:1]).round(4)
    array([[0.9982, 0.0018, 0.    ]])
    >>> float(model.score(X, y))
    0.98
    """

    _parameter_constraints: dict = {
        "C": [Interval(Real, 0, None, closed="neither"), Options(Real, {np.inf})],
        "fit_intercept": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "solver": [StrOptions({"auto", "lbfgs", "newton-cg"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        C=1.0,
        *,
        fit_intercept=True,
        class_weight=None,
        solver="auto",
        max_iter=100,
        tol=1e-4,
        warm_start=False,
        verbose=0,
    ):
        self.C = C
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ------------------------------------------------------------------- fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 is kept as float32, sparse is never densified.
        y : array-like of shape (n_samples,)
            Class labels of any type (strings, integers, booleans).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, not all zero.

        Returns
        -------
        self : SoftmaxRegression
            The fitted model.
        """
        self.__dict__.pop("_stream", None)  # a new fit ends any partial_fit stream
        if is_dask_array(X):
            return self._fit_dask(X, y, sample_weight)
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32]
        )
        check_classification_targets(y)
        classes, y_codes = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes; the "
                f"data contains 1 class: {classes[0]!r}"
            )
        if sp.issparse(X):
            X = X.tocsr()  # rows are sliced in blocks
        weights = self._effective_weights(X, y, classes, sample_weight)
        weight_sum = X.shape[0] if weights is None else float(weights.sum())
        loss = LinearSoftmaxLoss(
            X,
            y_codes,
            classes.size,
            sample_weight=weights,
            l2=0.0 if np.isinf(self.C) else 1.0 / (self.C * weight_sum),
            fit_intercept=self.fit_intercept,
        )
        self._solve(loss, classes, X.dtype)
        return self

    def _fit_dask(self, X, y, sample_weight):
        """fit on Dask arrays: the same solver, each pass a reduction over chunks."""
        import dask
        import dask.array as da

        from skmax._dask import DaskLinearSoftmaxLoss, check_finite

        if X.ndim != 2:
            raise ValueError(f"Expected a 2-D Dask array X, got {X.ndim}-D.")
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        y = da.asarray(y)
        if y.shape[0] != X.shape[0]:
            raise ValueError(
                "Found input variables with inconsistent numbers of samples: "
                f"[{X.shape[0]}, {y.shape[0]}]"
            )
        check_finite(X)
        classes = np.asarray(dask.compute(da.unique(y))[0])
        if classes.size < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes; the "
                f"data contains {classes.size} class."
            )
        codes = y.map_blocks(
            lambda block: np.searchsorted(classes, block), dtype=np.intp
        )
        weights = None if sample_weight is None else da.asarray(sample_weight)
        if self.class_weight is not None:
            weights = da.ones(y.shape, chunks=y.chunks) if weights is None else weights
            if self.class_weight == "balanced":
                per_class_weight = da.bincount(
                    codes, weights=weights, minlength=classes.size
                ).compute()
                per_class = per_class_weight.sum() / (classes.size * per_class_weight)
            else:
                per_class = compute_class_weight(
                    self.class_weight, classes=classes, y=classes
                )
            weights = weights * codes.map_blocks(
                lambda block: per_class[block], dtype=np.float64
            )
        if weights is None:
            weight_sum = float(X.shape[0])
        else:
            weight_sum, negative = dask.compute(weights.sum(), (weights < 0).any())
            if negative:
                raise ValueError("Negative values in data passed to `sample_weight`.")
            if not weight_sum > 0:
                raise ValueError("Sample weights sum to zero: nothing to fit.")
        self.n_features_in_ = X.shape[1]
        loss = DaskLinearSoftmaxLoss(
            X,
            codes,
            classes.size,
            sample_weight=weights,
            weight_sum=weight_sum,
            l2=0.0 if np.isinf(self.C) else 1.0 / (self.C * weight_sum),
            fit_intercept=self.fit_intercept,
        )
        self._solve(loss, classes, X.dtype)
        return self

    def _solve(self, loss, classes, dtype):
        """Run the solver on ``loss`` and store the fitted attributes."""
        theta0 = self._initial_parameters(loss, classes)
        self.solver_ = "newton-cg" if self.solver == "auto" else self.solver
        if self.solver_ == "lbfgs":
            result = lbfgs(
                loss.loss_gradient,
                theta0,
                tol=self.tol,
                max_iter=self.max_iter,
                verbose=self.verbose,
            )
        else:
            # Near-exact Newton steps make small in-memory fits reproducible; on
            # Dask every extra Hessian product is a pass over the cluster.
            exact = (
                {} if isinstance(loss, LinearSoftmaxLoss) else {"exact_step_size": 0}
            )
            result = newton_cg(
                loss.loss_gradient_hessp,
                loss.loss,
                theta0,
                tol=self.tol,
                max_iter=self.max_iter,
                project=loss.centre_classes,
                verbose=self.verbose,
                **exact,
            )
        if not result.converged:
            hint = ""
            if loss.l2 == 0.0:
                hint = (
                    " Without a penalty (C=inf) the optimum is at infinity when the "
                    "classes are linearly separable; use a finite C."
                )
            warnings.warn(
                f"{type(self).__name__} did not converge ({self.solver_}): "
                f"{result.stop_reason}.{hint}",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.classes_ = classes
        self._set_coefficients(loss, result.x, dtype, result.n_iter)

    def _set_coefficients(self, loss, theta, dtype, n_iter):
        W, b = loss.unpack(theta)
        W, b = W.copy(), (np.zeros(loss.n_rows) if b is None else b.copy())
        if not loss.binary:
            # Pin the symmetric solution: adding a constant to every class's
            # coefficients changes nothing, and the mean-zero choice has least norm.
            W -= W.mean(axis=0)
            b -= b.mean()
        self.coef_ = W.astype(dtype)
        self.intercept_ = b.astype(dtype)
        self.n_iter_ = np.array([n_iter], dtype=np.int32)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the model with one mini-batch: multinomial, not one-vs-rest.

        The objective is ``fit``'s on the data set ``partial_fit`` has seen, with
        the same ``C``: the penalty is ``||W||^2 / (2 C S)``, ``S`` the data set's
        total weight. Batches are known by a fingerprint (rows, labels,
        weights), and a whole pass that reproduces the batches seen so far is a
        second pass over the same data, not new data: passes over the chunks of
        an out-of-core data set converge to ``fit``'s optimum on the whole. (Any
        other repeat is another copy of the batch, as on a stream.) See
        ``skmax._partial_fit`` for the bookkeeping.

        - **Stream** (from the start): a stochastic gradient step per batch, of
          size ``1 / L`` (``L`` = half the mean squared norm of the samples, plus
          the penalty: a bound on the loss's curvature, so standardised data
          need no tuning; a batch lighter than the mean batch takes a
          proportionally shorter step), and polynomial-decay averaging of the
          iterates, which become ``coef_`` and ``intercept_`` (see
          ``skmax._solvers.AveragedSGD``). A stream that never repeats is fitted
          this way throughout.
        - **Passes** (once a second pass is recognised, for models of up to
          2,500 parameters): one Newton step per pass, with a line search
          evaluated during the same pass; the model changes when a pass is
          complete (see ``skmax._pass_newton``). No step size to tune; ten
          passes reach ``fit``'s objective to 1e-3 or better on the problems in
          the test suite. A pass that brings mostly new batches returns to the
          stream mode.

        Pass the same batches each pass (reshuffle their order, not their rows:
        rows regrouped into new batches count as new data). A call to ``fit``
        ends the stream; ``partial_fit`` after ``fit`` starts from ``fit``'s
        coefficients.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A mini-batch.
        y : array-like of shape (n_samples,)
            Its labels, all in ``classes``.
        classes : array-like of shape (n_classes,), default=None
            All the labels the stream will contain; required on the first call,
            as in scikit-learn's ``partial_fit``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the batch.

        Returns
        -------
        self : SoftmaxRegression
            The updated model.

        Examples
        --------
        Ten passes over three chunks (one class each: iris is sorted) reach
        ``fit``'s model:

        >>> import numpy as np
        >>> from sklearn.datasets import load_iris
        >>> from skmax import SoftmaxRegression
        >>> X, y = load_iris(return_X_y=True)
        >>> model = SoftmaxRegression()
        >>> for _ in range(10):
        ...     for chunk in np.split(np.arange(150), 3):
        ...         model = model.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2])
        >>> fitted = SoftmaxRegression(tol=1e-10).fit(X, y)
        >>> float(np.abs(model.predict_proba(X) - fitted.predict_proba(X)).max()) < 1e-9
        True
        """
        first = not hasattr(self, "_stream")
        if first:
            self._validate_params()
            if classes is None and hasattr(self, "classes_"):
                classes = self.classes_  # continuing after fit
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit."
                )
            classes = np.unique(np.asarray(classes))
            if classes.size < 2:
                raise ValueError(
                    f"{type(self).__name__} needs at least 2 classes; classes has 1 "
                    f"class: {classes[0]!r}"
                )
            if self.class_weight == "balanced":
                raise ValueError(
                    "class_weight='balanced' needs the whole data set; pass a dict "
                    "to partial_fit."
                )
        elif classes is not None and not np.array_equal(
            np.unique(classes), self.classes_
        ):
            raise ValueError(
                f"classes {np.unique(classes)!r} differ from the classes of the first "
                f"call to partial_fit, {self.classes_!r}."
            )
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            reset=first,
        )
        check_classification_targets(y)
        known = self.classes_ if not first else classes
        codes = np.searchsorted(known, y)
        if np.any(codes >= known.size) or np.any(
            known[np.minimum(codes, known.size - 1)] != y
        ):
            raise ValueError(
                f"y contains labels not in classes: {np.setdiff1d(y, known)!r}"
            )
        if sp.issparse(X):
            X = X.tocsr()
        weights = self._effective_weights(X, y, known, sample_weight)
        weights = np.ones(X.shape[0]) if weights is None else weights
        # An empty loss, for the parameter layout.
        layout = LinearSoftmaxLoss(
            X[:0], codes[:0], known.size, l2=0.0, fit_intercept=self.fit_intercept
        )
        if first:
            start = np.zeros(layout.n_params)
            if getattr(self, "coef_", None) is not None and self.coef_.shape == (
                layout.n_rows,
                layout.n_features,
            ):
                start = layout.pack(self.coef_, self.intercept_)  # continue from fit
            self._stream = PartialFitState(
                start, known.size, X.shape[1], self.fit_intercept, self.C
            )
            self.classes_ = known
        self._stream.update(X, codes, weights)
        self._set_coefficients(
            layout, self._stream.theta, X.dtype, self._stream.n_batches
        )
        return self

    def _effective_weights(self, X, y, classes, sample_weight):
        """Sample weights times class weights, validated; None if all are one."""
        if sample_weight is None and self.class_weight is None:
            return None
        weights = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        if self.class_weight is not None:
            extra = (
                {"sample_weight": weights} if _CLASS_WEIGHT_TAKES_SAMPLE_WEIGHT else {}
            )
            per_class = compute_class_weight(
                self.class_weight, classes=classes, y=y, **extra
            )
            weights = weights * per_class[np.searchsorted(classes, y)]
        if not weights.sum() > 0:
            raise ValueError(
                "Sample weights (times class weights) sum to zero: nothing to fit."
            )
        return weights

    def _initial_parameters(self, loss, classes):
        if (
            self.warm_start
            and hasattr(self, "coef_")
            and np.array_equal(getattr(self, "classes_", None), classes)
            and self.coef_.shape == (loss.n_rows, loss.n_features)
        ):
            # Centred over classes: the same probabilities, a smaller penalty, and
            # the subspace newton-cg's steps stay in.
            return loss.centre_classes(loss.pack(self.coef_, self.intercept_))
        return np.zeros(loss.n_params)

    # --------------------------------------------------------------- predict

    def decision_function(self, X):
        """Logits ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the logit of ``classes_[1]`` against ``classes_[0]``.
        """
        check_is_fitted(self)
        if is_dask_array(X):
            n_columns = None if self.coef_.shape[0] == 1 else self.coef_.shape[0]
            return map_rows(self.decision_function, X, n_columns, self.coef_.dtype)
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            reset=False,
        )
        scores = np.asarray(X @ self.coef_.T) + self.intercept_
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def _logits(self, X):
        """Per-class logits; for two classes ``(0, z)``, so that softmax is sigmoid."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            scores = np.column_stack([np.zeros_like(scores), scores])
        return scores

    def predict_proba(self, X):
        """Class probabilities, ``softmax`` of the logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``.
        """
        check_is_fitted(self)
        if is_dask_array(X):
            return map_rows(self.predict_proba, X, self.classes_.size, self.coef_.dtype)
        return softmax(self._logits(X), axis=1)

    def predict_log_proba(self, X):
        """Log-probabilities, ``log_softmax`` of the logits: exact, never ``-inf``.

        ``LogisticRegression`` returns ``log(predict_proba)``, which is ``-inf``
        once a probability underflows; this stays finite and exact.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Log-probabilities in the order of ``classes_``.
        """
        check_is_fitted(self)
        if is_dask_array(X):
            return map_rows(
                self.predict_log_proba, X, self.classes_.size, self.coef_.dtype
            )
        return log_softmax(self._logits(X), axis=1)

    def predict(self, X):
        """Most probable class of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        check_is_fitted(self)
        if is_dask_array(X):
            return map_rows(self.predict, X, None, self.classes_.dtype)
        return self.classes_[np.argmax(self._logits(X), axis=1)]
