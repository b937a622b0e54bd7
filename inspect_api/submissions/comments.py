"""QA's comments on a submission or one of its items (#17).

QA (admin, reviewer in its scope) writes and reads every comment with its author and time. A comment
marked `share_with_branch` is shown to the branch once the result is released: branch managers and
regional leads read shared comments only, as text, item and date (the branch's local date), never the
author or the exact time, like everything else a manager reads of a visit. Writing one records a
`submission.commented` event that names no branch (so only admins read it in the feed) and an audit row.
"""

from __future__ import annotations

from typing import Final
from uuid import UUID

import asyncpg

from inspect_api.audit.service import record
from inspect_api.auth.principal import REVIEWERS, Principal
from inspect_api.errors import InvalidInput, NotFound
from inspect_api.events.service import emit
from inspect_api.submissions import queries
from inspect_api.submissions.queries import CommentRow
from inspect_api.submissions.schemas import BranchComment, CommentAuthor, CommentIn, ReviewComment

SHARED_READERS: Final = ("branch_manager", "regional_lead")


def _qa(row: CommentRow) -> ReviewComment:
    return ReviewComment(id=row.id, item_key=row.item_key, body=row.body, share_with_branch=row.share_with_branch,
                         author=CommentAuthor(id=row.author_id, display_name=row.author_name),
                         created_at=row.created_at)


def _branch(row: CommentRow) -> BranchComment:
    return BranchComment(id=row.id, item_key=row.item_key, body=row.body, commented_on=row.commented_on)


async def add(pool: asyncpg.Pool, principal: Principal, submission_id: UUID, data: CommentIn) -> ReviewComment:
    async with pool.acquire() as conn, conn.transaction():
        row = await queries.submission(conn, principal.org_id, principal.user_id, principal.role, submission_id)
        if row is None:
            raise NotFound(f"submission {submission_id} not found")
        items = {a.get("item") for a in row.answers} | {i.key for i in row.score_card.items}
        if data.item_key is not None and data.item_key not in items:
            raise InvalidInput("no such item in this submission", extra={"errors": [
                {"field": "item_key", "message": f"{data.item_key!r} is not an item of form {row.form_key} "
                 f"v{row.form_version}"}]})
        comment_id = await queries.insert_comment(conn, principal.org_id, submission_id, data.item_key, data.body,
                                                  data.share_with_branch, principal.user_id)
        written = await queries.comments(conn, principal.org_id, submission_id, shared_only=False)
        comment = next(c for c in written if c.id == comment_id)
        out = _qa(comment)
        await emit(conn, principal.org_id, "submission.commented", submission_id, out)
        await record(conn, principal, "submission.commented", target_type="submission", target_id=submission_id,
                     after={"comment_id": str(comment_id), "item_key": data.item_key,
                            "share_with_branch": data.share_with_branch})
    return out


async def list_for(
    pool: asyncpg.Pool, principal: Principal, submission_id: UUID
) -> list[ReviewComment] | list[BranchComment]:
    """QA: every comment. Managers and leads: shared ones of a released result they may read (the
    submission scope makes anything else a 404)."""
    async with pool.acquire() as conn:
        row = await queries.submission(conn, principal.org_id, principal.user_id, principal.role, submission_id)
        if row is None:
            raise NotFound(f"submission {submission_id} not found")
        qa = principal.role in REVIEWERS
        rows = await queries.comments(conn, principal.org_id, submission_id, shared_only=not qa)
    if qa:
        return [_qa(r) for r in rows]
    if row.status != "released":  # the scope already says so for managers and leads; never earlier
        raise NotFound(f"submission {submission_id} not found")
    return [_branch(r) for r in rows]
