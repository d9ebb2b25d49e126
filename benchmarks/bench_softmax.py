"""skmax.special against scipy.special: softmax, log_softmax and logsumexp.

Shapes 1,000,000x100, 100,000x1,000 and 1,000x10 in float64 and float32; each
function is timed against SciPy's in interleaved rounds along the last axis.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import scipy.special

import skmax

from ._harness import interleaved_times, peak_extra_memory, print_table, summary

SHAPES = [(1_000_000, 100), (100_000, 1_000), (1_000, 10)]
DTYPES = [np.float64, np.float32]
FUNCTIONS = ["softmax", "log_softmax", "logsumexp"]


def _repeats(size: int, repeats: int) -> int:
    # Small inputs take microseconds: time many calls per round and many rounds.
    return repeats if size > 1_000_000 else 20 * repeats


def run(repeats: int = 7, quick: bool = False) -> dict:
    rng = np.random.default_rng(0)
    shapes = [(100_000, 100), (10_000, 1_000), (1_000, 10)] if quick else SHAPES
    rows = []
    for shape in shapes:
        for dtype in DTYPES:
            x = (3 * rng.standard_normal(shape)).astype(dtype)
            inner = 1 if x.size > 1_000_000 else 50
            for name in FUNCTIONS:
                ours = getattr(skmax, name)
                theirs = getattr(scipy.special, name)

                def run_ours(ours=ours, x=x, inner=inner):
                    for _ in range(inner):
                        ours(x, axis=-1)

                def run_theirs(theirs=theirs, x=x, inner=inner):
                    for _ in range(inner):
                        theirs(x, axis=-1)

                times = interleaved_times(
                    {"skmax": run_ours, "scipy": run_theirs},
                    _repeats(x.size, repeats),
                )
                s_ours, s_theirs = summary(times["skmax"]), summary(times["scipy"])
                row = {
                    "function": name,
                    "shape": "x".join(map(str, shape)),
                    "dtype": np.dtype(dtype).name,
                    "skmax_s": s_ours["median"] / inner,
                    "skmax_iqr_s": (s_ours["q3"] - s_ours["q1"]) / inner,
                    "scipy_s": s_theirs["median"] / inner,
                    "scipy_iqr_s": (s_theirs["q3"] - s_theirs["q1"]) / inner,
                    "ratio": s_ours["median"] / s_theirs["median"],
                    "skmax_peak_mb": peak_extra_memory(partial(ours, x, axis=-1)) / 1e6,
                    "scipy_peak_mb": peak_extra_memory(partial(theirs, x, axis=-1))
                    / 1e6,
                    "input_mb": x.nbytes / 1e6,
                }
                rows.append(row)
                print(
                    f"{name:12s} {row['shape']:>12s} {row['dtype']:8s} "
                    f"time ratio skmax/scipy {row['ratio']:.2f}",
                    flush=True,
                )
    print()
    print_table(
        rows,
        [
            ("function", "function", "s"),
            ("shape", "shape", "s"),
            ("dtype", "dtype", "s"),
            ("skmax_s", "skmax (s)", ".4g"),
            ("skmax_iqr_s", "IQR", ".2g"),
            ("scipy_s", "scipy (s)", ".4g"),
            ("scipy_iqr_s", "IQR", ".2g"),
            ("ratio", "skmax/scipy", ".2f"),
            ("skmax_peak_mb", "skmax peak MB", ".1f"),
            ("scipy_peak_mb", "scipy peak MB", ".1f"),
            ("input_mb", "input MB", ".1f"),
        ],
    )
    return {"benchmark": "softmax", "repeats": repeats, "rows": rows}
