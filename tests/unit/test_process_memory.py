"""inspect_api/process_memory.py: the worker's threads share at most ARENAS malloc arenas (glibc)."""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys
import textwrap

import pytest

# Counts the arenas glibc reports (malloc_info's <heap nr=...> elements) after 6 threads allocated at once.
_PROBE = textwrap.dedent("""
    import ctypes, ctypes.util, os, sys, tempfile, threading
    from inspect_api.process_memory import limit_malloc_arenas
    if sys.argv[1] == "limit":
        assert limit_malloc_arenas()
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    start = threading.Barrier(6)
    def work():
        start.wait()
        blocks = [libc.malloc(4096) for _ in range(2000)]
        start_done.wait()
        for b in blocks:
            libc.free(b)
    start_done = threading.Barrier(6)
    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads: t.start()
    for t in threads: t.join()
    libc.fopen.restype, libc.fopen.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_char_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    path = tempfile.mktemp()
    f = libc.fopen(path.encode(), b"w")
    libc.malloc_info(0, f)
    libc.fclose(f)
    print(open(path).read().count("<heap nr="))
    os.unlink(path)
""")


def _arenas(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    out = subprocess.run([sys.executable, "-c", _PROBE, mode], env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


@pytest.mark.skipif(not ctypes.util.find_library("c") or sys.platform != "linux", reason="glibc only")
def test_threads_share_at_most_two_arenas() -> None:
    assert _arenas("free") > 2  # the probe can tell: without the cap, the threads take arenas of their own
    assert _arenas("limit") <= 2


def test_an_operators_malloc_arena_max_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    from inspect_api.process_memory import limit_malloc_arenas

    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False
