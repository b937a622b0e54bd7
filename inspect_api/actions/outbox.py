"""action.* events (#16): written in the transaction that changes the action, with a snapshot of the
action as /actions shows it at that commit (actions/schemas.py ActionEventPayload).

Branch managers get the same payload: their /actions JSON is the admin's shape already (no inspector,
the visit only as its date, `created_at` the release), and the feed shows them only events of their
branches' actions, which exist from a release on."""

from __future__ import annotations

from typing import Final
from uuid import UUID

import asyncpg

from inspect_api.actions import queries
from inspect_api.actions.schemas import ActionChange, ActionEventPayload, UserRef
from inspect_api.auth.principal import Principal
from inspect_api.events.service import emit

EVENT_TYPES: Final = {
    "opened": "action.opened", "moved": "action.moved", "commented": "action.commented",
    "rechecked": "action.rechecked", "updated": "action.updated", "due_soon": "action.due_soon",
    "overdue": "action.overdue",
}


def actor_ref(p: Principal) -> UserRef:
    return UserRef(id=p.user_id, display_name=p.display_name)


async def emit_changes(conn: asyncpg.Connection, org_id: UUID, changes: list[tuple[UUID, ActionChange]]) -> int:
    """One event per (action, change), in list order, each with the action read now (in `conn`'s
    transaction, after the change). Returns the number written."""
    if not changes:
        return 0
    from inspect_api.actions.service import action_out  # the /actions shape

    rows = {r.id: r for r in await queries.actions_by_id(conn, org_id, sorted({a for a, _ in changes}, key=str))}
    written = 0
    for action_id, change in changes:
        row = rows.get(action_id)
        if row is None:
            continue
        payload = ActionEventPayload(action=action_out(row), change=change)
        await emit(conn, org_id, EVENT_TYPES[change.kind], action_id, payload, branch_id=row.branch_id,
                   region_id=row.region_id, branch_payload=payload)
        written += 1
    return written


async def emit_release_changes(
    conn: asyncpg.Connection, org_id: UUID, submission_id: UUID, opened: list[UUID],
    events: list[tuple[UUID, str, str, str, str]], merged: list[tuple[UUID, UUID]],
) -> int:
    """At a release (actions/loop.py): action.opened for the visit's own new actions (except those merged
    into a recurring earlier one: that one's action.rechecked lists them), then action.rechecked for
    each earlier action the visit rechecked (rechecked_ok or reopened)."""
    merged_into: dict[UUID, list[UUID]] = {}
    for own, target in merged:
        merged_into.setdefault(target, []).append(own)
    merged_ids = {own for own, _ in merged}
    changes = [(a, ActionChange(kind="opened", to_status="open", submission_id=submission_id))
               for a in opened if a not in merged_ids]
    changes += [(a, ActionChange(kind="rechecked", from_status=from_status, to_status=to_status, note=note,
                                 submission_id=submission_id, merged=merged_into.get(a, [])))
                for a, kind, from_status, to_status, note in events if kind == "recheck"]
    return await emit_changes(conn, org_id, changes)
