"""HTTP routes for forms: thin handlers, one service call each."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get, post, put
from litestar.params import HeaderParameter, QueryParameter

from inspect_api.auth.guards import roles
from inspect_api.auth.principal import Caller, Principal
from inspect_api.errors import problem_responses
from inspect_api.forms import service
from inspect_api.forms.download import form_download
from inspect_api.forms.model import FormDocument
from inspect_api.forms.schemas import (
    RETIRE_DESCRIPTION,
    FormVersionOut,
    FormVersionSummary,
    Lang,
    RetiredOut,
    RetireIn,
    retired_out,
    summary,
)
from inspect_api.params import VersionNumber
from inspect_api.resources import Pool, resources_of

LangQuery = Annotated[Lang | None, QueryParameter(name="lang", description="zh or en; omit for both languages")]
# Published versions never change, so a phone may keep them as long as it likes.
PUBLISHED_CACHE_CONTROL = "private, max-age=31536000, immutable"


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in candidates or "*" in candidates


class FormsController(Controller):
    path = "/forms"
    tags = ["forms"]
    opt = roles("admin", "regional_lead", "branch_manager", "inspector", "reviewer")

    @get("/", summary="Published forms visible to the caller, latest version each")
    async def list_forms(
        self, principal: Caller, pool: Pool, lang: LangQuery = None
    ) -> list[FormVersionSummary]:
        return [summary(row, lang) for row in await service.list_published(pool, principal.org_id)]

    @get("/{key:str}/versions", summary="Versions of a form (drafts only for admins)", responses=problem_responses(404))
    async def list_versions(
        self, principal: Caller, pool: Pool, key: str
    ) -> list[FormVersionSummary]:
        rows = await service.list_versions(pool, principal.org_id, key, include_drafts=principal.role == "admin")
        return [summary(row) for row in rows]

    @get(
        "/{key:str}/versions/{version:int}",
        summary="One form version; ETag + If-None-Match give 304 on a repeat fetch",
        responses=problem_responses(404),
    )
    async def get_version(
        self,
        request: Request[Principal, Any, Any],
        key: str,
        version: VersionNumber,
        lang: LangQuery = None,
        if_none_match: Annotated[str | None, HeaderParameter(name="If-None-Match")] = None,
    ) -> Response[FormVersionOut | None]:
        user = request.user
        # No `principal`/`pool` dependencies (the one exception to the handlers' rule): phones repeat this
        # download, nearly always of a published version served from memory, and resolving the
        # dependencies would cost more than serving it.
        pool = resources_of(request).pool
        download = await form_download(pool, user.org_id, key, version, lang, include_drafts=user.role == "admin")
        headers = {"ETag": download.etag, "Vary": "Authorization"}
        if download.published:
            headers["Cache-Control"] = PUBLISHED_CACHE_CONTROL
        if _matches(if_none_match, download.etag):
            return Response(None, status_code=304, headers=headers)
        return Response(download.body, media_type=MediaType.JSON, headers=headers)  # type: ignore[arg-type]

    @post(
        "/{key:str}/drafts",
        opt=roles("admin"),
        summary="Create or replace this org's draft version of a form",
        responses=problem_responses(409, 422),
    )
    async def save_draft(
        self, principal: Caller, pool: Pool, key: str, data: FormDocument
    ) -> FormVersionSummary:
        return summary(await service.save_draft(pool, principal.org_id, key, data))

    @put(
        "/{key:str}/versions/{version:int}",
        opt=roles("admin"),
        summary="Edit a draft version in place (published versions are immutable: 409)",
        responses=problem_responses(404, 409, 422),
    )
    async def edit_version(
        self,
        principal: Caller,
        pool: Pool,
        key: str,
        version: VersionNumber,
        data: FormDocument,
    ) -> FormVersionSummary:
        return summary(await service.edit_draft(pool, principal.org_id, key, version, data))

    @post(
        "/{key:str}/versions/{version:int}/publish",
        opt=roles("admin"),
        status_code=200,
        summary="Publish a draft; it is immutable afterwards",
        responses=problem_responses(404, 409),
    )
    async def publish(
        self, principal: Caller, pool: Pool, key: str, version: VersionNumber,
    ) -> FormVersionSummary:
        return summary(await service.publish(pool, principal.org_id, key, version, actor=principal))

    @post(
        "/{key:str}/retire",
        opt=roles("admin"),
        status_code=200,
        summary="Retire a form (every version) for this org: no new visits or submissions, history kept",
        description=RETIRE_DESCRIPTION,
        responses=problem_responses(404, 409),
    )
    async def retire_form(self, principal: Caller, pool: Pool, key: str, data: RetireIn) -> RetiredOut:
        return retired_out(await service.retire(pool, principal, key, None, data.reason))

    @post(
        "/{key:str}/versions/{version:int}/retire",
        opt=roles("admin"),
        status_code=200,
        summary="Retire one published version for this org: no new visits or submissions, history kept",
        description=RETIRE_DESCRIPTION,
        responses=problem_responses(404, 409),
    )
    async def retire_version(
        self, principal: Caller, pool: Pool, key: str, version: VersionNumber, data: RetireIn
    ) -> RetiredOut:
        return retired_out(await service.retire(pool, principal, key, version, data.reason))


routes = [FormsController]
