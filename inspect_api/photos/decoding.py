"""Where photo decodes run: off the event loop, a bounded number at once per worker, memory given back.

A 50 MP photo decodes to 150-200 MB. Two ways, chosen by PHOTO_DECODE_IN (measured in bench/RESULTS.md,
"Photo decode memory"):

* `process` (default): a pool of PHOTO_DECODE_WORKERS decode processes forked from a forkserver that
  has Pillow loaded. The big buffers live and die there; the worker only holds the file's bytes and
  the small answer. Each decode process gives its free memory back to the system after every decode.
* `thread`: a pool of PHOTO_DECODE_WORKERS threads in the worker, `malloc_trim(0)` after each decode
  (glibc keeps freed memory in per-thread arenas otherwise).

Either way at most PHOTO_DECODE_WORKERS decodes run per worker; callers wait their turn.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import multiprocessing
import weakref
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Final, Literal, TypeVar

DecodeIn = Literal["process", "thread"]
DECODE_MODES: Final[tuple[str, ...]] = ("process", "thread")
T = TypeVar("T")


def _malloc_trim() -> Callable[[], None]:
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc: nothing to trim
        trim = None
    if trim is None:
        return lambda: None
    trim.argtypes = [ctypes.c_size_t]

    def release() -> None:
        trim(0)

    return release


release_free_memory: Final = _malloc_trim()


def _then_trim(function: Callable[..., T], *args: object, **kwargs: object) -> T:
    try:
        return function(*args, **kwargs)
    finally:
        release_free_memory()


class DecoderLost(RuntimeError):
    """A decode process died mid-decode (killed, out of memory): this decode is lost, the next starts a
    new pool."""


class Decoder:
    """One per (mode, workers) per process, shared by every app in it (see `decoder`)."""

    def __init__(self, mode: DecodeIn, workers: int) -> None:
        self.mode = mode
        self.workers = workers
        self._executor: Executor | None = None
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _started(self) -> Executor:
        if self._executor is None:
            if self.mode == "process":
                # forkserver: forking a uvicorn worker (threads, sockets, an event loop) is unsafe; a
                # forkserver with Pillow preloaded forks decode processes cheaply.
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(["inspect_api.photos.images"])
                self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
            else:
                self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="photo-decode")
        return self._executor

    def _turn(self) -> asyncio.Semaphore:
        """Asyncio primitives belong to one event loop; tests run several loops in one process."""
        loop = asyncio.get_running_loop()
        turn = self._turns.get(loop)
        if turn is None:
            turn = self._turns[loop] = asyncio.Semaphore(self.workers)
        return turn

    async def run(self, function: Callable[..., T], *args: object, **kwargs: object) -> T:
        """`function(*args, **kwargs)` (picklable, module-level) in a decode process or thread."""
        async with self._turn():
            loop = asyncio.get_running_loop()
            executor = self._started()
            try:
                return await loop.run_in_executor(executor, partial(_then_trim, function, *args, **kwargs))
            except BrokenProcessPool as exc:
                if self._executor is executor:  # a broken pool stays broken: start afresh next time
                    self._executor = None
                    executor.shutdown(wait=False, cancel_futures=True)
                raise DecoderLost("a photo decode process died") from exc

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


_decoders: dict[tuple[str, int], Decoder] = {}


def decoder(mode: DecodeIn, workers: int) -> Decoder:
    """The process's decoder for these settings, started on first use."""
    key = (mode, workers)
    if key not in _decoders:
        _decoders[key] = Decoder(mode, workers)
    return _decoders[key]
