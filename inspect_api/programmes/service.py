"""Programmes: create, change, pause/resume, generate occurrences, assign and claim them, workload and
coverage. One transaction per call; scope in SQL (programmes/queries.py); placement is pure
(programmes/planning.py).

Events (inspect_api/events), all in the changing transaction and never shown to branch managers
(branch_payload None: a mystery visit is announced by nothing): `visit.scheduled` per generated (or, on
resume, reopened) occurrence, `visit.assigned` when an inspector is given one, `visit.cancelled` for the
open occurrences a pause gives up, `visit.missed` from the missed-visit job (programmes/jobs.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
import msgspec
from msgspec import UNSET

from inspect_api.auth.principal import Principal
from inspect_api.errors import Conflict, Forbidden, InvalidInput, NotFound
from inspect_api.events.service import emit
from inspect_api.org.queries import mystery_revisit_days
from inspect_api.org.schemas import DEFAULT_MYSTERY_REVISIT_DAYS
from inspect_api.params import MAX_DAY, MIN_DAY
from inspect_api.programmes import planning, queries
from inspect_api.programmes.queries import GenerationSource, LockedOccurrence, WorkloadFilters
from inspect_api.programmes.schemas import (
    ClaimOut,
    CoverageOut,
    GenerateOut,
    JobOut,
    OccurrenceOut,
    ProgrammeIn,
    ProgrammeOut,
    ProgrammePatch,
    ScopeCoverageOut,
    WorkloadOut,
)

REVISIT_RULE = "mystery_revisit_days"
CAP_RULE = "inspector_cap_per_period"
PERIODS_AHEAD = 1  # the current period and the next one
MAX_CSV_BYTES = 1_000_000
MAX_WORK_ITEMS = 500


def _invalid(detail: str, problems: list[tuple[str, str]]) -> InvalidInput:
    return InvalidInput(detail, extra={"errors": [{"field": f, "message": m} for f, m in problems]})


def _day_problems(values: dict[str, date | None]) -> list[tuple[str, str]]:
    return [(name, f"must be within {MIN_DAY.isoformat()} to {MAX_DAY.isoformat()}")
            for name, day in values.items() if day is not None and not MIN_DAY <= day <= MAX_DAY]


def _rule_problems(values: dict) -> list[tuple[str, str]]:
    problems = _day_problems({"starts_on": values["starts_on"], "ends_on": values["ends_on"]})
    if values["window_end_time"] <= values["window_start_time"]:
        problems.append(("window_end_time", "must be after window_start_time (the same day)"))
    if values["ends_on"] is not None and values["ends_on"] < values["starts_on"]:
        problems.append(("ends_on", "must be on or after starts_on"))
    return problems


async def _branch_ids(
    conn: asyncpg.Connection, p: Principal, ids: list[UUID] | None, codes: list[str] | None, field: str
) -> list[UUID]:
    """The named branches, all in the caller's scope (out of scope reads as unknown), in the given order."""
    if codes is not None:
        found = {b.code: b.id for b in await queries.visible_branches_by_code(conn, p, list(dict.fromkeys(codes)))}
        missing = [c for c in dict.fromkeys(codes) if c not in found]
        if missing:
            raise _invalid("unknown branch codes", [(field, f"no such branch in your scope: {', '.join(missing[:20])}"
                                                     + (" ..." if len(missing) > 20 else ""))])
        return [found[c] for c in dict.fromkeys(codes)]
    assert ids is not None
    wanted = list(dict.fromkeys(ids))
    found_ids = {b.id for b in await queries.visible_branches_by_id(conn, p, wanted)}
    missing_ids = [str(i) for i in wanted if i not in found_ids]
    if missing_ids:
        raise _invalid("unknown branches", [(field, f"no such branch in your scope: {', '.join(missing_ids[:5])}")])
    return wanted


async def _get(conn: asyncpg.Connection, p: Principal, programme_id: UUID) -> ProgrammeOut:
    programme = await queries.get_programme(conn, p, programme_id)
    if programme is None:
        raise NotFound("no such programme")
    return programme


# ---- generation ----------------------------------------------------------------------------------


def rules_of(s: GenerationSource) -> planning.Rules:
    return planning.Rules(
        programme_id=s.id, period_kind=s.period_kind,  # type: ignore[arg-type]
        visits_per_period=s.visits_per_period, days_of_week=frozenset(s.days_of_week),
        window_start=planning.parse_hhmm(s.window_start_time), window_end=planning.parse_hhmm(s.window_end_time),
        starts_on=s.starts_on, ends_on=s.ends_on,
    )


async def generate_source(
    conn: asyncpg.Connection, s: GenerationSource, now: datetime, periods_ahead: int = PERIODS_AHEAD
) -> tuple[list[UUID], list[date]]:
    """Insert the occurrences of the current and next periods that do not exist yet (ON CONFLICT on the
    programme x branch x period x n key: running it twice, or two workers at once, adds nothing twice)
    and emit `visit.scheduled` for each new one. The caller holds the transaction."""
    rules = rules_of(s)
    periods = planning.periods_to_generate(rules, now, periods_ahead)
    if s.version_id is None or not periods:
        return [], periods
    rows = []
    for branch in await queries.programme_branches(conn, s):
        zone = ZoneInfo(branch.timezone)
        for start in periods:
            for o in planning.occurrences(rules, branch.id, zone, start, now):
                rows.append((branch.id, o.period_start, o.n, o.window_start, o.window_end))
    created = await queries.insert_occurrences(conn, s, s.version_id, rows)
    await _emit_occurrences(conn, s.org_id, "visit.scheduled", created)
    return created, periods


async def _emit_occurrences(conn: asyncpg.Connection, org_id: UUID, type_: str, ids: list[UUID]) -> None:
    for occurrence in await queries.occurrences_by_id(conn, ids) if ids else []:
        await emit(conn, org_id, type_, occurrence.id, occurrence, branch_id=occurrence.branch.id)


async def generate(pool: asyncpg.Pool, p: Principal, programme_id: UUID, now: datetime | None = None) -> GenerateOut:
    now = now or datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction():
        if not await queries.lock_programme(conn, p, programme_id):
            raise NotFound("no such programme")
        programme = await _get(conn, p, programme_id)
        if programme.status == "paused":
            raise Conflict("the programme is paused: resume it to generate visits")
        source = await queries.generation_source(conn, programme_id)
        assert source is not None
        if source.version_id is None:
            raise Conflict(f"form {programme.form_key} has no published version")
        created, periods = await generate_source(conn, source, now)
    return GenerateOut(created=len(created), periods=periods)


# ---- programmes ----------------------------------------------------------------------------------


async def create_programme(pool: asyncpg.Pool, p: Principal, data: ProgrammeIn) -> ProgrammeOut:
    """Admins anywhere in the org, regional leads for branches of their regions. Generates the current and
    the next period at once."""
    values = {
        "name": data.name, "mode": data.mode, "period_kind": data.period,
        "visits_per_period": data.visits_per_period, "days_of_week": sorted(set(data.days_of_week)),
        "window_start_time": planning.parse_hhmm(data.window_start_time),
        "window_end_time": planning.parse_hhmm(data.window_end_time),
        "starts_on": data.starts_on, "ends_on": data.ends_on,
        "inspector_cap_per_period": data.inspector_cap_per_period,
    }
    problems = _rule_problems(values)
    chosen = [name for name in ("region_id", "branch_ids", "branch_codes") if getattr(data, name) is not None]
    if len(chosen) != 1:
        problems.append(("branch_ids", "name exactly one of region_id, branch_ids or branch_codes"))
    if problems:
        raise _invalid("the programme cannot be created", problems)
    async with pool.acquire() as conn, conn.transaction():
        form = await queries.form_by_key(conn, p.org_id, data.form_key)
        if form is None or form.published_version_id is None:
            message = "no such form" if form is None else "the form has no published version: publish one first"
            raise _invalid("the programme cannot be created", [("form_key", message)])
        branch_ids: list[UUID] = []
        if data.region_id is not None:
            if not await queries.region_visible(conn, p, data.region_id):
                raise _invalid("the programme cannot be created", [("region_id", "no such region in your scope")])
        else:
            field = "branch_codes" if data.branch_codes is not None else "branch_ids"
            branch_ids = await _branch_ids(conn, p, data.branch_ids, data.branch_codes, field)
        values |= {"form_id": form.id, "branch_rule": "region" if data.region_id else "list",
                   "region_id": data.region_id}
        programme_id = await queries.insert_programme(conn, p.org_id, p.user_id, values)
        if branch_ids:
            await queries.replace_branches(conn, p.org_id, programme_id, branch_ids)
        source = await queries.generation_source(conn, programme_id)
        assert source is not None
        await generate_source(conn, source, datetime.now(UTC))
        return await _get(conn, p, programme_id)


async def list_programmes(pool: asyncpg.Pool, p: Principal, status: str | None, limit: int, offset: int
                          ) -> list[ProgrammeOut]:
    async with pool.acquire() as conn:
        return await queries.list_programmes(conn, p, status, limit, offset)


async def get_programme(pool: asyncpg.Pool, p: Principal, programme_id: UUID) -> ProgrammeOut:
    async with pool.acquire() as conn:
        return await _get(conn, p, programme_id)


async def update_programme(pool: asyncpg.Pool, p: Principal, programme_id: UUID, data: ProgrammePatch
                           ) -> ProgrammeOut:
    """Changes apply to the periods generated after it; occurrences already generated stay."""
    async with pool.acquire() as conn, conn.transaction():
        if not await queries.lock_programme(conn, p, programme_id):
            raise NotFound("no such programme")
        current = await _get(conn, p, programme_id)
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not UNSET}
        values = {
            "name": changes.get("name", current.name),
            "visits_per_period": changes.get("visits_per_period", current.visits_per_period),
            "days_of_week": sorted(set(changes.get("days_of_week", current.days_of_week))),
            "window_start_time": planning.parse_hhmm(changes.get("window_start_time", current.window_start_time)),
            "window_end_time": planning.parse_hhmm(changes.get("window_end_time", current.window_end_time)),
            "starts_on": current.starts_on,
            "ends_on": changes.get("ends_on", current.ends_on),
            "inspector_cap_per_period": changes.get("inspector_cap_per_period", current.inspector_cap_per_period),
            "branch_rule": current.branch_rule, "region_id": current.region_id,
        }
        problems = _rule_problems(values)
        if problems:
            raise _invalid("the programme cannot be changed", problems)
        if "branch_ids" in changes:
            ids = await _branch_ids(conn, p, changes["branch_ids"], None, "branch_ids")
            values |= {"branch_rule": "list", "region_id": None}
            await queries.replace_branches(conn, p.org_id, programme_id, ids)
        await queries.update_programme(conn, programme_id, values)
        return await _get(conn, p, programme_id)


async def import_branches(pool: asyncpg.Pool, p: Principal, programme_id: UUID, body: bytes) -> ProgrammeOut:
    """A CSV of branch codes (a `code` column, or the first column without a header) replaces the
    programme's branches (it becomes an explicit list)."""
    if len(body) > MAX_CSV_BYTES:
        raise _invalid("the CSV is too large", [("body", f"at most {MAX_CSV_BYTES} bytes")])
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _invalid("the CSV is not UTF-8", [("body", "must be UTF-8 text")]) from None
    codes = planning.branch_codes_from_csv(text)
    if not codes:
        raise _invalid("the CSV names no branch", [("body", "one branch code per row (column `code`)")])
    if len(codes) > 5000:
        raise _invalid("too many branches", [("body", "at most 5000 branch codes")])
    async with pool.acquire() as conn, conn.transaction():
        if not await queries.lock_programme(conn, p, programme_id):
            raise NotFound("no such programme")
        current = await _get(conn, p, programme_id)
        ids = await _branch_ids(conn, p, None, codes, "body")
        await queries.replace_branches(conn, p.org_id, programme_id, ids)
        values = {
            "name": current.name, "visits_per_period": current.visits_per_period,
            "days_of_week": current.days_of_week,
            "window_start_time": planning.parse_hhmm(current.window_start_time),
            "window_end_time": planning.parse_hhmm(current.window_end_time),
            "ends_on": current.ends_on, "inspector_cap_per_period": current.inspector_cap_per_period,
            "branch_rule": "list", "region_id": None,
        }
        await queries.update_programme(conn, programme_id, values)
        return await _get(conn, p, programme_id)


async def pause(pool: asyncpg.Pool, p: Principal, programme_id: UUID) -> ProgrammeOut:
    """No more generation; the open (unassigned) occurrences whose window has not ended are cancelled
    (visit.cancelled); assigned visits stay."""
    async with pool.acquire() as conn, conn.transaction():
        if not await queries.lock_programme(conn, p, programme_id):
            raise NotFound("no such programme")
        if await queries.set_status(conn, programme_id, "paused"):
            cancelled = await queries.cancel_open_occurrences(conn, programme_id, p.user_id)
            await _emit_occurrences(conn, p.org_id, "visit.cancelled", cancelled)
        return await _get(conn, p, programme_id)


async def resume(pool: asyncpg.Pool, p: Principal, programme_id: UUID) -> ProgrammeOut:
    """The occurrences the pause cancelled come back while their window is still ahead (visit.scheduled),
    and generation goes on."""
    async with pool.acquire() as conn, conn.transaction():
        if not await queries.lock_programme(conn, p, programme_id):
            raise NotFound("no such programme")
        paused = await queries.paused_at(conn, programme_id)
        if await queries.set_status(conn, programme_id, "active"):
            assert paused is not None
            reopened = await queries.reopen_paused_occurrences(conn, programme_id, paused)
            await _emit_occurrences(conn, p.org_id, "visit.scheduled", reopened)
            source = await queries.generation_source(conn, programme_id)
            assert source is not None
            await generate_source(conn, source, datetime.now(UTC))
        return await _get(conn, p, programme_id)


async def list_occurrences(
    pool: asyncpg.Pool, p: Principal, programme_id: UUID, *, status: str | None, period: date | None,
    unassigned: bool | None, limit: int, offset: int,
) -> list[OccurrenceOut]:
    async with pool.acquire() as conn:
        programme = await _get(conn, p, programme_id)
        start = None if period is None else planning.period_start(programme.period, period)
        return await queries.list_occurrences(conn, p, programme_id, status, start, unassigned, limit, offset)


async def coverage(pool: asyncpg.Pool, p: Principal, programme_id: UUID, on: date | None) -> CoverageOut:
    now = datetime.now(UTC)
    async with pool.acquire() as conn:
        programme = await _get(conn, p, programme_id)
        start = planning.period_start(programme.period, on or now.date())
        rows = await queries.coverage(conn, p, programme_id, start, now)
    return CoverageOut(programme_id=programme_id, period_start=start, rows=rows)


async def scope_coverage(
    pool: asyncpg.Pool, p: Principal, *, kind: str, on: date | None, form_key: str | None, region_id: UUID | None,
    limit: int, offset: int,
) -> ScopeCoverageOut:
    """Planned, open, assigned, overdue, completed and missed visits per branch in a period (week: ISO,
    Monday first), one-off and programme visits alike, read by the branch's local date of the window."""
    now = datetime.now(UTC)
    day = on or now.date()
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=7)
    else:
        start = planning.period_start(kind, day)  # type: ignore[arg-type]
        end = planning.next_period_start(kind, start)  # type: ignore[arg-type]
    async with pool.acquire() as conn:
        rows = await queries.scope_coverage(conn, p, now, form_key, start, end, region_id, limit, offset)
    return ScopeCoverageOut(period=kind, period_start=start, form_key=form_key, rows=rows)  # type: ignore[arg-type]


# ---- assignment -----------------------------------------------------------------------------------


async def _check_rules(conn: asyncpg.Connection, o: LockedOccurrence, inspector_id: UUID) -> None:
    """The mystery revisit rule (org setting) and the programme's cap per inspector per period: 409."""
    days = await mystery_revisit_days(conn, o.org_id, DEFAULT_MYSTERY_REVISIT_DAYS)
    if days > 0:
        clash = await queries.revisit_conflict(conn, o, inspector_id, days)
        if clash is not None:
            raise Conflict(
                f"mystery revisit rule ({REVISIT_RULE} = {days}): this inspector already has a {clash.mode} "
                f"visit to this branch starting {clash.window_start.isoformat()}, less than {days} days from "
                "this window",
                extra={"rule": REVISIT_RULE, "days": days, "conflicting_visit_id": str(clash.id)},
            )
    if o.cap is not None and await queries.cap_used(conn, o, inspector_id) >= o.cap:
        raise Conflict(f"{CAP_RULE} = {o.cap}: the inspector already has {o.cap} of this programme's visits "
                       "in this period", extra={"rule": CAP_RULE, "cap": o.cap})


def _still_open(o: LockedOccurrence, now: datetime) -> None:
    if o.status != "scheduled":
        raise Conflict(f"the visit is {o.status}")
    if o.window_end <= now:
        raise Conflict("the visit's window has ended")
    if o.programme_status != "active":
        raise Conflict("the programme is paused")


async def assign(pool: asyncpg.Pool, p: Principal, visit_id: UUID, inspector_id: UUID) -> OccurrenceOut:
    """Admins and regional leads (occurrences at their branches) give an occurrence to an inspector, or
    move it to another one while it is scheduled; the revisit rule and the cap apply (409)."""
    now = datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction():
        inspector = await queries.lock_inspector(conn, p.org_id, inspector_id)
        problem = ("no such user" if inspector is None
                   else f"the user is a {inspector.role}, not an inspector" if inspector.role != "inspector"
                   else "the inspector is disabled" if not inspector.active else None)
        occurrence = await queries.lock_scoped_occurrence(conn, p, visit_id)
        if occurrence is None:
            raise NotFound("no such programme visit")
        if problem is not None:
            raise _invalid("the visit cannot be assigned", [("inspector_id", problem)])
        if occurrence.inspector_id != inspector_id:
            _still_open(occurrence, now)
            await _check_rules(conn, occurrence, inspector_id)
            await queries.assign(conn, visit_id, inspector_id, now)
            await _emit_occurrences(conn, p.org_id, "visit.assigned", [visit_id])
        return (await queries.occurrences_by_id(conn, [visit_id]))[0]


async def job_board(
    pool: asyncpg.Pool, p: Principal, *, window_from: datetime | None, window_to: datetime | None, limit: int,
    offset: int,
) -> list[JobOut]:
    async with pool.acquire() as conn:
        days = await mystery_revisit_days(conn, p.org_id, DEFAULT_MYSTERY_REVISIT_DAYS)
        return await queries.job_board(conn, p, datetime.now(UTC), days, window_from, window_to, limit, offset)


async def claim(pool: asyncpg.Pool, p: Principal, visit_id: UUID) -> ClaimOut:
    """An inspector takes an open occurrence. Concurrent claims of one occurrence: the visit row is locked
    (FOR UPDATE), so exactly one sees it open; the others get 409. Claiming one's own again returns it."""
    now = datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction():
        await queries.lock_inspector(conn, p.org_id, p.user_id)
        occurrence = await queries.lock_org_occurrence(conn, p.org_id, visit_id)
        if occurrence is None:
            raise NotFound("no such job")
        if occurrence.inspector_id == p.user_id and occurrence.status == "scheduled":
            return await queries.claimed(conn, visit_id)
        if occurrence.inspector_id is not None:
            raise Conflict("the job has been taken")
        _still_open(occurrence, now)
        await _check_rules(conn, occurrence, p.user_id)
        await queries.assign(conn, visit_id, p.user_id, now)
        await _emit_occurrences(conn, p.org_id, "visit.assigned", [visit_id])
        return await queries.claimed(conn, visit_id)


# ---- workload -------------------------------------------------------------------------------------


async def workload(pool: asyncpg.Pool, p: Principal, filters: WorkloadFilters) -> WorkloadOut:
    """Per inspector: upcoming, overdue, missed, completed visits (one-off and programme visits) in the
    caller's scope. With `inspector_id` (an inspector: always, and only their own) also the visits."""
    if p.role == "inspector":
        if filters.inspector_id not in (None, p.user_id):
            raise Forbidden("an inspector sees only their own workload")
        filters = msgspec.structs.replace(filters, inspector_id=p.user_id)
    now = datetime.now(UTC)
    async with pool.acquire() as conn:
        rows = await queries.workload(conn, p, now, filters)
        items = None
        if filters.inspector_id is not None:
            items = await queries.work_items(conn, p, now, filters, MAX_WORK_ITEMS)
    return WorkloadOut(as_of=now, rows=rows, items=items)
