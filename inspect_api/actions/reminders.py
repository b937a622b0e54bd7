"""SLA reminders (#17 "Actions and results", #16 events): a periodic job (inspect_api/jobs, registered
by app.register_periodic_jobs) that emits `action.due_soon` once an action's due moment is within the
lead time, and `action.overdue` once it has passed, each at most once per due date (marks on the action,
migration 0026; a new due date at a recurrence clears them).

The due moment is the end of the due day in the branch's zone: from then ActionOut.overdue is true.
An action the job first sees after that moment gets only action.overdue (a late due-soon says nothing).
Only pending actions (open, in_progress, reopened) are reminded of."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Final

import asyncpg

from inspect_api.actions import outbox, queries
from inspect_api.actions.schemas import ActionChange
from inspect_api.jobs import PeriodicJob

DEFAULT_LEAD: Final = timedelta(hours=24)
BATCH: Final = 500
JOB_NAME: Final = "actions.reminders"
LEAD_ENV: Final = "ACTION_DUE_SOON_HOURS"


def lead_from_env(env: dict[str, str] | None = None) -> timedelta:
    """ACTION_DUE_SOON_HOURS (default 24): how long before the due moment action.due_soon goes out."""
    raw = (os.environ if env is None else env).get(LEAD_ENV, "").strip()
    if not raw:
        return DEFAULT_LEAD
    try:
        hours = float(raw)
    except ValueError as exc:
        raise ValueError(f"{LEAD_ENV}: a number of hours, got {raw!r}") from exc
    if not 0 <= hours <= 24 * 90:
        raise ValueError(f"{LEAD_ENV}: between 0 and {24 * 90} hours, got {raw!r}")
    return timedelta(hours=hours)


async def send_reminders(conn: asyncpg.Connection, now: datetime, lead: timedelta = DEFAULT_LEAD,
                         batch: int = BATCH) -> int:
    """One batch of due reminders, marked and emitted in `conn`'s transaction; the number of events.
    The rest (over `batch`) goes out at the next run."""
    due = await queries.reminders_due(conn, now, lead, batch)
    overdue = [c for c in due if c.due_at <= now]
    due_soon = [c for c in due if c.due_at > now and not c.due_soon_notified]
    if overdue:
        await queries.mark_overdue(conn, [c.id for c in overdue], now)
    if due_soon:
        await queries.mark_due_soon(conn, [c.id for c in due_soon], now)
    written = 0
    for org_id in sorted({c.org_id for c in due}, key=str):
        changes = [(c.id, ActionChange(kind="overdue", due_at=c.due_at)) for c in overdue if c.org_id == org_id]
        changes += [(c.id, ActionChange(kind="due_soon", due_at=c.due_at)) for c in due_soon if c.org_id == org_id]
        written += await outbox.emit_changes(conn, org_id, changes)
    return written


def reminder_job(lead: timedelta | None = None, every: timedelta = timedelta(minutes=1)) -> PeriodicJob:
    lead = lead_from_env() if lead is None else lead

    async def run(conn: asyncpg.Connection, now: datetime) -> int:
        return await send_reminders(conn, now, lead)

    return PeriodicJob(name=JOB_NAME, every=every, run=run)
