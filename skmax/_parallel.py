"""Thread-level parallelism over row blocks, shared by the numeric core.

NumPy ufuncs and BLAS calls release the GIL, so independent row blocks can run on
Python threads. The number of threads follows the BLAS thread limit that
``threadpoolctl`` reports (``threadpool_limits(1)`` makes skmax single-threaded), and
while skmax's own threads run, BLAS is limited to one thread so that the two never
oversubscribe the cores.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from typing import Any

import numpy as np

_state = threading.local()
_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_controller = None


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _blas_controller():
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller


def max_threads() -> int:
    """Threads skmax may use: the BLAS thread limit, capped by the usable cores.

    Inside one of skmax's own worker threads the answer is 1, so nested parallel
    regions run serially instead of waiting on the pool they occupy.
    """
    if getattr(_state, "in_worker", False):
        return 1
    blas = [
        lib.num_threads
        for lib in _blas_controller().lib_controllers
        if lib.user_api == "blas"
    ]
    limit = min(blas) if blas else _cpu_count()
    return max(1, min(limit, _cpu_count()))


def _get_executor() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=_cpu_count(), thread_name_prefix="skmax"
            )
        return _executor


def _forget_executor_after_fork() -> None:
    # A forked child inherits the executor object but not its threads.
    global _executor, _controller
    _executor = None
    _controller = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_executor_after_fork)


def _run_in_worker(func: Callable[[Any], Any], item: Any) -> Any:
    _state.in_worker = True
    try:
        return func(item)
    finally:
        _state.in_worker = False


def split_range(n: int, parts: int) -> list[tuple[int, int]]:
    """Split ``range(n)`` into ``parts`` contiguous ``(start, stop)`` pieces."""
    bounds = np.linspace(0, n, parts + 1).astype(np.intp)
    return [
        (int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a
    ]


def parallel_map(
    func: Callable[[Any], Any], items: Sequence[Any], n_threads: int
) -> list[Any]:
    """``[func(item) for item in items]``, on up to ``n_threads`` threads.

    BLAS is held to one thread meanwhile, so BLAS calls inside ``func`` do not
    oversubscribe the cores.
    """
    if n_threads <= 1 or len(items) <= 1:
        return [func(item) for item in items]
    executor = _get_executor()
    with single_threaded_blas():
        futures = [executor.submit(_run_in_worker, func, item) for item in items]
        return [future.result() for future in futures]


def single_threaded_blas():
    """Context manager limiting BLAS to one thread (no-op without a BLAS)."""
    controller = _blas_controller()
    if not any(lib.user_api == "blas" for lib in controller.lib_controllers):
        return nullcontext()
    return controller.limit(limits=1, user_api="blas")
