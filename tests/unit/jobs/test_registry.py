from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg
import pytest

from inspect_api.jobs import PeriodicJob, register_job, registered_jobs
from inspect_api.jobs.registry import _JOBS


async def _noop(conn: asyncpg.Connection, now: datetime) -> int:
    return 0


def test_register_is_idempotent_and_sorted() -> None:
    saved = dict(_JOBS)
    try:
        _JOBS.clear()
        b = register_job(PeriodicJob(name="b.job", every=timedelta(minutes=1), run=_noop))
        a = register_job(PeriodicJob(name="a.job", every=timedelta(minutes=1), run=_noop))
        register_job(b)
        assert registered_jobs() == (a, b)
    finally:
        _JOBS.clear()
        _JOBS.update(saved)


@pytest.mark.parametrize("name", ["", "Has Space", "UPPER"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="job name"):
        PeriodicJob(name=name, every=timedelta(minutes=1), run=_noop)


def test_period_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        PeriodicJob(name="x", every=timedelta(0), run=_noop)
