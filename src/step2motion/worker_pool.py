"""Process pools that stop at once on Ctrl-C.

Why: by default every worker of a ``ProcessPoolExecutor`` receives the terminal's SIGINT too and prints a
traceback of its own, and leaving the pool waits for every queued job. Here workers ignore SIGINT (the main
process handles it) and an interrupted or abandoned pool cancels what has not started.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing.context import BaseContext


def ignore_interrupts() -> None:
    """Run in each worker: Ctrl-C is the main process's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def worker_pool(jobs: int, mp_context: BaseContext | None = None) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``jobs`` worker processes; on Ctrl-C in the block (or when a generator using it is
    closed early) the jobs not started are cancelled before the pool is left."""
    with ProcessPoolExecutor(max_workers=jobs, mp_context=mp_context, initializer=ignore_interrupts) as pool:
        try:
            yield pool
        except (KeyboardInterrupt, GeneratorExit):
            pool.shutdown(cancel_futures=True)
            raise
