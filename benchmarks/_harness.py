"""Timing and memory helpers shared by the benchmark suites.

Candidates are timed in interleaved rounds (a, b, a, b, ... with the order flipped
every round) so that a noisy, shared machine slows them alike; the report gives the
median and the interquartile range of each, and ratios of medians.
"""

from __future__ import annotations

import gc
import json
import platform
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np


def interleaved_times(
    candidates: dict[str, Callable[[], object]],
    repeats: int,
    warmup: int = 1,
    pause: float = 0.0,
    settle: bool = False,
) -> dict[str, list[float]]:
    """Wall times of each candidate over ``repeats`` interleaved rounds.

    ``pause`` seconds of sleep precede each timed call, so that a candidate does
    not pay for threads the previous one left busy: OpenBLAS's workers spin for
    about 0.1 s after a multi-threaded call, on the cores the next call needs.
    With ``settle``, one untimed call of the same candidate follows the pause, so
    that a short call is timed in its steady state (caches, threads and clock as
    in a loop of such calls) rather than just after the machine idled.
    """
    names = list(candidates)
    for _ in range(warmup):
        for name in names:
            candidates[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(repeats):
        order = names if round_ % 2 == 0 else names[::-1]
        for name in order:
            gc.collect()
            time.sleep(pause)
            if settle:
                candidates[name]()
            start = time.perf_counter()
            candidates[name]()
            times[name].append(time.perf_counter() - start)
    return times


def summary(times: list[float]) -> dict[str, float]:
    q1, median, q3 = np.percentile(times, [25, 50, 75])
    return {
        "median": float(median),
        "q1": float(q1),
        "q3": float(q3),
        "min": float(min(times)),
        "n": len(times),
    }


def timing_fields(stats: dict[str, float], per: int = 1) -> dict[str, float]:
    """The timing columns of a result row from a :func:`summary`, per call."""
    return {
        "time_s": stats["median"] / per,
        "iqr_s": (stats["q3"] - stats["q1"]) / per,
        "q1_s": stats["q1"] / per,
        "q3_s": stats["q3"] / per,
        "min_s": stats["min"] / per,
        "n_rounds": stats["n"],
    }


def peak_extra_memory(func: Callable[[], object]) -> int:
    """Peak bytes allocated while ``func`` runs (NumPy reports to tracemalloc).

    The result is kept alive until the peak is read, so it is included.
    """
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        result = func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak - base


def machine() -> dict[str, object]:
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "processor": platform.processor() or platform.machine(),
        "blas": [
            {k: lib.get(k) for k in ("internal_api", "num_threads", "architecture")}
            for lib in threadpool_info()
            if lib.get("user_api") == "blas"
        ],
    }


def write_json(path: str | Path, payload: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"machine": machine(), **payload}, indent=2))
    print(f"\nwrote {path}")


def print_table(rows: list[dict], columns: list[tuple[str, str, str]]) -> None:
    """Print ``rows`` with ``columns`` given as (key, header, format spec)."""
    cells = [[format(row[key], spec) for key, _, spec in columns] for row in rows]
    headers = [header for _, header, _ in columns]
    widths = [
        max(len(h), *(len(c[i]) for c in cells)) if cells else len(h)
        for i, h in enumerate(headers)
    ]
    line = "  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in cells:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
