"""Nothing lost under engine restarts and a server crash: a real uvicorn process on its own embedded
Postgres + SeaweedFS (bench/faults.py does the work and explains the accounting).

Short form (CI): ~30 s of load per scenario. Long form: `pytest -m slow tests/reliability` or
`python -m bench.faults` (minutes). No timing thresholds: only counts and kinds of answers.
"""

from __future__ import annotations

import os

import pytest

from bench.faults import CLIENT_TIMEOUT_S, Report, run

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL") or os.environ.get("S3_ENDPOINT_URL")),
    reason="restarts need the embedded engines (external DATABASE_URL / S3_ENDPOINT_URL are set)",
)


def check(report: Report) -> None:
    print(report.summary())  # pytest -s shows the figures (outage windows, outcomes)
    assert report.sent > 0 and report.acked_during_load > 0, report.summary()
    assert report.lost == [], "acknowledged but not stored"
    assert report.unexpected == [], "stored but never sent"
    assert report.duplicates == [], "stored twice, or two receipts for one client_id"
    assert report.partial == [], "submission without its revision, item rows or score card"
    assert report.unclear == [], ("an answer that was neither a receipt nor a problem+json 5xx/429, or a hang; "
                                  f"server tracebacks: {report.server_errors}")
    assert report.never_acked == 0, "re-sending after recovery did not get every submission in"
    assert report.max_attempt_seconds <= CLIENT_TIMEOUT_S + 1


def test_engine_restarts_and_a_server_crash_lose_nothing() -> None:
    engines, crash = run(["engines", "crash"], submissions=200, phones=6, load_seconds=24)
    check(engines)
    # The faults really happened and really hurt: some attempts failed with a clear problem answer.
    assert [o["what"] for o in engines.outages] == ["postgres restart", "S3 gateway stop/start"]
    assert engines.outcomes.get("problem", 0) > 0, engines.summary()
    check(crash)
    assert crash.outcomes.get("no-answer", 0) > 0, crash.summary()


@pytest.mark.slow
def test_long_form_engine_restarts_and_a_server_crash_lose_nothing() -> None:
    for report in run(["engines", "crash"], submissions=1500, phones=8, load_seconds=150):
        check(report)
