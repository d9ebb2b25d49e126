"""scikit-learn's own estimator checks, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skmax import SoftmaxRegression


@parametrize_with_checks([SoftmaxRegression()])
def test_sklearn_compatible(estimator, check):
    check(estimator)
