"""Scheduling, listing and cancelling visits. One transaction per call; scope in SQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.auth.principal import Principal
from inspect_api.errors import Conflict, InvalidInput, NotFound
from inspect_api.events.service import emit
from inspect_api.org.queries import mystery_revisit_days
from inspect_api.org.schemas import DEFAULT_MYSTERY_REVISIT_DAYS
from inspect_api.paging import Keyset, next_page
from inspect_api.visits import queries
from inspect_api.visits.queries import VisitFilters
from inspect_api.visits.schemas import MyVisitOut, VisitIn, VisitOut

REVISIT_RULE = "mystery_revisit_days"


async def _reference_problems(conn: asyncpg.Connection, p: Principal, data: VisitIn) -> list[tuple[str, str]]:
    """Each unusable reference, named by field. Out-of-scope and missing rows read the same."""
    problems: list[tuple[str, str]] = []
    if data.window_end <= data.window_start:
        problems.append(("window_end", "must be after window_start"))
    elif data.window_end <= datetime.now(UTC):
        problems.append(("window_end", "the window has already ended"))
    branch = await queries.visible_branch(conn, p, data.branch_id)
    if branch is None:
        problems.append(("branch_id", "no such branch in your scope"))
    elif not branch.active:
        problems.append(("branch_id", "the branch is inactive"))
    inspector = await queries.lock_inspector(conn, p.org_id, data.inspector_id)
    if inspector is None:
        problems.append(("inspector_id", "no such user"))
    elif inspector.role != "inspector":
        problems.append(("inspector_id", f"the user is a {inspector.role}, not an inspector"))
    elif not inspector.active:
        problems.append(("inspector_id", "the inspector is disabled"))
    version = await queries.form_version(conn, p.org_id, data.form_version_id)
    if version is None:
        problems.append(("form_version_id", "no such form version"))
    elif version.status != "published":
        problems.append(("form_version_id", "the form version is a draft: publish it first"))
    elif version.retired:
        problems.append(("form_version_id", "the form version is retired: schedule a current version"))
    return problems


async def schedule_visit(pool: asyncpg.Pool, p: Principal, data: VisitIn) -> VisitOut:
    """Admins anywhere in the org, regional leads at branches of their regions.

    Mystery revisit rule: a visit is refused (409) when the same inspector has another non-cancelled
    visit at the same branch whose window comes within the org's `mystery_revisit_days` (default 30,
    0 = off) of the new window, and either of the two visits is a mystery visit."""
    async with pool.acquire() as conn, conn.transaction():
        problems = await _reference_problems(conn, p, data)
        if problems:
            raise InvalidInput(
                "the visit cannot be scheduled",
                extra={"errors": [{"field": f, "message": m} for f, m in problems]},
            )
        days = await mystery_revisit_days(conn, p.org_id, DEFAULT_MYSTERY_REVISIT_DAYS)
        if days > 0:
            clash = await queries.revisit_conflict(
                conn,
                p.org_id,
                data.inspector_id,
                data.branch_id,
                data.window_start,
                data.window_end,
                data.mode,
                days,
            )
            if clash is not None:
                raise Conflict(
                    f"mystery revisit rule ({REVISIT_RULE} = {days}): this inspector already has a "
                    f"{clash.mode} visit to this branch starting {clash.window_start.isoformat()}, "
                    f"less than {days} days from this window",
                    extra={"rule": REVISIT_RULE, "days": days, "conflicting_visit_id": str(clash.id)},
                )
        visit_id = await queries.insert_visit(
            conn,
            p.org_id,
            branch_id=data.branch_id,
            form_version_id=data.form_version_id,
            inspector_id=data.inspector_id,
            mode=data.mode,
            window_start=data.window_start,
            window_end=data.window_end,
            created_by=p.user_id,
        )
        visit = await queries.get_visit(conn, p, visit_id)
        assert visit is not None  # just inserted inside the caller's scope
        # Never shown to branch managers (a mystery visit is announced by nothing): no manager shape.
        await emit(conn, p.org_id, "visit.scheduled", visit.id, visit, branch_id=visit.branch.id)
    return visit


VISITS_KEYSET: Final = Keyset("visits", datetime)


async def list_visits(
    pool: asyncpg.Pool, p: Principal, filters: VisitFilters, after: str | None = None
) -> tuple[list[VisitOut], str | None]:
    """One page, latest window first, and the next page's cursor (None: the last page)."""
    start = VISITS_KEYSET.decode(after, offset=filters.offset)
    async with pool.acquire() as conn:
        rows = await queries.list_visits(conn, p, msgspec.structs.replace(filters, limit=filters.limit + 1,
                                                                           after=start))
    return next_page(rows, filters.limit, VISITS_KEYSET, lambda v: (v.window_start, v.id))


async def get_visit(pool: asyncpg.Pool, p: Principal, visit_id: UUID) -> VisitOut:
    async with pool.acquire() as conn:
        visit = await queries.get_visit(conn, p, visit_id)
    if visit is None:
        raise NotFound("no such visit")
    return visit


async def my_open_visits(pool: asyncpg.Pool, p: Principal) -> list[MyVisitOut]:
    async with pool.acquire() as conn:
        return await queries.my_open_visits(conn, p)


async def cancel_visit(pool: asyncpg.Pool, p: Principal, visit_id: UUID) -> VisitOut:
    async with pool.acquire() as conn, conn.transaction():
        status = await queries.lock_visit_status(conn, p, visit_id)
        if status is None:
            raise NotFound("no such visit")
        if status != "scheduled":
            raise Conflict(f"the visit is {status}; only a scheduled visit can be cancelled")
        await queries.cancel_visit(conn, p, visit_id)
        visit = await queries.get_visit(conn, p, visit_id)
        assert visit is not None
        await emit(conn, p.org_id, "visit.cancelled", visit.id, visit, branch_id=visit.branch.id)
    return visit
