"""Render benchmark results (JSON) as the RST tables of docs/benchmarks.

``python -m benchmarks.report SUITE [RESULTS.json]`` prints the table(s) for one
suite; ``docs/benchmarks/<suite>_table.rst`` hold its output, so the documented
figures are exactly the measured ones.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# suite -> list of (rows key, title, [(field, header, format)])
TABLES = {
    "softmax": [
        (
            "rows",
            "skmax.special against scipy.special (time ratio below 1: skmax faster)",
            [
                ("function", "function", "s"),
                ("shape", "shape", "s"),
                ("dtype", "dtype", "s"),
                ("skmax_s", "skmax (s)", ".4g"),
                ("skmax_iqr_s", "IQR", ".2g"),
                ("scipy_s", "SciPy (s)", ".4g"),
                ("scipy_iqr_s", "IQR", ".2g"),
                ("ratio", "skmax / SciPy", ".2f"),
                ("skmax_peak_mb", "skmax peak MB", ".0f"),
                ("scipy_peak_mb", "SciPy peak MB", ".0f"),
                ("input_mb", "input MB", ".0f"),
            ],
        )
    ],
    "regression": [
        (
            "rows",
            "Fit time and quality against LogisticRegression",
            [
                ("problem", "problem", "s"),
                ("dtype", "dtype", "s"),
                ("candidate", "candidate", "s"),
                ("solver", "solver", "s"),
                ("time_s", "time (s)", ".3g"),
                ("iqr_s", "IQR", ".2g"),
                ("ratio_sk_lbfgs", "/ sk lbfgs", ".2f"),
                ("ratio_sk_best", "/ sk best", ".2f"),
                ("n_iter", "n_iter", "d"),
                ("objective", "objective", ".10f"),
                ("gap", "gap", ".1e"),
                ("accuracy", "accuracy", ".4f"),
                ("peak_mb", "peak MB", ".1f"),
            ],
        ),
        (
            "gradient_rows",
            "One gradient evaluation against the two matrix products alone",
            [
                ("problem", "problem", "s"),
                ("dtype", "dtype", "s"),
                ("products_s", "2 products (s)", ".4g"),
                ("skmax_s", "skmax gradient (s)", ".4g"),
                ("skmax_ratio", "skmax / products", ".2f"),
                ("sklearn_s", "sklearn gradient (s)", ".4g"),
                ("sklearn_ratio", "sklearn / products", ".2f"),
            ],
        ),
    ],
    "calibration": [
        (
            "rows",
            "Temperature scaling of 200,000 x 100 logits (true T = 3)",
            [
                ("dtype", "dtype", "s"),
                ("candidate", "candidate", "s"),
                ("time_s", "time (s)", ".3g"),
                ("iqr_s", "IQR", ".2g"),
                ("ratio_sklearn", "/ sklearn", ".3f"),
                ("temperature", "T", ".8f"),
                ("delta_nll", "NLL - sklearn's", ".1e"),
                ("iterations", "iterations", "d"),
                ("peak_x_input", "peak / input", ".2f"),
            ],
        ),
        (
            "real_rows",
            "Real network outputs (ECE: top-label, 15 equal-width bins; metrics on "
            "the held-out split)",
            [
                ("file", "file", "s"),
                ("temperature", "T", ".5f"),
                ("nll_before", "NLL before", ".4f"),
                ("nll_after", "NLL after", ".4f"),
                ("ece_before", "ECE before", ".4f"),
                ("ece_after", "ECE after", ".4f"),
                ("accuracy_after", "accuracy", ".4f"),
                ("sklearn_temperature", "sklearn T", ".5f"),
            ],
        ),
    ],
    "partial_fit": [
        (
            "rows",
            "Ten passes of partial_fit against fit (gap: relative objective gap to "
            "fit's optimum, same C)",
            [
                ("problem", "problem", "s"),
                ("batch", "batch", "d"),
                ("gap_1", "gap after 1", ".1e"),
                ("gap_3", "after 3", ".1e"),
                ("gap_5", "after 5", ".1e"),
                ("gap_8", "after 8", ".1e"),
                ("gap_10", "after 10", ".1e"),
                ("partial_fit_s", "10 passes (s)", ".3g"),
                ("fit_s", "fit (s)", ".3g"),
                ("ratio_fit", "/ fit", ".1f"),
                ("accuracy", "accuracy", ".4f"),
                ("sgd_s", "SGDClassifier 10 passes (s)", ".3g"),
                ("sgd_accuracy", "SGD accuracy", ".4f"),
            ],
        )
    ],
    "dask": [
        (
            "rows",
            "SoftmaxRegression on a LocalCluster, data generated chunk by chunk",
            [
                ("rows", "rows", ",d"),
                ("data_gb", "data GB", ".2f"),
                ("worker_limit_gb", "limit per worker GB", ".2f"),
                ("data_over_limit", "data / limit", ".1f"),
                ("fit_s", "fit (s)", ".0f"),
                ("n_iter", "Newton iterations", "d"),
                ("worker_peak_gb", "peak per worker GB", ".3f"),
                ("max_dp_subsample", "max abs dP vs 1M-row fit", ".1e"),
                ("max_dp_planted", "max abs dP vs planted", ".1e"),
            ],
        )
    ],
}


def _cell(value, spec):
    if value is None:
        return "--"
    try:
        return format(value, spec)
    except (TypeError, ValueError):
        return str(value)


def render(suite: str, results: dict) -> str:
    machine = results.get("machine", {})
    blas = ", ".join(
        f"{b.get('internal_api')} ({b.get('num_threads')} threads)"
        for b in machine.get("blas", [])
    )
    lines = [
        f".. Generated by ``python -m benchmarks.report {suite}`` from "
        f"benchmarks/results/{suite}.json.",
        "",
        f"Measured with Python {machine.get('python')}, NumPy {machine.get('numpy')}, "
        f"SciPy {machine.get('scipy')}, scikit-learn {machine.get('scikit-learn')}, "
        f"BLAS {blas}, on a shared 2-core machine.",
        "",
    ]
    for key, title, columns in TABLES[suite]:
        rows = results.get(key) or []
        if not rows:
            continue
        lines += [f".. list-table:: {title}", "   :header-rows: 1", ""]
        lines.append("   * - " + "\n     - ".join(h for _, h, _ in columns))
        for row in rows:
            cells = [_cell(row.get(field), spec) for field, _, spec in columns]
            lines.append("   * - " + "\n     - ".join(cells))
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    suite = argv[0]
    default = Path(__file__).parent / "results" / f"{suite}.json"
    path = Path(argv[1]) if len(argv) > 1 else default
    print(render(suite, json.loads(path.read_text())))


if __name__ == "__main__":
    main()
