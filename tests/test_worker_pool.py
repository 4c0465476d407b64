"""Worker pools that stop at once on Ctrl-C: workers ignore SIGINT, queued jobs are cancelled."""

from __future__ import annotations

import signal
import time

import pytest

from step2motion.worker_pool import worker_pool


def _sigint_handler(_: int) -> object:
    return signal.getsignal(signal.SIGINT)


def test_workers_leave_ctrl_c_to_the_main_process() -> None:
    with worker_pool(1) as pool:
        assert pool.submit(_sigint_handler, 0).result() == signal.SIG_IGN


def test_an_interrupt_cancels_the_queued_jobs() -> None:
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt), worker_pool(1) as pool:
        futures = [pool.submit(time.sleep, 0.5) for _ in range(20)]
        raise KeyboardInterrupt
    assert time.perf_counter() - started < 5.0  # not the 10 s of every queued job
    assert sum(future.cancelled() for future in futures) >= 15


def test_a_generator_closed_early_cancels_the_rest() -> None:
    def slow_results():
        with worker_pool(1) as pool:
            yield from pool.map(time.sleep, [0.5] * 20)

    started = time.perf_counter()
    results = slow_results()
    next(results)
    results.close()
    assert time.perf_counter() - started < 5.0
