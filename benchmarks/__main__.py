"""Run a benchmark suite: ``python -m benchmarks {softmax,...} [--repeats N]``.

Each suite prints a table of medians, interquartile ranges and time ratios
(skmax / peer; below 1 means skmax is faster) and writes it as JSON to
``benchmarks/results/<suite>.json``.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from ._harness import write_json

SUITES = {
    "softmax": "benchmarks.bench_softmax",
    "regression": "benchmarks.bench_regression",
    "calibration": "benchmarks.bench_calibration",
    "dask": "benchmarks.bench_dask",
    "partial_fit": "benchmarks.bench_partial_fit",
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("suite", choices=sorted(SUITES))
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="interleaved rounds (default: the suite's own)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller inputs, for a smoke test"
    )
    parser.add_argument(
        "--json",
        default=None,
        help="where to write the results (default benchmarks/results/SUITE.json)",
    )
    args = parser.parse_args(argv)
    module = importlib.import_module(SUITES[args.suite])
    options = {"quick": args.quick}
    if args.repeats is not None:
        options["repeats"] = args.repeats
    payload = module.run(**options)
    default = Path(__file__).parent / "results" / f"{args.suite}.json"
    write_json(args.json or default, payload)


if __name__ == "__main__":
    main()
