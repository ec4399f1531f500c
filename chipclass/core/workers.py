"""How many threads CPU work may use: the cores this process may run on, capped.

One answer for every pool chipclass starts (the catalogue's column checks, the CSV writer):
the process's CPU affinity where the platform has it (a container or ``taskset`` limit), else
the machine's core count.
"""

from __future__ import annotations

import os

__all__ = ["worker_threads"]


def worker_threads(limit: int) -> int:
    """Threads worth starting for CPU work (Arrow kernels release the GIL): the cores this
    process may run on, at least 1 and at most ``limit``."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not every platform has sched_getaffinity
        cores = os.cpu_count() or 1
    return max(1, min(limit, cores))
