"""TemperatureScaler: post-hoc calibration of any classifier's scores."""

from __future__ import annotations

import warnings
from inspect import signature
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import check_cv, cross_val_predict
from sklearn.utils import Bunch, get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    indexable,
    validate_data,
)

from skmax._dask import is_dask_array, map_rows
from skmax._reliability_display import ReliabilityDisplay
from skmax._scores import INPUT_TYPES, as_logits
from skmax._temperature import TemperatureObjective, fit_inverse_temperature
from skmax.special import log_softmax, softmax

__all__ = ["ReliabilityDisplay", "TemperatureScaler"]


class TemperatureScaler(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Calibrate a classifier's probabilities by temperature scaling.

    ``predict_proba`` is ``softmax(logits / T)`` with one temperature ``T > 0``
    fitted by minimising the (weighted) negative log-likelihood of the labels. The
    order of the logits within a row, hence ``predict`` and accuracy (and, with two
    classes, ROC AUC) is unchanged; only the confidence is. ``T > 1`` softens
    overconfident models, ``T < 1`` sharpens them.

    Two ways to use it:

    - ``estimator=None``: ``X`` *are* the scores, e.g. logits saved from a neural
      network: an ``(n, k)`` array of logits, or a 1-D / ``(n, 1)`` array of binary
      decision values ``x``, calibrated as ``sigmoid(x / T)``. scikit-learn's
      ``CalibratedClassifierCV(method="temperature")`` uses ``sigmoid(2x / T)``
      for binary scores, so its ``T`` is twice this one for the same fit. With
      ``input_type="probabilities"`` the columns of ``X`` are probabilities and
      ``log p`` (``p`` clipped at the dtype's smallest normal number) serve as the
      logits; nothing is guessed from the values.
    - ``estimator`` a classifier: its scores on ``X`` (``decision_function``, else
      ``log predict_proba``) are calibrated. An estimator wrapped in
      :class:`sklearn.frozen.FrozenEstimator` is used as fitted and ``T`` is fitted
      on ``(X, y)``, the calibration set. An unfitted one is cross-fitted: ``T`` is
      fitted on out-of-fold scores (``cv``) and the estimator then refitted on all
      of ``(X, y)``.

    ``T`` is found by a safeguarded Newton iteration on ``beta = 1 / T`` that
    computes the NLL and its first two derivatives in one pass over the logits per
    iteration (see ``MATH.md``); the result is exact to the dtype's precision.

    Parameters
    ----------
    estimator : classifier, FrozenEstimator or None, default=None
        The model whose scores are calibrated, or None when ``X`` are the scores.
    input_type : {"logits", "probabilities"}, default="logits"
        What the scores in ``X`` are when ``estimator=None``.
    response_method : {"auto", "decision_function", "predict_proba"}, \
default="auto"
        Which scores of ``estimator`` to calibrate; ``"auto"`` prefers
        ``decision_function``.
    cv : int, cross-validation generator or iterable, default=5
        Splits for cross-fitting an unfitted ``estimator``.
    classes : array-like of shape (n_classes,), default=None
        With ``estimator=None``: the labels of the columns of ``X``, in order.
        Default: the sorted labels of ``y``, which must then all occur.
    temperature_bounds : tuple of float, default=(1e-4, 1e4)
        The range searched for ``T``. When the optimum lies beyond it (scores
        that separate the classes push ``T`` to 0; scores unrelated to the labels
        push it to infinity), ``T`` stops at the bound with a
        ``ConvergenceWarning``.
    max_iter : int, default=100
        Maximum number of Newton iterations.

    Attributes
    ----------
    temperature_ : float
        The fitted temperature ``T``.
    n_iter_ : int
        Newton iterations used.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    estimator_ : estimator
        The fitted (or frozen) estimator; absent when ``estimator=None``.
    response_method_ : str
        The estimator's method whose scores are calibrated; absent when
        ``estimator=None``.
    n_features_in_ : int
        Number of features (or score columns) seen in ``fit``.

    See Also
    --------
    sklearn.calibration.CalibratedClassifierCV : scikit-learn's calibrators.
    skmax.metrics.expected_calibration_error : Measure the effect.
    skmax.ReliabilityDisplay : See the effect.

    Examples
    --------
    Calibrate saved logits:

    >>> import numpy as np
    >>> from skmax import TemperatureScaler
    >>> rng = np.random.default_rng(0)
    >>> logits = 3 * rng.standard_normal((2000, 5))
    >>> p = np.exp(logits / 3)  # the labels follow softmax(logits / 3)
    >>> p /= p.sum(axis=1, keepdims=True)
    >>> y = (p.cumsum(axis=1) > rng.random((2000, 1))).argmax(axis=1)
    >>> scaler = TemperatureScaler().fit(logits, y)
    >>> round(scaler.temperature_, 1)
    3.0
    >>> scaler.predict_proba(logits[:1]).round(3)
    array([[0.202, 0.156, 0.341, 0.198, 0.103]])

    Or wrap a classifier, cross-fitted:

    >>> from sklearn.datasets import load_iris
    >>> from skmax import SoftmaxRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> model = TemperatureScaler(SoftmaxRegression(C=100), cv=3).fit(X, y)
    >>> model.predict(X[:2])
    array([0, 0])
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"]), None],
        "input_type": [StrOptions(set(INPUT_TYPES))],
        "response_method": [StrOptions({"auto", "decision_function", "predict_proba"})],
        "cv": ["cv_object"],
        "classes": ["array-like", None],
        "temperature_bounds": [tuple],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        estimator=None,
        *,
        input_type="logits",
        response_method="auto",
        cv=5,
        classes=None,
        temperature_bounds=(1e-4, 1e4),
        max_iter=100,
    ):
        self.estimator = estimator
        self.input_type = input_type
        self.response_method = response_method
        self.cv = cv
        self.classes = classes
        self.temperature_bounds = temperature_bounds
        self.max_iter = max_iter

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.estimator is not None:
            inner = get_tags(self.estimator)
            tags.input_tags.sparse = inner.input_tags.sparse
            tags.input_tags.allow_nan = inner.input_tags.allow_nan
            tags.input_tags.string = inner.input_tags.string
        return tags

    # ------------------------------------------------------------------- fit

    # The inner estimator's parameters are not validated by this fit.
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the temperature (and, when cross-fitting, the estimator).

        Parameters
        ----------
        X : array-like
            The scores (``estimator=None``) or the estimator's input.
        y : array-like of shape (n_samples,)
            Labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the NLL; also passed to the estimator's ``fit`` when it
            accepts them (or, with metadata routing, when it requests them).
        **fit_params : dict
            Further parameters for the estimator's ``fit``.

        Returns
        -------
        self : TemperatureScaler
            The fitted calibrator.
        """
        lower, upper = self._check_bounds()
        if is_dask_array(X):
            return self._fit_dask(X, y, sample_weight, fit_params, lower, upper)
        y = _check_labels(y)
        check_consistent_length(X, y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, y, dtype=np.float64, ensure_non_negative=True
            )
        if self.estimator is None:
            if fit_params:
                raise TypeError(
                    f"fit got unexpected parameters {sorted(fit_params)}: "
                    "estimator=None takes only sample_weight"
                )
            logits, codes = self._scores_and_codes(X, y)
        else:
            logits, codes = self._fit_estimator(X, y, sample_weight, fit_params)
        if sample_weight is not None:
            weighted_classes = np.unique(codes[sample_weight > 0])
            if weighted_classes.size < 2:
                raise ValueError(
                    "TemperatureScaler needs samples of at least 2 classes with "
                    f"positive weight; the weights leave {weighted_classes.size} "
                    "class."
                )
        return self._fit_temperature(
            TemperatureObjective(logits, codes, sample_weight), lower, upper
        )

    def _fit_temperature(self, objective, lower, upper):
        result = fit_inverse_temperature(
            objective, beta_bounds=(1.0 / upper, 1.0 / lower), max_iter=self.max_iter
        )
        self.temperature_ = float(1.0 / result.beta)
        self.n_iter_ = result.n_iter
        if not result.converged:
            where = {"lower": "lower", "upper": "upper"}.get(result.at_bound)
            stop = f"T stopped at its {where} bound" if where else "T is not exact"
            warnings.warn(
                f"TemperatureScaler did not converge: {result.message}; {stop} "
                f"(temperature_ = {self.temperature_:.6g}, temperature_bounds = "
                f"{self.temperature_bounds}).",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def _fit_dask(self, X, y, sample_weight, fit_params, lower, upper):
        """Raw scores in Dask arrays: each Newton iteration one reduction."""
        import dask
        import dask.array as da

        from skmax._dask import DaskTemperatureObjective, check_finite

        if self.estimator is not None or fit_params:
            raise TypeError(
                "Dask arrays are supported for raw scores (estimator=None) only."
            )
        if X.ndim not in (1, 2):
            raise ValueError(f"X must be 1-D or 2-D, got {X.ndim}-D.")
        self.n_features_in_ = 1 if X.ndim == 1 else X.shape[1]
        check_finite(X[:, None] if X.ndim == 1 else X)
        input_type = self.input_type
        n_columns = max(2, self.n_features_in_)
        if X.ndim == 2 and X.numblocks[1] != 1:
            X = X.rechunk({1: -1})
        dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
        logits = X.map_blocks(
            lambda block: as_logits(block, input_type),
            dtype=dtype,
            chunks=(X.chunks[0], (n_columns,)),
            new_axis=1 if X.ndim == 1 else None,
            meta=np.empty((0, n_columns), dtype=dtype),
        )
        y = da.asarray(y)
        if self.classes is None:
            classes = np.asarray(dask.compute(da.unique(y))[0])
        else:
            classes = np.asarray(self.classes)
        if classes.size < 2 or classes.size != n_columns:
            raise ValueError(
                f"X has {n_columns} columns of scores (binary decision values count "
                f"as 2) for {classes.size} classes; they must match, with at least 2."
            )
        codes = y.map_blocks(lambda block: _encode(block, classes), dtype=np.intp)
        weights = None if sample_weight is None else da.asarray(sample_weight)
        self.classes_ = classes
        objective = DaskTemperatureObjective(logits, codes, weights, dtype)
        return self._fit_temperature(objective, lower, upper)

    def _check_bounds(self):
        bounds = self.temperature_bounds
        if (
            len(bounds) != 2
            or not all(isinstance(b, Real) and np.isfinite(b) for b in bounds)
            or not 0 < bounds[0] < bounds[1]
        ):
            raise ValueError(
                "temperature_bounds must be two finite numbers 0 < low < high, got "
                f"{bounds!r}"
            )
        return float(bounds[0]), float(bounds[1])

    def _scores_and_codes(self, X, y):
        """Raw-score mode: validated logits and class codes; sets classes_."""
        X = self._validate_scores(X, reset=True)
        logits = as_logits(X, self.input_type)
        if self.classes is None:
            classes = np.unique(y)
        else:
            classes = np.asarray(self.classes)
            if np.unique(classes).size != classes.size:
                raise ValueError(f"classes has repeated labels: {classes!r}")
        if classes.size < 2:
            raise ValueError(
                "TemperatureScaler needs scores for at least 2 classes; y has "
                f"1 class: {classes[0]!r}. Pass `classes` if the scores cover more."
            )
        if logits.shape[1] != classes.size:
            raise ValueError(
                f"X has {logits.shape[1]} columns of scores (binary decision values "
                f"count as 2) but there are {classes.size} classes; the score "
                "columns must match the classes (pass `classes` to name them)."
            )
        self.classes_ = classes
        return logits, _encode(y, classes)

    def _fit_estimator(self, X, y, sample_weight, fit_params):
        """Estimator mode: fit or freeze the estimator, return scores and codes."""
        X, y = indexable(X, y)
        estimator_fit = self._route_fit_params(sample_weight, fit_params)
        if isinstance(self.estimator, FrozenEstimator):
            self.estimator_ = self.estimator
            method = self._response_method(self.estimator_)
            scores = getattr(self.estimator_, method)(X)
        else:
            method = self._response_method(self.estimator)
            cv = check_cv(self.cv, y, classifier=True)
            scores = cross_val_predict(
                clone(self.estimator),
                X,
                y,
                cv=cv,
                method=method,
                params=estimator_fit.fit,
            )
            self.estimator_ = clone(self.estimator).fit(X, y, **estimator_fit.fit)
        self.classes_ = self.estimator_.classes_
        self.response_method_ = method
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        if hasattr(self.estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.estimator_.feature_names_in_
        logits = self._as_logits(scores)
        if logits.shape[1] != self.classes_.size:
            raise ValueError(
                f"The estimator's {method} gives {logits.shape[1]} columns for "
                f"{self.classes_.size} classes."
            )
        return logits, _encode(y, self.classes_)

    def _route_fit_params(self, sample_weight, fit_params):
        if _routing_enabled():
            return process_routing(
                self, "fit", sample_weight=sample_weight, **fit_params
            ).estimator
        fit = dict(fit_params)
        if sample_weight is not None:
            if "sample_weight" in signature(self.estimator.fit).parameters:
                fit["sample_weight"] = sample_weight
            elif not isinstance(self.estimator, FrozenEstimator):
                warnings.warn(
                    f"{type(self.estimator).__name__}.fit does not accept "
                    "sample_weight: the weights are used for the temperature only.",
                    UserWarning,
                    stacklevel=3,
                )
        return Bunch(fit=fit)

    def _response_method(self, estimator):
        if self.response_method != "auto":
            if not hasattr(estimator, self.response_method):
                raise AttributeError(
                    f"{type(estimator).__name__} has no {self.response_method}"
                )
            return self.response_method
        for method in ("decision_function", "predict_proba"):
            if hasattr(estimator, method):
                return method
        raise AttributeError(
            f"{type(estimator).__name__} has neither decision_function nor "
            "predict_proba"
        )

    def _scores_are_logits(self):
        if self.estimator is None:
            return self.input_type == "logits"
        return self.response_method_ == "decision_function"

    def _as_logits(self, scores):
        if self._scores_are_logits():
            return as_logits(scores, "logits")
        return as_logits(scores, "probabilities")

    def get_metadata_routing(self):
        """Metadata routing: ``sample_weight`` and fit parameters to the estimator.

        Returns
        -------
        routing : MetadataRouter
            Routes ``fit`` parameters to the estimator's ``fit`` and the
            cross-validation splitter's ``split``.
        """
        router = MetadataRouter(owner=self).add_self_request(self)
        if self.estimator is not None:
            router.add(
                estimator=self.estimator,
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            ).add(
                splitter=check_cv(self.cv, classifier=True),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
        return router

    # --------------------------------------------------------------- predict

    def _validate_scores(self, X, *, reset):
        """Raw-score mode: finite float scores, with feature-count bookkeeping."""
        X = validate_data(
            self, X, ensure_2d=False, dtype=[np.float64, np.float32], reset=reset
        )
        n_columns = 1 if X.ndim == 1 else X.shape[1]
        if reset:
            self.n_features_in_ = n_columns
        elif n_columns != self.n_features_in_:
            shape = "a 1-D array" if X.ndim == 1 else f"{n_columns} columns"
            raise ValueError(
                f"X has {shape} of scores, but TemperatureScaler was fitted on "
                f"{self.n_features_in_} columns. Reshape your data to "
                f"(n_samples, {self.n_features_in_})."
            )
        return X

    def _dask_map(self, method, X, n_columns, dtype=None):
        if dtype is None:
            dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
        if X.ndim == 1:
            X = X[:, None]
        return map_rows(method, X, n_columns, dtype)

    def _scores(self, X):
        """The uncalibrated scores for X: X itself, or the estimator's."""
        check_is_fitted(self, "temperature_")
        if self.estimator is None:
            return self._validate_scores(X, reset=False)
        return getattr(self.estimator_, self.response_method_)(X)

    def _logits(self, X):
        return self._as_logits(self._scores(X))

    def _temperature(self):
        T = self.temperature_
        if isinstance(T, bool) or not isinstance(T, Real) or not (0 < T < np.inf):
            raise ValueError(f"temperature_ must be a finite number > 0, got {T!r}")
        return float(T)

    def decision_function(self, X):
        """The scaled logits, ``logits / T``.

        Parameters
        ----------
        X : array-like
            The scores (``estimator=None``) or the estimator's input.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, as scikit-learn does, one column: the scaled logit
            of ``classes_[1]`` against ``classes_[0]`` (for binary decision values
            ``x`` that is ``x / T``), positive where ``classes_[1]`` is predicted.
        """
        if is_dask_array(X):
            check_is_fitted(self, "temperature_")
            k = self.classes_.size
            return self._dask_map(self.decision_function, X, None if k == 2 else k)
        logits = self._logits(X) / self._temperature()
        return logits[:, 1] - logits[:, 0] if logits.shape[1] == 2 else logits

    def predict_proba(self, X):
        """Calibrated probabilities, ``softmax(logits / T)``.

        Parameters
        ----------
        X : array-like
            The scores (``estimator=None``) or the estimator's input.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``.
        """
        if is_dask_array(X):
            check_is_fitted(self, "temperature_")
            return self._dask_map(self.predict_proba, X, self.classes_.size)
        return softmax(self._logits(X), axis=1, temperature=self._temperature())

    def predict_log_proba(self, X):
        """Calibrated log-probabilities, ``log_softmax(logits / T)``: exact.

        Parameters
        ----------
        X : array-like
            The scores (``estimator=None``) or the estimator's input.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Log-probabilities in the order of ``classes_``.
        """
        if is_dask_array(X):
            check_is_fitted(self, "temperature_")
            return self._dask_map(self.predict_log_proba, X, self.classes_.size)
        return log_softmax(self._logits(X), axis=1, temperature=self._temperature())

    def predict(self, X):
        """The most probable class: the argmax of the logits, which T leaves alone.

        Parameters
        ----------
        X : array-like
            The scores (``estimator=None``) or the estimator's input.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        if is_dask_array(X):
            check_is_fitted(self, "temperature_")
            return self._dask_map(self.predict, X, None, self.classes_.dtype)
        logits = self._logits(X)
        return self.classes_[np.argmax(logits, axis=1)]


def _check_labels(y):
    """1-D, finite classification labels (a column vector is raveled, warning)."""
    y = column_or_1d(y, warn=True)
    y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
    check_classification_targets(y)
    return y


def _encode(y, classes):
    """Codes of ``y`` in ``classes``; labels outside ``classes`` are an error."""
    y = np.asarray(y)
    try:
        order = np.argsort(classes, kind="stable")
        positions = np.searchsorted(classes, y, sorter=order)
        codes = order[np.clip(positions, 0, classes.size - 1)]
        unknown = classes[codes] != y
    except (TypeError, ValueError):  # labels not comparable with the classes
        codes, unknown = None, np.ones(y.shape, dtype=bool)
    if np.any(unknown):
        raise ValueError(
            f"y contains labels not in classes_: {np.unique(y[unknown])[:5]!r} "
            f"(classes_ = {classes!r})"
        )
    return codes
