"""Tests of skmax._reliability_display.ReliabilityDisplay, rendered with Agg."""

import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from skmax._reliability_display import ReliabilityDisplay
from skmax.metrics import expected_calibration_error, reliability_curve

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def iris_model():
    data = load_iris()
    y = data.target_names[data.target]  # string labels
    return LogisticRegression(max_iter=1000).fit(data.data, y), data.data, y


def _predictions(n_samples=400, n_classes=4, sharpness=1.0, seed=0):
    rng = np.random.default_rng(seed)
    logits = 2 * rng.standard_normal((n_samples, n_classes))
    prob = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(n_classes, p=row) for row in prob])
    sharp = np.exp(sharpness * logits)
    return y, sharp / sharp.sum(axis=1, keepdims=True)


def _curve_lines(ax):
    return [
        line for line in ax.get_lines() if line.get_label() != "Perfectly calibrated"
    ]


def test_renders_png_with_ece_and_binning_in_legend(tmp_path):
    y, prob = _predictions()
    display = ReliabilityDisplay.from_predictions(y, prob, name="model")
    ece = expected_calibration_error(y, prob, n_bins=15, strategy="uniform")
    expected = f"model (ECE = {ece:.4f}, 15 uniform bins)"
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == ["Perfectly calibrated", expected]
    assert display.line_.get_label() == expected
    path = tmp_path / "reliability.png"
    display.figure_.savefig(path)
    assert path.exists() and path.stat().st_size > 0


def test_plotted_values_are_the_curve():
    y, prob = _predictions(seed=1)
    display = ReliabilityDisplay.from_predictions(
        y, prob, n_bins=8, strategy="quantile"
    )
    curve = reliability_curve(y, prob, n_bins=8, strategy="quantile")
    assert_allclose(display.line_.get_xdata(), curve.confidence)
    assert_allclose(display.line_.get_ydata(), curve.accuracy)
    assert display.ece == curve.ece
    assert "8 quantile bins" in display.line_.get_label()
    assert display.line_.get_label().startswith("Classifier (ECE = ")
    # Gap: one vertical segment per bin from the diagonal to the point.
    segments = display.gap_.get_segments()
    assert len(segments) == curve.confidence.size
    for segment, x, y_point in zip(
        segments, curve.confidence, curve.accuracy, strict=True
    ):
        assert_allclose(segment, [[x, x], [x, y_point]])
    # Histogram: fractions of the samples per bin (summing to one), drawn at a
    # quarter of the height.
    heights = display.histogram_.get_data().values
    assert_allclose(heights.sum(), 0.25)
    assert_allclose(heights[curve.bin_index], 0.25 * curve.count / y.size)
    assert_allclose(display.histogram_.get_data().edges, curve.bin_edges)


def test_two_models_on_one_axes(tmp_path):
    y, calibrated = _predictions(seed=2)
    _, overconfident = _predictions(seed=2, sharpness=3.0)
    first = ReliabilityDisplay.from_predictions(y, calibrated, name="calibrated")
    second = ReliabilityDisplay.from_predictions(
        y, overconfident, name="overconfident", ax=first.ax_
    )
    ax = first.ax_
    assert second.ax_ is ax and second.figure_ is first.figure_
    assert len(_curve_lines(ax)) == 2
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels[0] == "Perfectly calibrated"  # the diagonal is drawn once
    assert [label.split(" (")[0] for label in labels[1:]] == [
        "calibrated",
        "overconfident",
    ]
    assert len(ax.child_axes) == 1  # one shared fraction axis for the histograms
    assert first.line_.get_color() != second.line_.get_color()
    assert second.histogram_.get_edgecolor() != first.histogram_.get_edgecolor()
    assert second.ece > first.ece
    path = tmp_path / "two_models.png"
    ax.figure.savefig(path)
    assert path.stat().st_size > 0


def test_from_estimator_on_iris(iris_model, tmp_path):
    model, X, y = iris_model
    display = ReliabilityDisplay.from_estimator(model, X, y, n_bins=10)
    ece = expected_calibration_error(
        y, model.predict_proba(X), n_bins=10, labels=model.classes_
    )
    assert display.line_.get_label() == (
        f"LogisticRegression (ECE = {ece:.4f}, 10 uniform bins)"
    )
    display.figure_.savefig(tmp_path / "iris.png")
    assert (tmp_path / "iris.png").stat().st_size > 0


def test_from_estimator_needs_predict_proba():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="no predict_proba"):
        ReliabilityDisplay.from_estimator(LinearSVC().fit(X[:, :2], y), X[:, :2], y)


def test_options_switch_artists_off_and_kwargs_reach_the_line(iris_model):
    model, X, y = iris_model
    display = ReliabilityDisplay.from_estimator(
        model,
        X,
        y,
        name="LR",
        show_gap=False,
        show_histogram=False,
        ref_line=False,
        color="red",
        ls="--",
    )
    assert display.gap_ is None and display.histogram_ is None
    assert display.ax_.child_axes == []
    assert [line.get_label() for line in display.ax_.get_lines()] == [
        display.line_.get_label()
    ]
    assert display.line_.get_color() == "red"
    assert display.line_.get_linestyle() == "--"


def test_constructed_display_plots_on_given_axes():
    _, ax = plt.subplots()
    display = ReliabilityDisplay(
        np.array([0.55, 0.85]),
        np.array([0.5, 0.9]),
        np.array([10, 30]),
        ece=0.0625,
        n_bins=2,
        strategy="uniform",
    )
    assert display.plot(ax=ax) is display
    assert display.ax_ is ax
    assert display.line_.get_label() == "ECE = 0.0625, 2 uniform bins"
    assert display.histogram_ is None  # no bin edges given
    assert_array_equal(ax.get_xlim(), [0, 1])
    assert_array_equal(ax.get_ylim(), [0, 1])


def test_module_imports_without_matplotlib():
    # matplotlib is optional: importing the display or the metrics must not load it.
    code = (
        "import sys; import skmax.metrics, skmax._reliability_display; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_plot_without_matplotlib_raises_import_error(monkeypatch):
    display = ReliabilityDisplay(
        np.array([0.5]),
        np.array([0.5]),
        np.array([1]),
        ece=0.0,
        n_bins=1,
        strategy="uniform",
    )
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match="requires matplotlib"):
        display.plot()
