"""HTTP routes for the org, regions, branches and users: thin handlers, one service call each.

Who may call what (role guard via `opt=roles(...)`; rows filtered in SQL):
    GET  /org, PATCH /org                         admin
    GET  /regions, /regions/{id}                  every role, scoped (visible_region_ids)
    POST/PATCH/DELETE /regions...                 admin
    GET  /branches, /branches/{id}                every role, scoped (visible_branch_ids): admin all,
                                                  regional lead their regions' branches, branch manager
                                                  their branches, inspector the branches of their
                                                  non-cancelled visits
    POST/PATCH/DELETE /branches..., POST /branches/import   admin
    /users...                                     admin (their own org only)
The reviewer (QA) role reads regions and branches of its scope like every role, and manages nothing here.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, delete, get, patch, post, put
from litestar.di import Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter, RawBody

from inspect_api.auth.guards import ALL_ROLES, roles
from inspect_api.auth.passwords import Hasher, provide_hasher
from inspect_api.auth.principal import Caller, Principals, Role, provide_principal_cache
from inspect_api.errors import problem_responses
from inspect_api.org import service
from inspect_api.org.schemas import (
    BranchIdsIn,
    BranchIn,
    BranchOut,
    BranchPatch,
    ImportResult,
    OrgOut,
    OrgPatch,
    RegionIdsIn,
    RegionIn,
    RegionOut,
    RegionPatch,
    UserIn,
    UserOut,
    UserPatch,
)
from inspect_api.params import Offset
from inspect_api.resources import Pool

Limit = Annotated[int, QueryParameter(ge=1, le=1000, description="page size")]


class OrgController(Controller):
    path = "/org"
    tags = ("org",)
    opt = roles("admin")

    @get("/", summary="The caller's org and its settings (every setting, defaults filled in)")
    async def get_org(self, principal: Caller, pool: Pool) -> OrgOut:
        return await service.get_org(pool, principal)

    @patch("/", summary="Rename the org or change any of its settings (partial; audited before/after)",
           responses=problem_responses(400, 403))
    async def update_org(self, principal: Caller, pool: Pool, data: JSONBody[OrgPatch]) -> OrgOut:
        return await service.update_org(pool, principal, data)


class RegionsController(Controller):
    path = "/regions"
    tags = ("org",)
    opt = roles(*ALL_ROLES)

    @get("/", summary="Regions the caller may see")
    async def list_regions(self, principal: Caller, pool: Pool) -> list[RegionOut]:
        return await service.list_regions(pool, principal)

    @get("/{region_id:uuid}", responses=problem_responses(404))
    async def get_region(self, principal: Caller, pool: Pool, region_id: FromPath[UUID]) -> RegionOut:
        return await service.get_region(pool, principal, region_id)

    @post("/", opt=roles("admin"), responses=problem_responses(403, 409))
    async def create_region(self, principal: Caller, pool: Pool, data: JSONBody[RegionIn]) -> RegionOut:
        return await service.create_region(pool, principal, data)

    @patch("/{region_id:uuid}", opt=roles("admin"), responses=problem_responses(403, 404, 409))
    async def update_region(
        self, principal: Caller, pool: Pool, region_id: FromPath[UUID], data: JSONBody[RegionPatch]
    ) -> RegionOut:
        return await service.update_region(pool, principal, region_id, data)

    @delete("/{region_id:uuid}", opt=roles("admin"), responses=problem_responses(403, 404, 409))
    async def delete_region(self, principal: Caller, pool: Pool, region_id: FromPath[UUID]) -> None:
        await service.delete_region(pool, principal, region_id)


class BranchesController(Controller):
    path = "/branches"
    tags = ("org",)
    opt = roles(*ALL_ROLES)

    @get("/", summary="Branches the caller may see")
    async def list_branches(
        self,
        principal: Caller,
        pool: Pool,
        region_id: FromQuery[UUID | None] = None,
        active: FromQuery[bool | None] = None,
        limit: Limit = 200,
        offset: Offset = 0,
    ) -> list[BranchOut]:
        return await service.list_branches(
            pool, principal, region_id=region_id, active=active, limit=limit, offset=offset
        )

    @get("/{branch_id:uuid}", responses=problem_responses(404))
    async def get_branch(self, principal: Caller, pool: Pool, branch_id: FromPath[UUID]) -> BranchOut:
        return await service.get_branch(pool, principal, branch_id)

    @post("/", opt=roles("admin"), responses=problem_responses(403, 409, 422))
    async def create_branch(self, principal: Caller, pool: Pool, data: JSONBody[BranchIn]) -> BranchOut:
        return await service.create_branch(pool, principal, data)

    @post(
        "/import",
        opt=roles("admin"),
        status_code=200,
        summary="Create or update branches from a CSV (all rows or none)",
        description=(
            "Body: text/csv, UTF-8 with or without BOM, header row: code,name_zh,name_en,region_code,timezone"
            "[,latitude,longitude,address,active]. Any bad row: 422 whose `errors` list row (header = 1), "
            "column and message, and nothing is written. Existing codes are updated."
        ),
        responses=problem_responses(403, 422),
    )
    async def import_branches(self, principal: Caller, pool: Pool, body: RawBody) -> ImportResult:
        return await service.import_branches(pool, principal, body)

    @patch("/{branch_id:uuid}", opt=roles("admin"), responses=problem_responses(403, 404, 409, 422))
    async def update_branch(
        self, principal: Caller, pool: Pool, branch_id: FromPath[UUID], data: JSONBody[BranchPatch]
    ) -> BranchOut:
        return await service.update_branch(pool, principal, branch_id, data)

    @delete("/{branch_id:uuid}", opt=roles("admin"), responses=problem_responses(403, 404, 409))
    async def delete_branch(self, principal: Caller, pool: Pool, branch_id: FromPath[UUID]) -> None:
        await service.delete_branch(pool, principal, branch_id)


class UsersController(Controller):
    path = "/users"
    tags = ("org",)
    opt = roles("admin")
    dependencies = {
        "hasher": Provide(provide_hasher, sync_to_thread=False),
        "principals": Provide(provide_principal_cache, sync_to_thread=False),
    }

    @get("/", summary="Users of the org")
    async def list_users(
        self,
        principal: Caller,
        pool: Pool,
        role: FromQuery[Role | None] = None,
        active: FromQuery[bool | None] = None,
        limit: Limit = 200,
        offset: Offset = 0,
    ) -> list[UserOut]:
        return await service.list_users(pool, principal, role=role, active=active, limit=limit, offset=offset)

    @get("/{user_id:uuid}", responses=problem_responses(403, 404))
    async def get_user(self, principal: Caller, pool: Pool, user_id: FromPath[UUID]) -> UserOut:
        return await service.get_user(pool, principal, user_id)

    @post(
        "/",
        description=(
            "The e-mail is stored normalised (NFKC, case folding); one with invisible characters or mixed "
            "scripts, or a common or easily guessed password, answers 422 naming the field."
        ),
        responses=problem_responses(403, 409, 422),
    )
    async def create_user(self, principal: Caller, pool: Pool, hasher: Hasher, data: JSONBody[UserIn]) -> UserOut:
        return await service.create_user(pool, hasher, principal, data)

    @patch(
        "/{user_id:uuid}",
        summary="Change a user; `active: false` disables (their tokens stop working at once)",
        description=(
            "A new `password` or enabling a disabled user (`active: true`) also ends the user's earlier "
            "tokens at once. A password that is common, a run or repetition, or contains the e-mail's name, "
            "and an e-mail with invisible characters or mixed scripts, answer 422 naming the field; an "
            "e-mail that normalises (NFKC, case folding) to a taken one answers 409."
        ),
        responses=problem_responses(403, 404, 409, 422),
    )
    async def update_user(
        self, principal: Caller, pool: Pool, hasher: Hasher, principals: Principals, user_id: FromPath[UUID],
        data: JSONBody[UserPatch],
    ) -> UserOut:
        return await service.update_user(pool, hasher, principals, principal, user_id, data)

    @put("/{user_id:uuid}/regions", summary="Set a regional lead's or a reviewer's regions (reviewer: none = org)",
         responses=problem_responses(404, 422))
    async def set_regions(
        self, principal: Caller, pool: Pool, principals: Principals, user_id: FromPath[UUID],
        data: JSONBody[RegionIdsIn],
    ) -> UserOut:
        return await service.set_user_regions(pool, principals, principal, user_id, data.region_ids)

    @put("/{user_id:uuid}/branches", summary="Set a branch manager's branches", responses=problem_responses(404, 422))
    async def set_branches(
        self, principal: Caller, pool: Pool, principals: Principals, user_id: FromPath[UUID],
        data: JSONBody[BranchIdsIn],
    ) -> UserOut:
        return await service.set_user_branches(pool, principals, principal, user_id, data.branch_ids)

    @delete("/{user_id:uuid}", responses=problem_responses(403, 404, 409))
    async def delete_user(self, principal: Caller, pool: Pool, principals: Principals, user_id: FromPath[UUID]) -> None:
        await service.delete_user(pool, principals, principal, user_id)


routes = [OrgController, RegionsController, BranchesController, UsersController]
