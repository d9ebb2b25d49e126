"""skmax: numerically stable softmax tools for scikit-learn."""

from skmax._softmax_regression import SoftmaxRegression
from skmax.special import log_softmax, logsumexp, softmax

__version__ = "0.1.0"

__all__ = ["SoftmaxRegression", "__version__", "log_softmax", "logsumexp", "softmax"]
