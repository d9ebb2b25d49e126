"""Reliability diagram of the top-label confidence of a multi-class classifier."""

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils._plotting import _validate_style_kwargs

from skmax.metrics import _describe_binning, reliability_curve

__all__ = ["ReliabilityDisplay"]

_REF_LINE_LABEL = "Perfectly calibrated"
# The confidence histogram is drawn in the bottom strip of the diagram: a bin holding
# all the weight reaches this height, so the curves above stay readable. A secondary
# y-axis (found again by its label when several models share the axes) shows the
# fraction of samples.
_HISTOGRAM_HEIGHT = 0.25
_HISTOGRAM_AXIS_LABEL = "skmax-reliability-histogram"


class ReliabilityDisplay:
    """Top-label reliability diagram (accuracy against confidence per bin).

    Works for any number of classes: a sample's confidence is its largest predicted
    probability and it counts as correct when that class is its label, as in
    :func:`skmax.metrics.reliability_curve` with ``kind="top-label"``. (The
    binary-only :class:`sklearn.calibration.CalibrationDisplay` plots the
    positive-class probability instead.) The plot shows the curve, the diagonal
    of perfect calibration, each bin's gap to it, and a histogram of the
    confidences; the legend gives the ECE with its binning.

    Use :meth:`from_estimator` or :meth:`from_predictions` to create one; all
    parameters are stored as attributes.

    Parameters
    ----------
    confidence : ndarray of shape (n_nonempty_bins,)
        Mean confidence in each bin.
    accuracy : ndarray of shape (n_nonempty_bins,)
        Mean correctness in each bin.
    count : ndarray of shape (n_nonempty_bins,)
        Number of samples in each bin.
    ece : float
        Expected calibration error of the binning.
    n_bins : int
        Number of bins the ECE was computed with.
    strategy : {"uniform", "quantile"}
        How the bin edges were placed.
    bin_edges : ndarray of shape (n_bins + 1,), default=None
        All edges; needed, with ``bin_index``, for the histogram.
    bin_index : ndarray of shape (n_nonempty_bins,), default=None
        Position of each bin of ``confidence`` among the ``n_bins`` bins.
    weight : ndarray of shape (n_nonempty_bins,), default=None
        Sum of the sample weights in each bin; the histogram shows
        ``weight / weight.sum()`` (``count`` if None).
    estimator_name : str, default=None
        Name shown in the legend.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The reliability curve.
    gap_ : matplotlib LineCollection or None
        Vertical segments from each bin's point to the diagonal.
    histogram_ : matplotlib StepPatch or None
        Outline of the fraction of the weight in each bin, along the bottom
        quarter of the diagram (scale on the right-hand axis).
    ax_ : matplotlib Axes
        Axes with the diagram.
    figure_ : matplotlib Figure
        Figure containing the diagram.

    See Also
    --------
    skmax.metrics.reliability_curve : The per-bin values plotted here.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmax import ReliabilityDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(max_iter=1000).fit(X, y)
    >>> display = ReliabilityDisplay.from_estimator(model, X, y, n_bins=10)
    >>> display.line_.get_label()  # doctest: +ELLIPSIS
    'LogisticRegression (ECE = 0.07..., 10 uniform bins)'
    >>> plt.close("all")
    """

    def __init__(
        self,
        confidence,
        accuracy,
        count,
        *,
        ece,
        n_bins,
        strategy,
        bin_edges=None,
        bin_index=None,
        weight=None,
        estimator_name=None,
    ):
        self.confidence = confidence
        self.accuracy = accuracy
        self.count = count
        self.ece = ece
        self.n_bins = n_bins
        self.strategy = strategy
        self.bin_edges = bin_edges
        self.bin_index = bin_index
        self.weight = weight
        self.estimator_name = estimator_name

    def plot(
        self,
        ax=None,
        *,
        name=None,
        show_gap=True,
        show_histogram=True,
        ref_line=True,
        **kwargs,
    ):
        """Plot the diagram, adding to the models already on ``ax``.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure and axes when None.
        name : str, default=None
            Name for the legend; ``estimator_name`` when None.
        show_gap : bool, default=True
            Draw a vertical segment from each bin's point to the diagonal.
        show_histogram : bool, default=True
            Outline the fraction of samples per bin along the bottom quarter,
            with its scale on a right-hand axis shared by all models on ``ax``.
            Needs ``bin_edges`` and ``bin_index``; skipped without them.
        ref_line : bool, default=True
            Draw the diagonal of perfect calibration (once per axes).
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for the curve.

        Returns
        -------
        display : ReliabilityDisplay
            The object itself, with the artists stored.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        name = self.estimator_name if name is None else name
        metric = (
            f"ECE = {self.ece:.4f}, {_describe_binning(self.n_bins, self.strategy)}"
        )
        label = metric if name is None else f"{name} ({metric})"

        if ref_line and _REF_LINE_LABEL not in ax.get_legend_handles_labels()[1]:
            ax.plot([0, 1], [0, 1], "k:", label=_REF_LINE_LABEL)
        line_kwargs = _validate_style_kwargs(
            {"marker": "s", "linestyle": "-", "label": label}, kwargs
        )
        self.line_ = ax.plot(self.confidence, self.accuracy, **line_kwargs)[0]
        color = self.line_.get_color()

        self.gap_ = None
        if show_gap:
            self.gap_ = ax.vlines(
                self.confidence,
                self.confidence,
                self.accuracy,
                colors=color,
                alpha=0.5,
                linewidth=2,
            )

        self.histogram_ = None
        if show_histogram and self.bin_edges is not None and self.bin_index is not None:
            mass = np.asarray(self.count if self.weight is None else self.weight)
            fraction = np.zeros(len(self.bin_edges) - 1)
            fraction[np.asarray(self.bin_index)] = mass / mass.sum()
            self.histogram_ = ax.stairs(
                _HISTOGRAM_HEIGHT * fraction,
                self.bin_edges,
                color=color,
                alpha=0.6,
                linewidth=1.5,
            )
            _add_fraction_axis(ax)

        ax.set(
            xlim=(0, 1),
            ylim=(0, 1),
            xlabel="Confidence (largest predicted probability)",
            ylabel="Accuracy",
        )
        ax.legend(loc="best", fontsize="small")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_prob,
        *,
        n_bins=15,
        strategy="uniform",
        sample_weight=None,
        labels=None,
        name=None,
        ax=None,
        show_gap=True,
        show_histogram=True,
        ref_line=True,
        **kwargs,
    ):
        """Plot the reliability diagram of predicted probabilities.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
            Predicted probabilities, columns in the order of ``labels``; 1-D is
            the probability of ``labels[1]`` in a binary problem.
        n_bins : int, default=15
            Number of bins.
        strategy : {"uniform", "quantile"}, default="uniform"
            Equal-width or equal-mass bins of the confidence.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        labels : array-like of shape (n_classes,), default=None
            The classes in the column order of ``y_prob``; defaults to
            ``np.unique(y_true)``.
        name : str, default=None
            Name for the legend; "Classifier" when None.
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure and axes when None.
        show_gap, show_histogram, ref_line : bool, default=True
            See :meth:`plot`.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for the curve.

        Returns
        -------
        display : ReliabilityDisplay
            The plotted display.

        Examples
        --------
        Two models on one axes, 10 uniform bins each:

        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from skmax import ReliabilityDisplay
        >>> y_true = [0, 1, 2, 2]
        >>> sharp = [[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0, 0, 1]]
        >>> flat = [[0.4, 0.3, 0.3], [0.3, 0.4, 0.3], [0.3, 0.3, 0.4], [0.3, 0.3, 0.4]]
        >>> first = ReliabilityDisplay.from_predictions(
        ...     y_true, sharp, n_bins=10, name="sharp")
        >>> second = ReliabilityDisplay.from_predictions(
        ...     y_true, flat, n_bins=10, name="flat", ax=first.ax_)
        >>> second.line_.get_label()
        'flat (ECE = 0.6000, 10 uniform bins)'
        >>> plt.close("all")
        """
        check_matplotlib_support(f"{cls.__name__}.from_predictions")
        curve = reliability_curve(
            y_true,
            y_prob,
            n_bins=n_bins,
            strategy=strategy,
            kind="top-label",
            sample_weight=sample_weight,
            labels=labels,
        )
        display = cls(
            curve.confidence,
            curve.accuracy,
            curve.count,
            ece=curve.ece,
            n_bins=n_bins,
            strategy=strategy,
            bin_edges=curve.bin_edges,
            bin_index=curve.bin_index,
            weight=curve.weight,
            estimator_name="Classifier" if name is None else name,
        )
        return display.plot(
            ax,
            show_gap=show_gap,
            show_histogram=show_histogram,
            ref_line=ref_line,
            **kwargs,
        )

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        n_bins=15,
        strategy="uniform",
        sample_weight=None,
        name=None,
        ax=None,
        show_gap=True,
        show_histogram=True,
        ref_line=True,
        **kwargs,
    ):
        """Plot the reliability diagram of a fitted classifier on data.

        The probabilities are ``estimator.predict_proba(X)`` with the classes
        ``estimator.classes_``.

        Parameters
        ----------
        estimator : estimator instance
            Fitted classifier (or pipeline ending in one) with ``predict_proba``.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input values.
        y : array-like of shape (n_samples,)
            True labels.
        n_bins : int, default=15
            Number of bins.
        strategy : {"uniform", "quantile"}, default="uniform"
            Equal-width or equal-mass bins of the confidence.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        name : str, default=None
            Name for the legend; the estimator's class name when None.
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure and axes when None.
        show_gap, show_histogram, ref_line : bool, default=True
            See :meth:`plot`.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for the curve.

        Returns
        -------
        display : ReliabilityDisplay
            The plotted display.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        if not hasattr(estimator, "predict_proba"):
            raise ValueError(
                f"{type(estimator).__name__} has no predict_proba; a reliability "
                f"diagram needs predicted probabilities."
            )
        return cls.from_predictions(
            y,
            estimator.predict_proba(X),
            n_bins=n_bins,
            strategy=strategy,
            sample_weight=sample_weight,
            labels=estimator.classes_,
            name=type(estimator).__name__ if name is None else name,
            ax=ax,
            show_gap=show_gap,
            show_histogram=show_histogram,
            ref_line=ref_line,
            **kwargs,
        )


def _add_fraction_axis(ax):
    """Right-hand axis reading the histogram heights as fractions, made once."""
    if any(child.get_label() == _HISTOGRAM_AXIS_LABEL for child in ax.child_axes):
        return
    axis = ax.secondary_yaxis(
        "right",
        functions=(
            lambda y: y / _HISTOGRAM_HEIGHT,
            lambda fraction: fraction * _HISTOGRAM_HEIGHT,
        ),
    )
    axis.set_label(_HISTOGRAM_AXIS_LABEL)
    axis.set_yticks([0, 0.5, 1])
    axis.set_ylabel("Fraction of samples", loc="bottom")
