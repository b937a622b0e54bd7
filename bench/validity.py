"""Whether one load run may be reported at all: pure checks on its counts, no I/O.

A run is refused (RefusedRun) when any request sent a body that was already sent, when the bodies ran
out before the run ended (the load generator then stops short instead of reusing one), when any
answer has a status the endpoint should not give under a clean load, when a request got no answer,
or when the database holds fewer new rows than the endpoint answered "created" (a replay answers
201 with the stored receipt, so only the row count can tell it from a write).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

# What each endpoint answers when it did the work being measured; anything else refuses the run.
EXPECTED_STATUSES: Final[Mapping[str, frozenset[int]]] = {
    "ref_get": frozenset({200}),
    "form_get": frozenset({200}),
    "form_304": frozenset({304}),
    "ref_write": frozenset({201}),
    "intake": frozenset({201}),
    "intake_inline": frozenset({201}),
}


@dataclass(frozen=True, kw_only=True)
class RunCounts:
    """What one run sent and got back, per endpoint."""

    name: str
    sent: int  # requests handed to the load generator (with a body, when the endpoint takes bodies)
    statuses: Mapping[int, int]  # status -> answers with it
    socket_errors: int = 0  # connect / read / write errors and time-outs: requests without an answer
    bodies_available: int | None = None  # None: the same fixed request every time (a GET)
    bodies_loaded: int | None = None  # bodies the load generator read from the file (all of them, or a bug)
    duplicate_bodies: int = 0  # prepared bodies equal to an earlier one (they would replay it)
    exhausted: int = 0  # requests the load generator wanted to send after the last body was used
    rows_written: int | None = None  # new rows the endpoint's writes left in the database (None: not a write)

    @property
    def answered(self) -> int:
        return sum(self.statuses.values())


@dataclass(frozen=True)
class RefusedRun(Exception):
    problems: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        return "refused: " + "; ".join(self.problems)


def _n(value: int) -> str:
    return f"{value:,}"


def run_problems(counts: RunCounts, expected: Iterable[int]) -> list[str]:
    """Every reason to refuse `counts`, each naming the endpoint and the count; [] for a valid run."""
    wanted = frozenset(expected)
    name = counts.name
    problems = []
    if counts.bodies_available is not None:
        reused = counts.sent - counts.bodies_available
        if reused > 0:
            problems.append(f"{name}: {_n(reused)} bodies reused")
        if counts.duplicate_bodies:
            problems.append(f"{name}: {_n(counts.duplicate_bodies)} prepared bodies duplicate an earlier one")
        if counts.bodies_loaded is not None and counts.bodies_loaded != counts.bodies_available:
            problems.append(f"{name}: the load generator read {_n(counts.bodies_loaded)} of "
                            f"{_n(counts.bodies_available)} bodies")
        if counts.exhausted:
            problems.append(f"{name}: ran out of bodies: all {_n(counts.bodies_available)} were sent before the "
                            "run ended, so it stopped short; prepare more (--safety-factor)")
    for status, n in sorted(counts.statuses.items()):
        if status not in wanted and n:
            problems.append(f"{name}: {_n(n)} responses with status {status}")
    if counts.socket_errors:
        problems.append(f"{name}: {_n(counts.socket_errors)} requests without an answer (socket errors)")
    if counts.answered == 0:
        problems.append(f"{name}: no answers at all")
    if counts.rows_written is not None:
        created = sum(n for status, n in counts.statuses.items() if status in wanted)
        if counts.rows_written < created:
            problems.append(f"{name}: {_n(created)} answers said created but {_n(counts.rows_written)} rows "
                            f"were written ({_n(created - counts.rows_written)} replays counted as writes)")
    return problems


def check_run(counts: RunCounts, expected: Iterable[int]) -> None:
    """Raise RefusedRun naming every problem of `counts`; return quietly for a valid run."""
    problems = run_problems(counts, expected)
    if problems:
        raise RefusedRun(tuple(problems))


def duplicates(bodies: Iterable[Hashable]) -> int:
    """How many items equal an earlier item (0 when all are distinct)."""
    seen: set[Hashable] = set()
    repeated = 0
    for body in bodies:
        if body in seen:
            repeated += 1
        seen.add(body)
    return repeated


def bodies_needed(rate_per_s: float, seconds: float, safety_factor: float, *, minimum: int) -> int:
    """Bodies to prepare for a run of `seconds` at the calibrated rate, with headroom for a faster round."""
    if rate_per_s < 0 or seconds <= 0 or safety_factor <= 0:
        raise ValueError(f"rate {rate_per_s}, seconds {seconds} and safety factor {safety_factor} must be positive")
    return max(minimum, math.ceil(rate_per_s * seconds * safety_factor))
