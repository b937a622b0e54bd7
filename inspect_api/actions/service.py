"""Follow-up actions: reads, lifecycle moves, comments, evidence. One transaction per call; scope in SQL
(actions/queries.py), the state machine in lifecycle.py. Role checks are the routes' (403); an action
outside the caller's scope is a 404; an illegal move a 409 naming the allowed ones."""

from __future__ import annotations

from datetime import date, datetime
from typing import Final
from uuid import UUID

import asyncpg
import msgspec
from msgspec import UNSET

from inspect_api.actions import outbox, queries
from inspect_api.actions.lifecycle import Move, allowed_moves, check_move
from inspect_api.actions.queries import ActionRow, ListFilters, LockedAction
from inspect_api.actions.schemas import (
    ActionChange,
    ActionDetail,
    ActionEventOut,
    ActionOut,
    ActionPatchIn,
    BranchRef,
    NoteIn,
    ResolveIn,
    UserRef,
    VerifyIn,
)
from inspect_api.audit.service import record
from inspect_api.auth.principal import Principal
from inspect_api.errors import InvalidInput, NotFound
from inspect_api.paging import TupleKeyset, next_tuple_page
from inspect_api.photos.service import VerifiedPhoto, attach_photos, verify_photos
from inspect_api.settings import Settings
from inspect_api.storage.blobs import BlobStore

MAX_PAGE_SIZE: Final = 200


def action_out(row: ActionRow) -> ActionOut:
    return ActionOut(
        id=row.id,
        branch=BranchRef(id=row.branch_id, code=row.branch_code, name_zh=row.branch_name_zh,
                         name_en=row.branch_name_en, region_id=row.region_id),
        submission_id=row.submission_id,
        visited_on=row.visited_on,
        form_key=row.form_key,
        item_key=row.item_key,
        title_zh=row.title_zh,
        title_en=row.title_en,
        priority=row.priority,  # type: ignore[arg-type]
        evidence_required=row.evidence_required,
        due_on=row.due_on,
        status=row.status,  # type: ignore[arg-type]
        recurrence_count=row.recurrence_count,
        overdue=row.overdue,
        merged_into=row.merged_into,
        assignees=msgspec.convert(row.assignees, list[UserRef]),
        assignee=None if row.assignee is None else msgspec.convert(row.assignee, UserRef),
        allowed_moves=list(allowed_moves(row.status)),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _event_out(row: queries.EventRow) -> ActionEventOut:
    actor = None if row.actor_id is None else UserRef(id=row.actor_id, display_name=row.actor_name or "")
    return ActionEventOut(
        id=row.id, kind=row.kind, from_status=row.from_status, to_status=row.to_status,  # type: ignore[arg-type]
        note=row.note, photo_id=row.photo_id, submission_id=row.submission_id, actor=actor,
        created_at=row.created_at,
    )


async def _detail(conn: asyncpg.Connection, p: Principal, action_id: UUID) -> ActionDetail:
    row = await queries.action(conn, p.org_id, p.user_id, p.role, action_id)
    if row is None:
        raise NotFound(f"action {action_id} not found")
    events = await queries.events(conn, action_id)
    photos = await queries.evidence_photo_ids(conn, action_id)
    return ActionDetail(action=action_out(row), events=[_event_out(e) for e in events], evidence_photo_ids=photos)


async def get_action(pool: asyncpg.Pool, p: Principal, action_id: UUID) -> ActionDetail:
    async with pool.acquire() as conn:
        return await _detail(conn, p, action_id)


async def list_actions(
    pool: asyncpg.Pool, p: Principal, filters: ListFilters, *, limit: int = 50, offset: int = 0
) -> list[ActionOut]:
    async with pool.acquire() as conn:
        rows = await queries.actions(conn, p.org_id, p.user_id, p.role, filters,
                                     max(1, min(limit, MAX_PAGE_SIZE)), max(0, offset))
    return [action_out(r) for r in rows]


ACTIONS_KEYSET: Final = TupleKeyset("actions", (date, int, datetime, UUID), queries.ACTIONS_START)


async def list_actions_page(
    pool: asyncpg.Pool, p: Principal, filters: ListFilters, *, limit: int = 50, offset: int = 0,
    after: str | None = None,
) -> tuple[list[ActionOut], str | None]:
    """One page, earliest due first, and the next page's cursor (None: the last page)."""
    start = ACTIONS_KEYSET.decode(after, offset=offset)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    async with pool.acquire() as conn:
        rows = await queries.actions(conn, p.org_id, p.user_id, p.role, filters, limit + 1, max(0, offset), start)
    page, cursor = next_tuple_page(
        rows, limit, ACTIONS_KEYSET, lambda r: (r.due_on, queries.PRIORITY_RANK[r.priority], r.created_at, r.id))
    return [action_out(r) for r in page], cursor


async def _locked(conn: asyncpg.Connection, p: Principal, action_id: UUID) -> LockedAction:
    locked = await queries.lock_action(conn, p.org_id, p.user_id, p.role, action_id)
    if locked is None:
        raise NotFound(f"action {action_id} not found")
    return locked


async def _move(conn: asyncpg.Connection, p: Principal, locked: LockedAction, to: Move, note: str) -> None:
    """The move, its history row, its action.moved event and its audit row: one transaction."""
    check_move(locked.id, locked.status, to)
    await queries.set_status(conn, p.org_id, locked.id, to)
    await queries.insert_event(conn, p.org_id, locked.id, p.user_id, "status", from_status=locked.status, to_status=to,
                               note=note.strip())
    await outbox.emit_changes(conn, p.org_id, [(locked.id, ActionChange(
        kind="moved", from_status=locked.status, to_status=to, note=note.strip(), actor=outbox.actor_ref(p)))])
    await record(conn, p, "action.moved", target_type="action", target_id=locked.id,
                 before={"status": locked.status}, after={"status": to, "note": note.strip()})


async def move(pool: asyncpg.Pool, p: Principal, action_id: UUID, to: Move, note: str = "") -> ActionDetail:
    """start (in_progress), verify, reopen: a status change with an optional note, history kept."""
    async with pool.acquire() as conn, conn.transaction():
        locked = await _locked(conn, p, action_id)
        await _move(conn, p, locked, to, note)
        return await _detail(conn, p, action_id)


async def verify(pool: asyncpg.Pool, p: Principal, action_id: UUID, data: VerifyIn) -> ActionDetail:
    return await move(pool, p, action_id, "verified", data.note)


async def reopen(pool: asyncpg.Pool, p: Principal, action_id: UUID, data: NoteIn) -> ActionDetail:
    return await move(pool, p, action_id, "reopened", data.note)


async def start(pool: asyncpg.Pool, p: Principal, action_id: UUID) -> ActionDetail:
    return await move(pool, p, action_id, "in_progress")


async def resolve(
    pool: asyncpg.Pool, blobs: BlobStore, settings: Settings, p: Principal, action_id: UUID, data: ResolveIn
) -> ActionDetail:
    """in_progress -> resolved with a note; where evidence is required, at least one evidence photo
    (uploaded to S3 through POST /uploads, verified here before the transaction, attached inside it)."""
    async with pool.acquire() as conn:
        current = await queries.action(conn, p.org_id, p.user_id, p.role, action_id)  # early answers, no lock
    if current is None:
        raise NotFound(f"action {action_id} not found")
    check_move(action_id, current.status, "resolved")
    if current.evidence_required and not data.photo_ids:
        raise InvalidInput(
            "this action needs an evidence photo: upload one (POST /uploads, purpose action_evidence) "
            "and list it in photo_ids",
            extra={"errors": [{"field": "photo_ids", "message": "at least one evidence photo is required"}]},
        )
    photos: dict[UUID, VerifiedPhoto] = await verify_photos(
        pool, blobs, settings, org_id=p.org_id, uploader_id=p.user_id, photo_ids=data.photo_ids,
        purpose="action_evidence",
    )
    async with pool.acquire() as conn, conn.transaction():
        locked = await _locked(conn, p, action_id)
        check_move(action_id, locked.status, "resolved")
        await attach_photos(conn, list(photos.values()), action_id=action_id)
        for photo_id in sorted(photos, key=str):
            await queries.insert_event(conn, p.org_id, action_id, p.user_id, "evidence", photo_id=photo_id)
        await _move(conn, p, locked, "resolved", data.note)
        return await _detail(conn, p, action_id)


async def comment(pool: asyncpg.Pool, p: Principal, action_id: UUID, data: NoteIn) -> ActionDetail:
    async with pool.acquire() as conn, conn.transaction():
        locked = await _locked(conn, p, action_id)
        await queries.insert_event(conn, p.org_id, locked.id, p.user_id, "comment", note=data.note.strip())
        await queries.touch(conn, p.org_id, locked.id)
        await outbox.emit_changes(conn, p.org_id, [(locked.id, ActionChange(
            kind="commented", note=data.note.strip(), actor=outbox.actor_ref(p)))])
        return await _detail(conn, p, action_id)


async def update(pool: asyncpg.Pool, p: Principal, action_id: UUID, data: ActionPatchIn) -> ActionDetail:
    """PATCH: the named assignee (a user who sees the action's branch; 422 naming assignee_id otherwise)
    and the priority. A history row, an action.updated event and an audit row when anything changed."""
    async with pool.acquire() as conn, conn.transaction():
        locked = await _locked(conn, p, action_id)
        assignee = locked.assignee_id if data.assignee_id is UNSET else data.assignee_id
        priority = locked.priority if data.priority is UNSET else data.priority
        if assignee is not None and assignee != locked.assignee_id and not await queries.is_assignable(
                conn, p.org_id, assignee, locked.branch_id):
            raise InvalidInput(
                f"user {assignee} cannot be assigned: not an active admin, regional lead or branch manager "
                "who sees this action's branch",
                extra={"errors": [{"field": "assignee_id",
                                   "message": "must be a user with scope on the action's branch"}]},
            )
        before = {"assignee_id": None if locked.assignee_id is None else str(locked.assignee_id),
                  "priority": locked.priority}
        after = {"assignee_id": None if assignee is None else str(assignee), "priority": priority}
        if before != after:
            await queries.set_assignment(conn, p.org_id, locked.id, assignee, priority)
            said = [f"{k}: {before[k]} -> {after[k]}" for k in before if before[k] != after[k]]
            note = "; ".join(said) + (f". {data.note.strip()}" if data.note.strip() else "")
            await queries.insert_assigned_event(conn, p.org_id, locked.id, p.user_id, note)
            await outbox.emit_changes(conn, p.org_id, [(locked.id, ActionChange(
                kind="updated", note=data.note.strip(), actor=outbox.actor_ref(p), before=before, after=after))])
            await record(conn, p, "action.assigned" if before["assignee_id"] != after["assignee_id"]
                         else "action.updated", target_type="action", target_id=locked.id, before=before,
                         after=after)
        return await _detail(conn, p, action_id)
