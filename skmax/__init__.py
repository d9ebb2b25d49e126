"""skmax: numerically stable softmax tools for scikit-learn.

- :mod:`skmax.special`: ``softmax``, ``log_softmax``, ``logsumexp``.
- :class:`SoftmaxRegression`: multinomial logistic regression.
- :class:`TemperatureScaler` and :class:`ReliabilityDisplay`: calibration, with the
  metrics in :mod:`skmax.metrics`.
"""

from skmax._softmax_regression import SoftmaxRegression
from skmax.calibration import ReliabilityDisplay, TemperatureScaler
from skmax.special import log_softmax, logsumexp, softmax

__version__ = "0.1.0"

__all__ = [
    "ReliabilityDisplay",
    "SoftmaxRegression",
    "TemperatureScaler",
    "__version__",
    "log_softmax",
    "logsumexp",
    "softmax",
]
