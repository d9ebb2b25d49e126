"""scikit-learn's own estimator checks."""

import warnings

from sklearn.utils.estimator_checks import parametrize_with_checks

from skmax import SoftmaxRegression, TemperatureScaler


def _run(check, estimator):
    with warnings.catch_warnings():
        # Many checks fit random labels, or tiny separable data sets. The best
        # temperature is then infinite (scores without information) or zero
        # (scores that separate the classes), and TemperatureScaler says so with
        # a ConvergenceWarning, as it must: that is the data, not a failed check.
        for reason in ("the logits carry", "the NLL keeps decreasing"):
            warnings.filterwarnings(
                "ignore", message=f"TemperatureScaler did not converge: {reason}"
            )
        check(estimator)


@parametrize_with_checks([SoftmaxRegression(), TemperatureScaler(SoftmaxRegression())])
def test_sklearn_compatible(estimator, check):
    _run(check, estimator)


# On raw scores, X must have one column of scores per class (or one column of
# binary decision values). These checks fit feature matrices whose width has
# nothing to do with the number of classes, so fit rightly refuses them ("X has
# 4 columns of scores but there are 3 classes"):
_NOT_SCORES = (
    "check_classifiers_classes",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_estimators_pickle(readonly_memmap=True)",
    "check_n_features_in_after_fitting",
    "check_non_transformer_estimators_n_iter",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
    "check_sample_weight_equivalence_on_dense_data",
)
# ... and these fit two features as binary logits (an accepted shape) but expect
# the accuracy a model trained on those features would reach; temperature
# scaling never changes the argmax of its input, so it cannot.
_NOT_A_LEARNER = (
    "check_classifiers_train",
    "check_classifiers_train(readonly_memmap=True)",
    "check_classifiers_train(readonly_memmap=True,X_dtype=float32)",
)


@parametrize_with_checks(
    [TemperatureScaler()],
    expected_failed_checks=lambda estimator: {
        **dict.fromkeys(_NOT_SCORES, "X is a feature matrix, not class scores"),
        **dict.fromkeys(_NOT_A_LEARNER, "calibration keeps the argmax of X"),
    },
)
def test_sklearn_compatible_on_raw_scores(estimator, check):
    _run(check, estimator)
