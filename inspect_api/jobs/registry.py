"""The job registry: features register at app start (inspect_api.app.register_periodic_jobs)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import asyncpg

JobFunction = Callable[[asyncpg.Connection, datetime], Awaitable[int]]

NAME_PATTERN: Final = re.compile(r"^[a-z0-9_.-]+$")


@dataclass(frozen=True, kw_only=True)
class PeriodicJob:
    """`run(conn, now)` is called in its own transaction at most once per `every`, by one worker."""

    name: str
    every: timedelta
    run: JobFunction
    retry_after: timedelta | None = None  # after a failure; None: `every`

    def __post_init__(self) -> None:
        if not NAME_PATTERN.match(self.name):
            raise ValueError(f"job name {self.name!r}: lower-case letters, digits, '_', '.', '-' only")
        if self.every <= timedelta(0):
            raise ValueError(f"job {self.name}: `every` must be positive")


_JOBS: dict[str, PeriodicJob] = {}


def register_job(job: PeriodicJob) -> PeriodicJob:
    """Register `job` (registering the same job again changes nothing; another job under a taken name
    replaces it, so a re-registration after a reload keeps one)."""
    _JOBS[job.name] = job
    return job


def registered_jobs() -> tuple[PeriodicJob, ...]:
    return tuple(_JOBS[name] for name in sorted(_JOBS))


def clear_jobs() -> None:
    """For tests."""
    _JOBS.clear()
