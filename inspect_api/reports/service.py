"""PDF reports built from the other features' public reads, so a report says exactly what the caller's
JSON says: the submission's role-shaped view (review.get_submission: its scope check and 404 too), the
photos' bounded copies (photos.service.report_copy: branch managers get their redacted download copy),
follow-up actions (actions.service.list_actions), rankings, trends and weakness maps (rankings.service).
No SQL of its own. Rendering runs in a worker thread, RENDER_CONCURRENCY at a time (render.py)."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Final
from uuid import UUID

import asyncpg

from inspect_api.actions.lifecycle import PENDING
from inspect_api.actions.queries import ListFilters
from inspect_api.actions.schemas import ActionOut
from inspect_api.actions.service import MAX_PAGE_SIZE as ACTIONS_PAGE
from inspect_api.actions.service import list_actions
from inspect_api.auth.principal import Principal
from inspect_api.forms.service import list_published, published_version
from inspect_api.photos.service import report_copy
from inspect_api.rankings import service as rankings
from inspect_api.rankings.stats import PeriodKind
from inspect_api.reports import content, render
from inspect_api.reports.words import Lang, inline
from inspect_api.settings import Settings
from inspect_api.storage.blobs import BlobStore
from inspect_api.submissions.review import get_submission
from inspect_api.submissions.schemas import BranchSubmissionView, SubmissionView

PHOTO_FETCH_CONCURRENCY: Final = 4
# Actions read for one report at most (pages of ACTIONS_PAGE): a branch's whole history of one form.
MAX_ACTIONS: Final = 5_000
TREND_PERIODS: Final = 6
ACTION_READERS: Final = ("admin", "regional_lead", "branch_manager")


async def _all_actions(pool: asyncpg.Pool, principal: Principal, filters: ListFilters) -> list[ActionOut]:
    found: list[ActionOut] = []
    while len(found) < MAX_ACTIONS:
        page = await list_actions(pool, principal, filters, limit=ACTIONS_PAGE, offset=len(found))
        found += page
        if len(page) < ACTIONS_PAGE:
            break
    return found


async def _open_actions(pool: asyncpg.Pool, principal: Principal,
                        view: SubmissionView | BranchSubmissionView) -> list[ActionOut] | None:
    """The visit's own follow-up actions still pending; None for a role that may not read actions."""
    if principal.role not in ACTION_READERS:
        return None
    found: list[ActionOut] = []
    for state in PENDING:
        filters = ListFilters(branch_id=view.branch.id, form_key=view.form.key, status=state)
        found += [a for a in await _all_actions(pool, principal, filters) if a.submission_id == view.id]
    return sorted(found, key=lambda a: (a.due_on, a.item_key))


async def _fetch_photos(pool: asyncpg.Pool, blobs: BlobStore, settings: Settings, principal: Principal,
                        ids: list[str], folder: Path) -> dict[str, str | None]:
    """Each photo's bounded copy written into the render folder as it arrives (bytes are not kept)."""
    limit = asyncio.Semaphore(PHOTO_FETCH_CONCURRENCY)
    files: dict[str, str | None] = {}

    async def one(index: int, photo_id: str) -> None:
        async with limit:
            data = await report_copy(pool, blobs, settings, principal, UUID(photo_id))
            if data is None:
                files[photo_id] = None
                return
            name = f"photo-{index}.jpg"
            await render.in_thread(render.write_file, folder / name, data)
            files[photo_id] = name

    await asyncio.gather(*(one(n, pid) for n, pid in enumerate(ids)))
    return files


async def submission_pdf(
    pool: asyncpg.Pool, blobs: BlobStore, settings: Settings, principal: Principal, submission_id: UUID,
    lang: Lang | None,
) -> bytes:
    view = await get_submission(pool, principal, submission_id)  # the JSON's view: scope (404) and shape
    async with pool.acquire() as conn:
        form = (await published_version(conn, principal.org_id, view.form.form_version_id)).document
    actions = await _open_actions(pool, principal, view)
    async with render.render_turn() as folder:
        files = await _fetch_photos(pool, blobs, settings, principal, content.photo_ids(view), folder)
        blocks = content.submission_blocks(view, form, lang=lang, photo_files=files, open_actions=actions)
        title = f"{inline('inspection_report', lang)} · {view.branch.code} · {view.visited_on.isoformat()}"
        return await render.in_thread(render.compile_pdf, folder, title, lang or "zh", blocks,
                                      inline("comment", lang))


async def branch_pdf(
    pool: asyncpg.Pool, principal: Principal, branch_id: UUID, *, form_key: str, kind: PeriodKind,
    on: date | None, lang: Lang | None,
) -> bytes:
    # weakness() checks the branch is visible (404) and names its region for the ranking.
    weakness = await rankings.weakness(pool, principal, form_key=form_key, kind=kind, on=on, branch_id=branch_id)
    ranking = await rankings.rankings(pool, principal, form_key=form_key, kind=kind, on=on, scope="region",
                                      region_id=weakness.region_id, limit=None)
    trend = await rankings.trend(pool, principal, branch_id=branch_id, form_key=form_key, kind=kind,
                                 periods=TREND_PERIODS, on=on)
    actions = await _all_actions(pool, principal, ListFilters(branch_id=branch_id, form_key=form_key))
    row = next((r for r in ranking.rows if r.branch is not None and r.branch.id == branch_id), None)
    form_title = await _form_title(pool, principal, form_key)
    blocks = content.scorecard_blocks(
        row=row, period=ranking.period, min_visits=ranking.min_visits, ranked_branches=ranking.distribution.ranked,
        trend=trend, weakness=weakness, actions=actions, form_title=form_title, lang=lang,
    )
    title = f"{inline('branch_scorecard', lang)} · {trend.branch.code} · {ranking.period.first_day.isoformat()}"
    async with render.render_turn() as folder:
        return await render.in_thread(render.compile_pdf, folder, title, lang or "zh", blocks)


async def _form_title(pool: asyncpg.Pool, principal: Principal, form_key: str) -> dict[str, str] | None:
    for row in await list_published(pool, principal.org_id):
        if row.key == form_key and row.title_zh and row.title_en:
            return {"zh": row.title_zh, "en": row.title_en}
    return None
