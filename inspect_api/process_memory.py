"""The worker process's heap: at most two glibc malloc arenas.

glibc gives each thread that allocates its own arena (up to 8 per core) and keeps what is freed there
for that thread. The worker's threads (boto3 uploads and downloads, asyncio.to_thread work) each
allocate photo-sized buffers, so every arena ends up holding megabytes that no other thread can reuse:
the worker's RSS grew by ~8 MB per 120 intakes with their uploads and never came back (147 MB after
480 intakes against 122 MB with two arenas; bench/RESULTS.md, growth curves). Two arenas is what
MALLOC_ARENA_MAX=2 gives, the usual setting for threaded Python services; an operator's own
MALLOC_ARENA_MAX, read by glibc at start, is left as it is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from typing import Final

ARENAS: Final = 2
_M_ARENA_MAX: Final = -8  # glibc malloc.h


def limit_malloc_arenas(count: int = ARENAS) -> bool:
    """Cap the arenas threads created from now on may use. False where there is nothing to do: not
    glibc, or MALLOC_ARENA_MAX set in the environment."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        return False
    if mallopt is None:
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, count))
