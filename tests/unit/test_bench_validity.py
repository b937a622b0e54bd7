"""bench/validity.py: which load runs a bench may report, and what it says about the others."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.validity import (
    EXPECTED_STATUSES,
    RefusedRun,
    RunCounts,
    bodies_needed,
    check_run,
    duplicates,
    run_problems,
)


def intake(**overrides: object) -> RunCounts:
    values: dict[str, object] = {"name": "intake", "sent": 1_000, "statuses": {201: 990}, "bodies_available": 1_200,
                                 "bodies_loaded": 1_200, "rows_written": 1_000}
    return RunCounts(**(values | overrides))  # type: ignore[arg-type]


def test_a_clean_run_passes() -> None:
    check_run(intake(), EXPECTED_STATUSES["intake"])
    check_run(RunCounts(name="form_304", sent=5_000, statuses={304: 4_990}), EXPECTED_STATUSES["form_304"])


def test_the_issue_run_is_refused_with_every_reason() -> None:
    """The run from issue 20: bodies ran out, were replayed (201 with the stored receipt) and 500s counted."""
    counts = intake(sent=2_403, statuses={201: 2_366, 500: 37}, rows_written=1_163)
    with pytest.raises(RefusedRun) as refused:
        check_run(counts, EXPECTED_STATUSES["intake"])
    assert refused.value.problems == (
        "intake: 1,203 bodies reused",
        "intake: 37 responses with status 500",
        "intake: 2,366 answers said created but 1,163 rows were written (1,203 replays counted as writes)",
    )


def test_running_out_of_bodies_is_refused() -> None:
    assert run_problems(intake(sent=1_200, exhausted=3), {201}) == [
        "intake: ran out of bodies: all 1,200 were sent before the run ended, so it stopped short; "
        "prepare more (--safety-factor)"]


def test_a_replay_answers_201_and_only_the_row_count_shows_it() -> None:
    assert run_problems(intake(rows_written=989), {201}) == [
        "intake: 990 answers said created but 989 rows were written (1 replays counted as writes)"]


def test_rows_of_requests_in_flight_when_the_run_ended_are_fine() -> None:
    assert run_problems(intake(rows_written=1_000, statuses={201: 984}), {201}) == []


@pytest.mark.parametrize(("name", "status"), [("intake", 200), ("form_get", 304), ("form_304", 200),
                                              ("ref_write", 200), ("ref_get", 404), ("intake_inline", 422)])
def test_a_status_the_endpoint_should_not_give_refuses(name: str, status: int) -> None:
    counts = RunCounts(name=name, sent=11, statuses={status: 1, min(EXPECTED_STATUSES[name]): 10})
    assert run_problems(counts, EXPECTED_STATUSES[name]) == [f"{name}: 1 responses with status {status}"]


def test_socket_errors_missing_bodies_duplicates_and_silence_refuse() -> None:
    assert run_problems(intake(socket_errors=4), {201}) == [
        "intake: 4 requests without an answer (socket errors)"]
    assert run_problems(intake(bodies_loaded=600), {201}) == ["intake: the load generator read 600 of 1,200 bodies"]
    assert run_problems(intake(duplicate_bodies=2), {201}) == [
        "intake: 2 prepared bodies duplicate an earlier one"]
    assert run_problems(RunCounts(name="ref_get", sent=0, statuses={}), {200}) == ["ref_get: no answers at all"]


@given(
    sent=st.integers(0, 5_000), available=st.integers(1, 5_000), exhausted=st.integers(0, 50),
    statuses=st.dictionaries(st.sampled_from([200, 201, 304, 409, 422, 429, 500, 503]), st.integers(0, 5_000),
                             max_size=5),
    socket_errors=st.integers(0, 5), rows=st.integers(0, 10_000),
)
def test_a_run_passes_exactly_when_nothing_is_off(sent: int, available: int, exhausted: int,
                                                  statuses: dict[int, int], socket_errors: int, rows: int) -> None:
    counts = RunCounts(name="intake", sent=sent, statuses=statuses, socket_errors=socket_errors,
                       bodies_available=available, bodies_loaded=available, exhausted=exhausted, rows_written=rows)
    clean = (sent <= available and exhausted == 0 and socket_errors == 0 and sum(statuses.values()) > 0
             and all(n == 0 for status, n in statuses.items() if status != 201) and rows >= statuses.get(201, 0))
    problems = run_problems(counts, {201})
    assert (problems == []) == clean
    assert all(p.startswith("intake: ") for p in problems)


@given(st.lists(st.binary(max_size=3), max_size=30))
def test_duplicates_counts_repeats(bodies: list[bytes]) -> None:
    assert duplicates(bodies) == len(bodies) - len(set(bodies))


@given(rate=st.floats(0, 50_000), seconds=st.floats(0.5, 600), factor=st.floats(0.1, 10))
def test_bodies_needed_covers_the_calibrated_rate(rate: float, seconds: float, factor: float) -> None:
    needed = bodies_needed(rate, seconds, factor, minimum=64)
    assert needed >= 64 and needed >= rate * seconds * factor
    assert needed <= max(64, rate * seconds * factor + 1)


def test_bodies_needed_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        bodies_needed(100, 10, 0, minimum=1)
