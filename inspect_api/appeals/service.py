"""Appeals: open (branch manager), withdraw (branch manager), accept or reject (QA: admin, reviewer),
reads (everyone who sees the branch, inspectors never). One transaction per call, which also writes the
audit row (audit.service.record) and the event (events.service.emit: appeal.opened, appeal.accepted,
appeal.rejected, appeal.withdrawn; branch managers of the branch get them too).

    open ──accept──> accepted   (the result is corrected: submissions.corrections.correct_released)
      │ ──reject──> rejected    (with a reason; the result stays)
      └ ──withdraw─> withdrawn  (the manager)

Role checks are the routes' (403). An appeal outside the caller's scope is a 404; a submission that is
not a released result of the manager's branches (unknown, another branch's, not yet released) is a 422
naming `submission_id`, all alike, so nobody learns of a visit before its release; a second open appeal
for the same result and item is a 409; a move from a closed state a 409.
"""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

import asyncpg

from inspect_api.appeals import queries
from inspect_api.appeals.queries import AppealRow, ListFilters, LockedAppeal
from inspect_api.appeals.schemas import (
    AcceptIn,
    AppealDetail,
    AppealIn,
    AppealOut,
    BranchRef,
    RejectIn,
    ResultRef,
    UserRef,
    WithdrawIn,
)
from inspect_api.audit.service import record
from inspect_api.auth.principal import Principal
from inspect_api.errors import Conflict, InvalidInput, NotFound
from inspect_api.events.service import emit
from inspect_api.photos.service import VerifiedPhoto, attach_photos, verify_photos
from inspect_api.settings import Settings
from inspect_api.storage.blobs import BlobStore
from inspect_api.submissions.corrections import correct_released

MAX_PAGE_SIZE: Final = 200


def appeal_out(row: AppealRow) -> AppealOut:
    corrected = None
    if row.corrected_revision is not None:
        corrected = ResultRef(revision=row.corrected_revision, total_percent=row.corrected_total,
                              passed=bool(row.corrected_passed), item_status=row.corrected_item_status)
    return AppealOut(
        id=row.id, submission_id=row.submission_id,
        branch=BranchRef(id=row.branch_id, code=row.branch_code, name_zh=row.branch_name_zh,
                         name_en=row.branch_name_en),
        form_key=row.form_key, visited_on=row.visited_on, item_key=row.item_key,
        status=row.status,  # type: ignore[arg-type]
        reason=row.reason, evidence_photo_ids=row.evidence_photo_ids,
        opened_by=UserRef(id=row.opened_by, display_name=row.opened_by_name), opened_at=row.opened_at,
        decided_by=None if row.decided_by is None else UserRef(id=row.decided_by,
                                                               display_name=row.decided_by_name or ""),
        decided_at=row.decided_at, decision_reason=row.decision_reason,
        disputed=ResultRef(revision=row.disputed_revision, total_percent=row.disputed_total,
                           passed=row.disputed_passed, item_status=row.disputed_item_status),
        corrected=corrected,
    )


async def _row(conn: asyncpg.Connection, p: Principal, appeal_id: UUID) -> AppealRow:
    row = await queries.appeal(conn, p.org_id, p.user_id, p.role, appeal_id)
    if row is None:
        raise NotFound(f"appeal {appeal_id} not found")
    return row


async def _detail(conn: asyncpg.Connection, p: Principal, appeal_id: UUID) -> AppealDetail:
    out = appeal_out(await _row(conn, p, appeal_id))
    if p.role == "branch_manager":
        return AppealDetail(appeal=out)
    card = await queries.disputed_card(conn, p.org_id, p.user_id, p.role, appeal_id)
    return AppealDetail(appeal=out, disputed_score=card)


async def get_appeal(pool: asyncpg.Pool, p: Principal, appeal_id: UUID) -> AppealDetail:
    async with pool.acquire() as conn:
        return await _detail(conn, p, appeal_id)


async def list_appeals(pool: asyncpg.Pool, p: Principal, filters: ListFilters, *, limit: int = 50,
                       offset: int = 0) -> list[AppealOut]:
    async with pool.acquire() as conn:
        rows = await queries.appeals(conn, p.org_id, p.user_id, p.role, filters,
                                     max(1, min(limit, MAX_PAGE_SIZE)), max(0, offset))
    return [appeal_out(r) for r in rows]


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, extra={"errors": [{"field": field, "message": message}]})


async def _announce(conn: asyncpg.Connection, p: Principal, appeal_id: UUID, action: str,
                    before: Any = None, extra: dict[str, Any] | None = None) -> AppealDetail:
    """The appeal's event (its payload the manager-safe appeal, for managers of the branch too) and
    audit row, in the changing transaction; answers the caller's view."""
    row = await _row(conn, p, appeal_id)
    out = appeal_out(row)
    await emit(conn, p.org_id, action, appeal_id, out, branch_id=row.branch_id, branch_payload=out)
    await record(conn, p, action, target_type="appeal", target_id=appeal_id, before=before,
                 after={"status": out.status, "submission_id": str(out.submission_id), "item_key": out.item_key,
                        "reason": out.decision_reason if out.status != "open" else out.reason, **(extra or {})})
    return await _detail(conn, p, appeal_id)


async def open_appeal(pool: asyncpg.Pool, blobs: BlobStore, settings: Settings, p: Principal,
                      data: AppealIn) -> AppealDetail:
    async with pool.acquire() as conn:  # early answers, before any photo is read
        await _check_target(conn, p, data)
    photos: dict[UUID, VerifiedPhoto] = await verify_photos(
        pool, blobs, settings, org_id=p.org_id, uploader_id=p.user_id, photo_ids=data.photo_ids,
        purpose="action_evidence",
    )
    async with pool.acquire() as conn, conn.transaction():
        revision = await _check_target(conn, p, data)
        try:
            appeal_id = await queries.insert_appeal(conn, p.org_id, data.submission_id, revision.branch_id,
                                                    data.item_key, data.reason.strip() or data.reason, p.user_id,
                                                    revision.current_revision)
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == queries.ONE_OPEN_CONSTRAINT:
                raise _already_open(data) from exc
            raise
        await attach_photos(conn, list(photos.values()))
        await queries.insert_photos(conn, p.org_id, appeal_id, sorted(photos, key=str))
        return await _announce(conn, p, appeal_id, "appeal.opened")


def _already_open(data: AppealIn) -> Conflict:
    what = f"item {data.item_key} of result" if data.item_key else "result"
    return Conflict(f"{what} {data.submission_id} already has an open appeal; wait for its decision or withdraw it")


async def _check_target(conn: asyncpg.Connection, p: Principal, data: AppealIn) -> queries.AppealTarget:
    found = await queries.target(conn, p.org_id, p.user_id, p.role, data.submission_id)
    if found is None:
        raise _invalid("submission_id", f"no released result of your branches is {data.submission_id}")
    if data.item_key is not None and data.item_key not in {i.key for i in found.score_card.items}:
        raise _invalid("item_key", f"form {found.score_card.form_key} v{found.score_card.form_version} "
                                   f"has no item {data.item_key}")
    if await queries.open_appeal_id(conn, p.org_id, data.submission_id, data.item_key) is not None:
        raise _already_open(data)
    return found


async def _locked(conn: asyncpg.Connection, p: Principal, appeal_id: UUID, to: str) -> LockedAppeal:
    locked = await queries.lock_appeal(conn, p.org_id, p.user_id, p.role, appeal_id)
    if locked is None:
        raise NotFound(f"appeal {appeal_id} not found")
    if locked.status != "open":
        raise Conflict(f"appeal {appeal_id} is {locked.status}; only an open appeal can become {to}",
                       extra={"appeal_status": locked.status})
    return locked


async def accept(pool: asyncpg.Pool, p: Principal, appeal_id: UUID, data: AcceptIn) -> AppealDetail:
    """QA accepts: the corrected answers make a new revision of the result (scored by the server; per-item
    facts, roll-ups and follow-ups re-derived), the appeal records it, one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        locked = await _locked(conn, p, appeal_id, "accepted")
        only = None if locked.item_key is None else {locked.item_key}
        correction = await correct_released(conn, p.org_id, locked.submission_id, data.answers, only_items=only,
                                            note=data.note)
        await queries.decide(conn, p.org_id, appeal_id, "accepted", p.user_id, data.note.strip() or None,
                             correction.revision)
        await record(conn, p, "submission.corrected", target_type="submission", target_id=locked.submission_id,
                     before={"revision": correction.previous_revision,
                             "total_percent": correction.previous_total_percent,
                             "passed": correction.previous_passed},
                     after={"revision": correction.revision, "total_percent": correction.total_percent,
                            "passed": correction.passed, "appeal_id": str(appeal_id)})
        return await _announce(conn, p, appeal_id, "appeal.accepted", before={"status": "open"},
                               extra={"revision": correction.revision})


async def reject(pool: asyncpg.Pool, p: Principal, appeal_id: UUID, data: RejectIn) -> AppealDetail:
    async with pool.acquire() as conn, conn.transaction():
        await _locked(conn, p, appeal_id, "rejected")
        await queries.decide(conn, p.org_id, appeal_id, "rejected", p.user_id, data.reason.strip() or data.reason, None)
        return await _announce(conn, p, appeal_id, "appeal.rejected", before={"status": "open"})


async def withdraw(pool: asyncpg.Pool, p: Principal, appeal_id: UUID, data: WithdrawIn) -> AppealDetail:
    async with pool.acquire() as conn, conn.transaction():
        await _locked(conn, p, appeal_id, "withdrawn")
        await queries.decide(conn, p.org_id, appeal_id, "withdrawn", p.user_id, data.note.strip() or None, None)
        return await _announce(conn, p, appeal_id, "appeal.withdrawn", before={"status": "open"})


__all__ = ["accept", "appeal_out", "get_appeal", "list_appeals", "open_appeal", "reject", "withdraw"]
