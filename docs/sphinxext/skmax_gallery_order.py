"""Order of the examples in the sphinx-gallery index.

The quickstart comes first, then the examples in the order a new user would read
them; examples not listed here (new ones) follow, sorted by file name.
"""

from __future__ import annotations

_ORDER = (
    "plot_quickstart.py",
    "plot_softmax_regression_vs_logistic_regression.py",
    "plot_grid_search_C.py",
    "plot_calibrate_saved_logits.py",
    "plot_reliability_diagrams.py",
)


class ReadingOrder:
    """Sort key for ``within_subsection_order``: listed files first, in order."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        if filename in _ORDER:
            return (0, _ORDER.index(filename), filename)
        return (1, 0, filename)

    def __repr__(self):
        return f"<{type(self).__name__}>"
