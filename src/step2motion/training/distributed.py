"""One training process, alone or one of several started by ``torchrun`` (DDP: gloo on CPU, NCCL on GPUs).

``torchrun`` sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and ``LOCAL_WORLD_SIZE``; without them this
is a single process. Only rank 0 writes files and shows progress bars. CPU processes share the
machine's cores evenly (``torch.set_num_threads``), so one process alone uses them all.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.distributed as dist

from step2motion.errors import InputError

T = TypeVar("T")


def available_cpus() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def choose_device(setting: str, local_rank: int) -> torch.device:
    """``auto``: CUDA when available; under several processes each takes GPU ``local_rank``."""
    if setting == "auto":
        setting = "cuda" if torch.cuda.is_available() else "cpu"
    if setting.startswith("cuda"):
        if not torch.cuda.is_available():
            raise InputError(f"device {setting!r} requested but CUDA is not available")
        return torch.device(setting if ":" in setting else f"cuda:{local_rank}")
    return torch.device(setting)


@dataclass(frozen=True)
class ProcessContext:
    """Where this process stands: rank, world size, device, and whether it is the one that writes."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    def main_first(self, work: Callable[[], T]) -> T:
        """``work()`` on rank 0, then on the others (e.g. rank 0 fills a cache the others then read)."""
        result = work() if self.is_main else None
        self.barrier()
        return work() if not self.is_main else result

    def sum(self, values: dict[str, float]) -> dict[str, float]:
        """Element-wise sum of ``values`` over all processes (every process gets the result)."""
        if not self.distributed:
            return dict(values)
        tensor = torch.tensor(list(values.values()), dtype=torch.float64, device=self.device)
        dist.all_reduce(tensor)
        return dict(zip(values, tensor.tolist(), strict=True))

    def close(self) -> None:
        """Leave the process group together: a process tearing its group down while another still writes
        its last checkpoint can abort at exit."""
        if self.distributed and dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()


def start_process(device_setting: str) -> ProcessContext:
    """Join the process group when started by ``torchrun``, pick the device and the CPU thread count."""
    rank, world_size = _env_int("RANK", 0), _env_int("WORLD_SIZE", 1)
    local_rank = _env_int("LOCAL_RANK", 0)
    device = choose_device(device_setting, local_rank)
    if device.type == "cpu" and "OMP_NUM_THREADS" not in os.environ:
        # An explicit OMP_NUM_THREADS wins: on a shared machine one thread per process is far faster than
        # threads that wait on each other for a core another program holds.
        torch.set_num_threads(max(1, available_cpus() // _env_int("LOCAL_WORLD_SIZE", 1)))
    if world_size > 1 and not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return ProcessContext(rank, world_size, local_rank, device)
