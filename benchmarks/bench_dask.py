"""SoftmaxRegression on Dask: data generated lazily, larger than the workers' memory.

``python -m benchmarks dask [--quick]`` starts a LocalCluster of two process
workers with a memory limit each, builds a float32 data set chunk by chunk from
a planted softmax model (it is never held anywhere in full: every pass of the
solver regenerates its chunks), fits ``SoftmaxRegression`` on it and reports the
fit time, the solver's iterations, each worker's peak resident memory (sampled
every 0.2 s) against its limit, and how the fitted model compares with an
in-memory fit on a subsample and with the planted model.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from ._harness import print_table

N_FEATURES = 20
N_CLASSES = 5
CHUNK_ROWS = 250_000


def _planted(seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((N_CLASSES, N_FEATURES)) * 0.5).astype(np.float32)


def _labels(X, gumbel, W):
    return np.argmax(X @ W.T + gumbel, axis=1)


def _data(n_rows, seed=0):
    import dask.array as da

    rng = da.random.default_rng(seed)
    chunks = (CHUNK_ROWS, N_FEATURES)
    X = rng.standard_normal((n_rows, N_FEATURES), chunks=chunks, dtype=np.float32)
    gumbel = rng.gumbel(size=(n_rows, N_CLASSES), chunks=(CHUNK_ROWS, N_CLASSES))
    W = _planted(seed)
    y = da.map_blocks(_labels, X, gumbel, W, drop_axis=1, dtype=np.intp)
    return X, y, W


def _rss():
    import psutil

    return psutil.Process().memory_info().rss


class _PeakMemory:
    """Samples every worker's resident memory in a background thread."""

    def __init__(self, client, every=0.2):
        self.client, self.every = client, every
        self.peak: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            for worker, rss in self.client.run(_rss).items():
                self.peak[worker] = max(self.peak.get(worker, 0), rss)
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run(repeats: int = 1, quick: bool = False) -> dict:
    from distributed import Client, LocalCluster

    from skmax import SoftmaxRegression
    from skmax.special import softmax

    # A worker's own footprint (Python, NumPy, SciPy, Dask) is ~200 MB.
    memory_limit = 600e6 if quick else 1e9
    n_rows = 5_000_000 if quick else 52_000_000
    data_bytes = n_rows * N_FEATURES * 4
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        memory_limit=memory_limit,
        dashboard_address=None,
    )
    rows = []
    with Client(cluster) as client:
        X, y, W = _data(n_rows)
        model = SoftmaxRegression()
        with _PeakMemory(client) as memory:
            start = time.perf_counter()
            model.fit(X, y)
            seconds = time.perf_counter() - start
        # An in-memory fit on a subsample, and the planted model, on fresh rows.
        sub_X, sub_y = (a.compute() for a in (X[:1_000_000], y[:1_000_000]))
        subsample = SoftmaxRegression().fit(sub_X, sub_y)
        test_X = np.random.default_rng(1).standard_normal((20_000, N_FEATURES))
        test_X = test_X.astype(np.float32)
        ours = model.predict_proba(test_X)
        rows.append(
            {
                "rows": n_rows,
                "data_gb": data_bytes / 1e9,
                "worker_limit_gb": memory_limit / 1e9,
                "data_over_limit": data_bytes / memory_limit,
                "fit_s": seconds,
                "n_iter": int(model.n_iter_[0]),
                "worker_peak_gb": max(memory.peak.values()) / 1e9,
                "max_dp_subsample": float(
                    np.abs(ours - subsample.predict_proba(test_X)).max()
                ),
                "max_dp_planted": float(np.abs(ours - softmax(test_X @ W.T)).max()),
            }
        )
    cluster.close()
    print_table(
        rows,
        [
            ("rows", "rows", ",d"),
            ("data_gb", "data GB", ".2f"),
            ("worker_limit_gb", "limit/worker GB", ".2f"),
            ("data_over_limit", "data/limit", ".1f"),
            ("fit_s", "fit (s)", ".1f"),
            ("n_iter", "Newton iters", "d"),
            ("worker_peak_gb", "peak/worker GB", ".3f"),
            ("max_dp_subsample", "max|dP| vs 1M-row fit", ".1e"),
            ("max_dp_planted", "max|dP| vs planted", ".1e"),
        ],
    )
    return {"benchmark": "dask", "rows": rows}
