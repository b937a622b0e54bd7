"""Occurrence placement (programmes/planning.py): pure, so properties are checked with hypothesis."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from inspect_api.programmes import planning
from inspect_api.programmes.planning import Rules

ZONES = ["Asia/Shanghai", "UTC", "America/New_York", "Europe/London", "Pacific/Kiritimati", "Australia/Lord_Howe"]


def rules(**changes) -> Rules:
    values = dict(programme_id=UUID(int=7), period_kind="month", visits_per_period=2,
                  days_of_week=frozenset({1, 2, 3, 4, 5}), window_start=time(10), window_end=time(14),
                  starts_on=date(2026, 1, 1), ends_on=None)
    return Rules(**(values | changes))


def test_periods() -> None:
    assert planning.period_start("quarter", date(2026, 8, 17)) == date(2026, 7, 1)
    assert planning.next_period_start("quarter", date(2026, 10, 1)) == date(2027, 1, 1)
    assert planning.next_period_start("month", date(2026, 12, 1)) == date(2027, 1, 1)
    assert len(planning.period_days("month", date(2028, 2, 1))) == 29
    assert len(planning.period_days("quarter", date(2026, 1, 1))) == 90


@given(st.integers(min_value=0, max_value=92), st.integers(min_value=1, max_value=31))
def test_parts_cover_the_period_in_order(days: int, n: int) -> None:
    span = [date(2026, 1, 1) + timedelta(days=i) for i in range(days)]
    split = planning.parts(span, n)
    assert len(split) == n
    assert [d for part in split for d in part] == span
    sizes = [len(part) for part in split]
    assert max(sizes) - min(sizes) <= 1


def test_a_month_of_weekdays_gets_one_window_per_part_in_the_branch_zone() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    now = datetime(2025, 12, 31, tzinfo=UTC)
    found = list(planning.occurrences(rules(), UUID(int=1), zone, date(2026, 3, 1), now))
    assert [o.n for o in found] == [1, 2]
    assert found[0].day < date(2026, 3, 16) <= found[1].day  # 31 days: parts 1-15 and 16-31
    for o in found:
        assert o.day.isoweekday() <= 5
        local = o.window_start.astimezone(zone)
        assert (local.date(), local.time()) == (o.day, time(10))
        assert o.window_end.astimezone(zone).time() == time(14)
        assert o.window_start.tzinfo is not None


@settings(max_examples=200)
@given(
    st.sampled_from(ZONES),
    st.sampled_from(["month", "quarter"]),
    st.integers(min_value=1, max_value=31),
    st.sets(st.integers(min_value=1, max_value=7), min_size=1),
    st.integers(min_value=0, max_value=22),
    st.integers(min_value=1, max_value=3),
    st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 1)),
    st.integers(min_value=-40, max_value=40),
    st.integers(min_value=1, max_value=2**32),
)
def test_occurrences_keep_every_rule(zone_name, kind, n, weekdays, start_hour, hours, day, now_offset, branch):
    zone = ZoneInfo(zone_name)
    r = rules(period_kind=kind, visits_per_period=n, days_of_week=frozenset(weekdays),
              window_start=time(start_hour), window_end=time(min(23, start_hour + hours)),
              starts_on=day - timedelta(days=10), ends_on=day + timedelta(days=50))
    start = planning.period_start(kind, day)
    now = datetime.combine(start, time(12), tzinfo=UTC) + timedelta(days=now_offset)
    found = list(planning.occurrences(r, UUID(int=branch), zone, start, now))
    again = list(planning.occurrences(r, UUID(int=branch), zone, start, now))
    assert found == again  # the same every time: regeneration asks for the same rows
    assert len({o.n for o in found}) == len(found) <= n
    period = set(planning.period_days(kind, start))
    for o in found:
        assert o.day in period and o.day.isoweekday() in weekdays
        assert r.starts_on <= o.day <= r.ends_on
        assert o.window_end > now and o.window_end > o.window_start
        assert o.window_start.astimezone(zone).date() == o.day


def test_past_days_and_days_outside_the_programme_are_skipped() -> None:
    zone = ZoneInfo("UTC")
    r = rules(visits_per_period=3, days_of_week=frozenset(range(1, 8)), ends_on=date(2026, 3, 20))
    now = datetime(2026, 3, 12, 15, tzinfo=UTC)  # part 1 (days 1-10) is over; 12 March's window too
    found = list(planning.occurrences(r, UUID(int=1), zone, date(2026, 3, 1), now))
    assert [o.n for o in found] == [2]  # part 2 = 11-20 March, from the 13th; part 3 after ends_on
    assert date(2026, 3, 13) <= found[0].day <= date(2026, 3, 20)


def test_periods_to_generate_are_cut_to_the_programme() -> None:
    r = rules(starts_on=date(2026, 2, 10), ends_on=date(2026, 2, 20))
    assert planning.periods_to_generate(r, datetime(2026, 1, 20, tzinfo=UTC), 1) == [date(2026, 2, 1)]
    assert planning.periods_to_generate(r, datetime(2026, 2, 15, tzinfo=UTC), 1) == [date(2026, 2, 1)]
    assert planning.periods_to_generate(r, datetime(2026, 3, 1, tzinfo=UTC), 1) == []


def test_branches_get_different_days() -> None:
    zone = ZoneInfo("UTC")
    r = rules(visits_per_period=1, days_of_week=frozenset(range(1, 8)))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    days = {next(planning.occurrences(r, UUID(int=b), zone, date(2026, 5, 1), now)).day for b in range(40)}
    assert len(days) > 5


def test_branch_codes_from_csv() -> None:
    assert planning.branch_codes_from_csv("\ufeffcode,name\nB11,x\nB12,y\n\nB11,z\n") == ["B11", "B12"]
    assert planning.branch_codes_from_csv("B11\nB21\n") == ["B11", "B21"]
    assert planning.branch_codes_from_csv("name,branch_code\nx, B22 \n") == ["B22"]
    assert planning.branch_codes_from_csv("\n\n") == []
