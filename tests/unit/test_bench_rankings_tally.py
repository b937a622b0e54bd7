"""bench/rankings_bench.py: the first answer with another status than expected refuses the run."""

from __future__ import annotations

import httpx
import pytest

from bench.rankings_bench import StatusTally
from bench.validity import RefusedRun


def test_expected_statuses_pass_and_are_counted() -> None:
    tally = StatusTally()
    ok = httpx.Response(200, json={"rows": []})
    assert tally.record("rankings", ok) is ok
    tally.record("submission", httpx.Response(201), expected=201)
    assert tally.statuses == {"rankings": {200: 1}, "submission": {201: 1}}


@pytest.mark.parametrize(("status", "expected"), [(500, 200), (304, 200), (200, 201), (503, 200)])
def test_another_status_refuses(status: int, expected: int) -> None:
    tally = StatusTally()
    tally.record("rankings", httpx.Response(expected), expected=expected)
    with pytest.raises(RefusedRun, match=f"rankings: 1 responses with status {status}"):
        tally.record("rankings", httpx.Response(status), expected=expected)
