"""Where a programme's occurrences fall (pure: no I/O). The service feeds it a programme's rules, a
branch's time zone and `now`; it returns the windows to insert, keyed (period start, n) so that inserting
them twice adds nothing.

A period (month or quarter) of D days is split into N consecutive parts for N visits per period: part n
covers days [floor((n-1)·D/N), floor(n·D/N)). Occurrence n falls on one allowed day of part n (a weekday
of the programme, on or after its start, on or before its end, whose window has not ended by `now`),
picked by a hash of (programme, branch, period, n): spread over the period, different per branch (a
branch cannot guess the day from its neighbour's), and the same day every time it is computed while the
candidate days stay the same. A part with no allowed day yields no occurrence. The window is that day's
hours in the branch's own time zone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from uuid import UUID
from zoneinfo import ZoneInfo

PeriodKind = Literal["month", "quarter"]


def period_start(kind: PeriodKind, day: date) -> date:
    if kind == "month":
        return day.replace(day=1)
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def next_period_start(kind: PeriodKind, start: date) -> date:
    months = 1 if kind == "month" else 3
    month0 = start.month - 1 + months
    return date(start.year + month0 // 12, month0 % 12 + 1, 1)


def period_days(kind: PeriodKind, start: date) -> list[date]:
    end = next_period_start(kind, start)
    return [start + timedelta(days=i) for i in range((end - start).days)]


def parts(days: Sequence[date], n: int) -> list[list[date]]:
    """`days` split into n consecutive parts whose sizes differ by at most one (some empty if n > len)."""
    total = len(days)
    return [list(days[(i * total) // n:((i + 1) * total) // n]) for i in range(n)]


@dataclass(frozen=True, kw_only=True)
class Rules:
    programme_id: UUID
    period_kind: PeriodKind
    visits_per_period: int
    days_of_week: frozenset[int]  # ISO weekdays 1..7
    window_start: time  # local, in the branch's zone
    window_end: time
    starts_on: date
    ends_on: date | None


@dataclass(frozen=True, kw_only=True)
class Occurrence:
    period_start: date
    n: int  # 1..visits_per_period
    day: date  # the branch's local date
    window_start: datetime  # aware (UTC)
    window_end: datetime


def local_window(day: date, start: time, end: time, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The day's hours in `zone`, as UTC instants (a DST gap moves a wall time as zoneinfo does)."""
    first = datetime.combine(day, start, tzinfo=zone).astimezone(UTC)
    last = datetime.combine(day, end, tzinfo=zone).astimezone(UTC)
    if last <= first:  # only a DST shift can do this to an end after the start: keep an hour
        last = first + timedelta(hours=1)
    return first, last


def pick(key: str, count: int) -> int:
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count


def occurrences(rules: Rules, branch_id: UUID, zone: ZoneInfo, start: date, now: datetime) -> Iterator[Occurrence]:
    """The occurrences of one branch in the period beginning `start` that can still be visited at `now`."""
    for index, part in enumerate(parts(period_days(rules.period_kind, start), rules.visits_per_period)):
        n = index + 1
        candidates = []
        for day in part:
            if day.isoweekday() not in rules.days_of_week or day < rules.starts_on:
                continue
            if rules.ends_on is not None and day > rules.ends_on:
                continue
            window = local_window(day, rules.window_start, rules.window_end, zone)
            if window[1] <= now:
                continue
            candidates.append((day, window))
        if not candidates:
            continue
        day, (first, last) = candidates[pick(f"{rules.programme_id}:{branch_id}:{start.isoformat()}:{n}",
                                             len(candidates))]
        yield Occurrence(period_start=start, n=n, day=day, window_start=first, window_end=last)


def periods_to_generate(rules: Rules, now: datetime, periods_ahead: int) -> list[date]:
    """The period holding `now` (by UTC date; a zone ahead of UTC is covered by the next one) and the
    `periods_ahead` after it, cut to the programme's start and end."""
    start = period_start(rules.period_kind, now.astimezone(UTC).date())
    out = []
    for _ in range(periods_ahead + 1):
        end = next_period_start(rules.period_kind, start)
        if end > rules.starts_on and (rules.ends_on is None or start <= rules.ends_on):
            out.append(start)
        start = end
    return out


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def branch_codes_from_csv(text: str) -> list[str]:
    """Branch codes from a CSV upload: a header row with a `code` (or `branch_code`) column, or no header
    and the code in the first column. Blank lines are skipped; order kept, duplicates dropped."""
    import csv
    import io

    rows = [row for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if any(cell.strip() for cell in row)]
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    column = 0
    if "code" in header or "branch_code" in header:
        column = header.index("code") if "code" in header else header.index("branch_code")
        rows = rows[1:]
    seen: dict[str, None] = {}
    for row in rows:
        if column < len(row) and row[column].strip():
            seen.setdefault(row[column].strip(), None)
    return list(seen)
