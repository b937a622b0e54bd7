"""QA review (approve, release, reject) and role-shaped reads."""

from __future__ import annotations

from datetime import date
from typing import Final
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.audit.service import record
from inspect_api.auth.principal import REVIEWERS, Principal
from inspect_api.errors import Conflict, NotFound
from inspect_api.events.service import emit
from inspect_api.paging import Keyset, next_page
from inspect_api.submissions import hooks, queries
from inspect_api.submissions.proof import ProofOfVisit
from inspect_api.submissions.queries import SubmissionRow, SummaryRow
from inspect_api.submissions.schemas import (
    BranchRef,
    BranchSubmissionView,
    FormRef,
    GpsFix,
    Hold,
    InspectorRef,
    ReviewSummary,
    RevisionInfo,
    SubmissionSummary,
    SubmissionView,
)

# to_status -> the statuses it may come from
TRANSITIONS: Final[dict[str, tuple[str, ...]]] = {
    "approved": ("submitted",),
    "released": ("approved",),
    "rejected": ("submitted", "approved"),
}
MAX_PAGE_SIZE: Final = 200
# Who reads proofs of visit, so the integrity summary in list rows (QA: admins, and reviewers where the
# role exists).
PROOF_READERS: Final = ("admin", "reviewer")
SUBMISSIONS_KEYSET: Final = Keyset("submissions", date)


async def transition(
    pool: asyncpg.Pool, principal: Principal, submission_id: UUID, to_status: str, reason: str | None = None
) -> SubmissionView:
    async with pool.acquire() as conn, conn.transaction():
        state = await queries.reviewable_for_update(conn, principal.org_id, principal.user_id, principal.role,
                                                    submission_id)
        if state is None:  # unknown, another org's, or outside a reviewer's regions
            raise NotFound(f"submission {submission_id} not found")
        allowed = TRANSITIONS[to_status]
        if to_status == "released" and state.held:
            raise Conflict(f"submission {submission_id} is on hold: unhold it before releasing")
        if not await queries.transition(
            conn, principal.org_id, submission_id, to_status, principal.user_id, reason, allowed
        ):
            raise Conflict(
                f"submission {submission_id} is {state.status}; it can become {to_status} only from "
                + " or ".join(allowed)
            )
        if to_status == "released":
            await on_release(conn, principal.org_id, submission_id)
        await _announce(conn, principal, submission_id, to_status, reason)
        return await _view(conn, principal, submission_id)


async def _announce(
    conn: asyncpg.Connection, principal: Principal, submission_id: UUID, to_status: str, reason: str | None
) -> None:
    """The review's event and audit row, in its transaction. The event's payload is the result as a
    regional lead reads it (no proof: that is the admin's), its manager shape the branch view, for a
    release only (a manager sees nothing of a result before)."""
    row = await queries.submission(conn, principal.org_id, principal.user_id, principal.role, submission_id)
    if row is None:
        raise NotFound(f"submission {submission_id} not found")
    full = full_view(row, await queries.revisions(conn, principal.org_id, submission_id), with_proof=False)
    await emit(conn, principal.org_id, f"submission.{to_status}", submission_id, full, branch_id=row.branch_id,
               branch_payload=branch_view(row) if to_status == "released" else None)
    await record(conn, principal, f"submission.{to_status}", target_type="submission", target_id=submission_id,
                 after={"status": to_status, "reason": reason, "revision": row.revision})


async def on_release(conn: asyncpg.Connection, org_id: UUID, submission_id: UUID) -> None:
    """Inside the releasing transaction: everything the branch sees of the visit is derived now, from the
    revision QA released, by the features registered in hooks.py (rankings: per-item facts and roll-ups;
    actions: the visit's follow-up actions, dated at the release, and the recheck of earlier ones). They
    run under the series (branch x form key) advisory lock, so two releases of one series never judge
    each other against a half-derived neighbour."""
    released = await queries.released(conn, org_id, submission_id)
    if released is None:
        raise LookupError(f"submission {submission_id} is not released")
    await queries.lock_series(conn, released.branch_id, released.form_key)
    await hooks.announce(conn, released)


def _branch(row: SubmissionRow | SummaryRow) -> BranchRef:
    return BranchRef(id=row.branch_id, code=row.branch_code, name_zh=row.branch_name_zh, name_en=row.branch_name_en)


def _form(row: SubmissionRow | SummaryRow) -> FormRef:
    return FormRef(key=row.form_key, version=row.form_version, form_version_id=row.form_version_id)


def branch_view(row: SubmissionRow) -> BranchSubmissionView:
    return BranchSubmissionView(
        id=row.id,
        branch=_branch(row),
        form=_form(row),
        visited_on=row.visited_on,
        total_percent=row.total_percent,
        passed=row.passed,
        answers=row.answers,
        score=row.score_card,
    )


def full_view(row: SubmissionRow, revisions: list[queries.RevisionInfoRow], *, with_proof: bool) -> SubmissionView:
    gps = None
    if row.gps_latitude is not None and row.gps_longitude is not None:
        gps = GpsFix(latitude=row.gps_latitude, longitude=row.gps_longitude, accuracy_m=row.gps_accuracy_m or 0.0)
    return SubmissionView(
        id=row.id,
        branch=_branch(row),
        form=_form(row),
        mode=row.mode,  # type: ignore[arg-type]
        status=row.status,  # type: ignore[arg-type]
        visit_id=row.visit_id,
        inspector=InspectorRef(id=row.inspector_id, display_name=row.inspector_name),
        revision=row.revision,
        client_id=row.client_id,
        visited_on=row.visited_on,
        submitted_at=row.submitted_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        gps=gps,
        comment=row.comment,
        total_percent=row.total_percent,
        passed=row.passed,
        answers=row.answers,
        score=row.score_card,
        reject_reason=row.reject_reason,
        released_at=row.released_at,
        revisions=msgspec.convert([msgspec.structs.asdict(r) for r in revisions], list[RevisionInfo]),
        proof=msgspec.convert(row.proof, ProofOfVisit) if with_proof else None,
        hold=None if row.held_at is None or row.hold_reason is None else Hold(held_at=row.held_at,
                                                                              reason=row.hold_reason),
    )


async def _view(
    conn: asyncpg.Connection, principal: Principal, submission_id: UUID
) -> SubmissionView | BranchSubmissionView:
    row = await queries.submission(conn, principal.org_id, principal.user_id, principal.role, submission_id)
    if row is None:
        raise NotFound(f"submission {submission_id} not found")
    if principal.role == "branch_manager":
        return branch_view(row)
    revisions = await queries.revisions(conn, principal.org_id, submission_id)
    return full_view(row, revisions, with_proof=principal.role in REVIEWERS)


async def get_submission(
    pool: asyncpg.Pool, principal: Principal, submission_id: UUID
) -> SubmissionView | BranchSubmissionView:
    async with pool.acquire() as conn:
        return await _view(conn, principal, submission_id)


async def list_submissions(
    pool: asyncpg.Pool,
    principal: Principal,
    *,
    branch_id: UUID | None = None,
    status: str | None = None,
    form_key: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = 50,
    offset: int = 0,
    after: str | None = None,
) -> tuple[list[SubmissionSummary] | list[ReviewSummary], str | None]:
    """One page, newest visit first, and the cursor of the next page (None: the last page)."""
    start = SUBMISSIONS_KEYSET.decode(after, offset=offset)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    with_integrity = principal.role in PROOF_READERS
    async with pool.acquire() as conn:
        rows = await queries.summaries(
            conn, principal.org_id, principal.user_id, principal.role,
            branch_id=branch_id, status=status, form_key=form_key, date_from=date_from, date_to=date_to,
            limit=limit + 1, offset=max(0, offset), after=start, with_integrity=with_integrity,
            reviews_whole_org=principal.role == "reviewer" and not principal.region_ids,
        )
    page, cursor = next_page(rows, limit, SUBMISSIONS_KEYSET, lambda r: (r.visited_on, r.id))
    if with_integrity:  # the review queue: each row's proof-of-visit verdict beside it
        return [
            ReviewSummary(
                id=row.id, branch=_branch(row), form=_form(row), status=row.status,  # type: ignore[arg-type]
                total_percent=row.total_percent, passed=row.passed, visited_on=row.visited_on,
                integrity=row.integrity, on_hold=row.on_hold,
            )
            for row in page
        ], cursor
    return [
        SubmissionSummary(
            id=row.id, branch=_branch(row), form=_form(row), status=row.status,  # type: ignore[arg-type]
            total_percent=row.total_percent, passed=row.passed, visited_on=row.visited_on,
        )
        for row in page
    ], cursor


# ---- on hold (#17) -----------------------------------------------------------------------------------

HOLDABLE: Final = ("submitted", "approved")


async def set_hold(
    pool: asyncpg.Pool, principal: Principal, submission_id: UUID, reason: str, *, hold: bool
) -> SubmissionView:
    """Put a submitted or approved result on hold (a reason is required), or take it off hold (the
    reason is recorded). A held result cannot be released (409) until unheld; approve and reject still
    work (a rejection ends the hold). Event submission.held / submission.unheld (QA's and regional leads'
    feed: no branch manager shape) and an audit row, in the same transaction."""
    async with pool.acquire() as conn, conn.transaction():
        state = await queries.reviewable_for_update(conn, principal.org_id, principal.user_id, principal.role,
                                                    submission_id)
        if state is None:
            raise NotFound(f"submission {submission_id} not found")
        if hold and state.status not in HOLDABLE:
            raise Conflict(f"submission {submission_id} is {state.status}; only a submitted or approved "
                           "result can be put on hold")
        if hold == state.held:
            raise Conflict(f"submission {submission_id} is {'already' if hold else 'not'} on hold")
        await queries.set_hold(conn, principal.org_id, submission_id, principal.user_id, reason if hold else None)
        action = "submission.held" if hold else "submission.unheld"
        payload = {"submission_id": str(submission_id), "status": state.status, "on_hold": hold, "reason": reason}
        await emit(conn, principal.org_id, action, submission_id, payload, branch_id=state.branch_id)
        await record(conn, principal, action, target_type="submission", target_id=submission_id,
                     before={"on_hold": state.held}, after={"on_hold": hold, "reason": reason})
        return await _view(conn, principal, submission_id)
