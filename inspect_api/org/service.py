"""Services for the org, regions, branches and users. Each opens one transaction; scope comes from
the Principal and is applied in SQL (org/queries.py). Missing or out-of-scope rows are NotFound."""

from __future__ import annotations

import asyncio
from typing import Any, Final
from uuid import UUID

import asyncpg
import msgspec
from argon2 import PasswordHasher
from msgspec import UNSET

from inspect_api.audit.service import record
from inspect_api.auth.emails import email_problem, normalise_email
from inspect_api.auth.password_rules import check_new_password
from inspect_api.auth.passwords import hash_password
from inspect_api.auth.principal import Principal, PrincipalCache
from inspect_api.errors import Conflict, InvalidInput, NotFound
from inspect_api.events.service import emit
from inspect_api.org import queries
from inspect_api.org.csv_import import parse_branches_csv
from inspect_api.org.rules import coordinates_problem, timezone_problem
from inspect_api.org.schemas import (
    BranchIn,
    BranchOut,
    BranchPatch,
    ImportResult,
    ImportRowError,
    OrgOut,
    OrgPatch,
    RegionIn,
    RegionOut,
    RegionPatch,
    UserIn,
    UserOut,
    UserPatch,
)
from inspect_api.storage.pgerrors import still_referenced_as_conflict, unique_violations_as_conflict

REGION_UNIQUE: Final = {"regions_org_id_code_key": "code"}
BRANCH_UNIQUE: Final = {"branches_org_id_code_key": "code"}
USER_UNIQUE: Final = {"users_email_key": "email"}
# Roles scoped by regions: a regional lead always; a reviewer optionally (none assigned = the whole org).
REGION_ROLES: Final = ("regional_lead", "reviewer")


def _field_errors(errors: list[tuple[str, str]], detail: str) -> InvalidInput:
    return InvalidInput(detail, extra={"errors": [{"field": f, "message": m} for f, m in errors]})


def _changes(patch: msgspec.Struct) -> dict[str, Any]:
    return {f: v for f in patch.__struct_fields__ if (v := getattr(patch, f)) is not UNSET}


# ---- org ---------------------------------------------------------------------------------------


async def get_org(pool: asyncpg.Pool, p: Principal) -> OrgOut:
    async with pool.acquire() as conn:
        org = await queries.get_org(conn, p.org_id)
    if org is None:
        raise NotFound("no such org")
    return org


async def update_org(pool: asyncpg.Pool, p: Principal, patch: OrgPatch) -> OrgOut:
    """Rename and/or change any settings (partial). The whole typed settings object is written, so the
    stored JSON always holds every setting; an audit row `org.updated` keeps before and after."""
    changes = _changes(patch)
    name = changes.pop("name", None)
    async with pool.acquire() as conn, conn.transaction():
        before = await queries.get_org(conn, p.org_id, lock=True)
        if before is None:
            raise NotFound("no such org")
        settings = msgspec.structs.replace(before.settings, **changes)
        org = await queries.update_org(conn, p.org_id, name, msgspec.to_builtins(settings))
        if org is None:
            raise NotFound("no such org")
        await record(conn, p, "org.updated", target_type="org", target_id=org.id, before=before, after=org)
    return org


# ---- regions -----------------------------------------------------------------------------------


async def list_regions(pool: asyncpg.Pool, p: Principal) -> list[RegionOut]:
    async with pool.acquire() as conn:
        return await queries.list_regions(conn, p)


async def get_region(pool: asyncpg.Pool, p: Principal, region_id: UUID) -> RegionOut:
    async with pool.acquire() as conn:
        region = await queries.get_region(conn, p, region_id)
    if region is None:
        raise NotFound("no such region")
    return region


async def create_region(pool: asyncpg.Pool, p: Principal, data: RegionIn) -> RegionOut:
    async with pool.acquire() as conn, conn.transaction():
        with unique_violations_as_conflict(REGION_UNIQUE, "region"):
            return await queries.insert_region(conn, p.org_id, data.code, data.name_zh, data.name_en)


async def update_region(pool: asyncpg.Pool, p: Principal, region_id: UUID, patch: RegionPatch) -> RegionOut:
    async with pool.acquire() as conn, conn.transaction():
        current = await queries.get_region(conn, p, region_id, lock=True)
        if current is None:
            raise NotFound("no such region")
        merged = msgspec.structs.replace(current, **_changes(patch))
        with unique_violations_as_conflict(REGION_UNIQUE, "region"):
            updated = await queries.update_region(conn, p, region_id, merged.code, merged.name_zh, merged.name_en)
    if updated is None:
        raise NotFound("no such region")
    return updated


async def delete_region(pool: asyncpg.Pool, p: Principal, region_id: UUID) -> None:
    async with pool.acquire() as conn, conn.transaction():
        with still_referenced_as_conflict("the region still has branches: move or delete them first"):
            deleted = await queries.delete_region(conn, p, region_id)
    if not deleted:
        raise NotFound("no such region")


# ---- branches ----------------------------------------------------------------------------------


async def _branch_event(conn: asyncpg.Connection, p: Principal, type_: str, branch: BranchOut,
                        before: BranchOut | None = None) -> None:
    """The event: the branch as GET /branches/{id} shows it, and its managers see the same (they may GET
    it). The audit row: before and after."""
    await emit(conn, p.org_id, type_, branch.id, branch, branch_id=branch.id, region_id=branch.region_id,
               branch_payload=branch)
    deleted = type_ == "branch.deleted"
    await record(conn, p, type_, target_type="branch", target_id=branch.id,
                 before=branch if deleted else before, after=None if deleted else branch)


def _branch_problems(timezone: str, latitude: float | None, longitude: float | None) -> list[tuple[str, str]]:
    problems = []
    if problem := timezone_problem(timezone):
        problems.append(("timezone", problem))
    if problem := coordinates_problem(latitude, longitude):
        problems.append(("latitude" if latitude is None else "longitude", problem))
    return problems


async def list_branches(
    pool: asyncpg.Pool, p: Principal, *, region_id: UUID | None, active: bool | None, limit: int, offset: int
) -> list[BranchOut]:
    async with pool.acquire() as conn:
        return await queries.list_branches(conn, p, region_id=region_id, active=active, limit=limit, offset=offset)


async def get_branch(pool: asyncpg.Pool, p: Principal, branch_id: UUID) -> BranchOut:
    async with pool.acquire() as conn:
        branch = await queries.get_branch(conn, p, branch_id)
    if branch is None:
        raise NotFound("no such branch")
    return branch


async def create_branch(pool: asyncpg.Pool, p: Principal, data: BranchIn) -> BranchOut:
    problems = _branch_problems(data.timezone, data.latitude, data.longitude)
    async with pool.acquire() as conn, conn.transaction():
        if not await queries.existing_region_ids(conn, p.org_id, [data.region_id]):
            problems.append(("region_id", "no such region"))
        if problems:
            raise _field_errors(problems, "the branch cannot be created")
        with unique_violations_as_conflict(BRANCH_UNIQUE, "branch"):
            branch_id = await queries.insert_branch(conn, p.org_id, **msgspec.structs.asdict(data))
        created = await queries.get_branch(conn, p, branch_id)
        assert created is not None  # the caller is an admin of this org
        await _branch_event(conn, p, "branch.created", created)
    return created


async def update_branch(pool: asyncpg.Pool, p: Principal, branch_id: UUID, patch: BranchPatch) -> BranchOut:
    async with pool.acquire() as conn, conn.transaction():
        current = await queries.get_branch(conn, p, branch_id, lock=True)
        if current is None:
            raise NotFound("no such branch")
        merged = msgspec.structs.replace(current, **_changes(patch))
        problems = _branch_problems(merged.timezone, merged.latitude, merged.longitude)
        if merged.region_id != current.region_id and not await queries.existing_region_ids(
            conn, p.org_id, [merged.region_id]
        ):
            problems.append(("region_id", "no such region"))
        if problems:
            raise _field_errors(problems, "the branch cannot be changed so")
        with unique_violations_as_conflict(BRANCH_UNIQUE, "branch"):
            await queries.update_branch(conn, p, merged)
        updated = await queries.get_branch(conn, p, branch_id)
        if updated is None:
            raise NotFound("no such branch")
        await _branch_event(conn, p, "branch.updated", updated, before=current)
    return updated


async def delete_branch(pool: asyncpg.Pool, p: Principal, branch_id: UUID) -> None:
    async with pool.acquire() as conn, conn.transaction():
        current = await queries.get_branch(conn, p, branch_id, lock=True)
        with still_referenced_as_conflict("the branch has visits or results: deactivate it instead"):
            deleted = await queries.delete_branch(conn, p, branch_id)
        if not deleted or current is None:
            raise NotFound("no such branch")
        await _branch_event(conn, p, "branch.deleted", current)


async def import_branches(pool: asyncpg.Pool, p: Principal, body: bytes) -> ImportResult:
    """Create or update (by code) every branch of the CSV, in one transaction: any bad row -> 422
    listing every problem (row, column, message) and nothing written."""
    rows, errors = parse_branches_csv(body)
    async with pool.acquire() as conn, conn.transaction():
        regions = await queries.region_ids_by_code(conn, p.org_id)
        errors += [
            ImportRowError(row=r.row, column="region_code", message=f"no region with code {r.region_code!r}")
            for r in rows
            if r.region_code not in regions
        ]
        if errors:
            errors.sort(key=lambda e: e.row)
            raise InvalidInput(
                f"{len({e.row for e in errors})} row(s) have errors; nothing was imported",
                extra={"errors": [msgspec.structs.asdict(e) for e in errors]},
            )
        columns: dict[str, list[Any]] = {
            "code": [r.code for r in rows],
            "name_zh": [r.name_zh for r in rows],
            "name_en": [r.name_en for r in rows],
            "region_id": [regions[r.region_code] for r in rows],
            "timezone": [r.timezone for r in rows],
            "latitude": [r.latitude for r in rows],
            "longitude": [r.longitude for r in rows],
            "address": [r.address for r in rows],
            "active": [r.active for r in rows],
            "format": [r.format for r in rows],
        }
        created, updated = await queries.upsert_branches(conn, p.org_id, columns)
    return ImportResult(created=created, updated=updated, codes=[r.code for r in rows])


# ---- users -------------------------------------------------------------------------------------


async def _scope_problems(
    conn: asyncpg.Connection, org_id: UUID, role: str, region_ids: list[UUID], branch_ids: list[UUID]
) -> list[tuple[str, str]]:
    problems = []
    if region_ids and role not in REGION_ROLES:
        problems.append(("region_ids", "only a regional_lead or a reviewer has regions"))
    elif missing := set(region_ids) - await queries.existing_region_ids(conn, org_id, region_ids):
        problems.append(("region_ids", f"no such region: {', '.join(sorted(map(str, missing)))}"))
    if branch_ids and role != "branch_manager":
        problems.append(("branch_ids", "only a branch_manager has branches"))
    elif missing := set(branch_ids) - await queries.existing_branch_ids(conn, org_id, branch_ids):
        problems.append(("branch_ids", f"no such branch: {', '.join(sorted(map(str, missing)))}"))
    return problems


async def list_users(
    pool: asyncpg.Pool, p: Principal, *, role: str | None, active: bool | None, limit: int, offset: int
) -> list[UserOut]:
    async with pool.acquire() as conn:
        return await queries.list_users(conn, p.org_id, role=role, active=active, limit=limit, offset=offset)


async def get_user(pool: asyncpg.Pool, p: Principal, user_id: UUID) -> UserOut:
    async with pool.acquire() as conn:
        user = await queries.get_user(conn, p.org_id, user_id)
    if user is None:
        raise NotFound("no such user")
    return user


def _identity_problems(email: str, password: str | None) -> list[tuple[str, str]]:
    """The e-mail's (already normalised) and the new password's problems, as (field, message)."""
    problems = []
    if problem := email_problem(email):
        problems.append(("email", f"the e-mail {problem}"))
    if password is not None and (problem := check_new_password(password, email)):
        problems.append(("password", f"the password {problem}"))
    return problems


async def create_user(pool: asyncpg.Pool, hasher: PasswordHasher, p: Principal, data: UserIn) -> UserOut:
    email = normalise_email(data.email)
    if problems := await asyncio.to_thread(_identity_problems, email, data.password):  # loads a word list once
        raise _field_errors(problems, "the user cannot be created")
    password_hash = await hash_password(hasher, data.password)  # slow: before taking a connection
    async with pool.acquire() as conn, conn.transaction():
        problems = await _scope_problems(conn, p.org_id, data.role, data.region_ids, data.branch_ids)
        if problems:
            raise _field_errors(problems, "the user cannot be created")
        with unique_violations_as_conflict(USER_UNIQUE, "user"):
            user_id = await queries.insert_user(conn, p.org_id, email, data.display_name, data.role, password_hash)
        await queries.replace_user_regions(conn, p.org_id, user_id, data.region_ids)
        await queries.replace_user_branches(conn, p.org_id, user_id, data.branch_ids)
        user = await _reload_user(conn, p.org_id, user_id)
        await _user_event(conn, p, "user.created", user)
    return user


async def _user_event(conn: asyncpg.Connection, p: Principal, type_: str, user: UserOut,
                      before: UserOut | None = None) -> None:
    """The event: users are an admin's business (GET /users is admin-only), so no branch and no manager
    shape. The audit row: before and after (role and scope changes are user changes)."""
    await emit(conn, p.org_id, type_, user.id, user)
    deleted = type_ == "user.deleted"
    await record(conn, p, type_, target_type="user", target_id=user.id,
                 before=user if deleted else before, after=None if deleted else user)


async def _current_email(pool: asyncpg.Pool, org_id: UUID, user_id: UUID) -> str:
    async with pool.acquire() as conn:
        user = await queries.get_user(conn, org_id, user_id)
    if user is None:
        raise NotFound("no such user")
    return user.email


async def _reload_user(conn: asyncpg.Connection, org_id: UUID, user_id: UUID) -> UserOut:
    user = await queries.get_user(conn, org_id, user_id)
    if user is None:
        raise NotFound("no such user")
    return user


async def update_user(
    pool: asyncpg.Pool, hasher: PasswordHasher, principals: PrincipalCache, p: Principal, user_id: UUID,
    patch: UserPatch,
) -> UserOut:
    """Changing the role drops assignments that do not fit it; disabling a user makes their tokens
    answer 401 at once (this worker forgets the cached caller here, the others on the commit's NOTIFY).
    A new password, or enabling a disabled user, ends the user's earlier tokens the same way (the
    token generation is bumped by a trigger, migration 0017)."""
    changes = _changes(patch)
    password = changes.pop("password", None)
    if "email" in changes:
        changes["email"] = normalise_email(changes["email"])
    password_hash = None
    if password is not None or "email" in changes:
        email = changes.get("email") or await _current_email(pool, p.org_id, user_id)
        if problems := await asyncio.to_thread(_identity_problems, email, password):
            raise _field_errors(problems, "the user cannot be changed so")
        if password is not None:
            password_hash = await hash_password(hasher, password)  # slow: before taking a connection
    async with pool.acquire() as conn, conn.transaction():
        current = await queries.get_user(conn, p.org_id, user_id, lock=True)
        if current is None:
            raise NotFound("no such user")
        merged = msgspec.structs.replace(current, **changes)
        if password is not None and merged.email != email:  # the e-mail changed meanwhile: check again
            if problem := check_new_password(password, merged.email):
                raise _field_errors([("password", f"the password {problem}")], "the user cannot be changed so")
        if user_id == p.user_id and (not merged.active or merged.role != current.role):
            raise Conflict("you cannot disable yourself or change your own role")
        region_ids = merged.region_ids if merged.role in REGION_ROLES else []
        branch_ids = merged.branch_ids if merged.role == "branch_manager" else []
        problems = await _scope_problems(
            conn, p.org_id, merged.role, changes.get("region_ids", region_ids), changes.get("branch_ids", branch_ids)
        )
        if problems:
            raise _field_errors(problems, "the user cannot be changed so")
        with unique_violations_as_conflict(USER_UNIQUE, "user"):
            await queries.update_user(conn, p.org_id, merged, password_hash)
        await queries.replace_user_regions(conn, p.org_id, user_id, region_ids)
        await queries.replace_user_branches(conn, p.org_id, user_id, branch_ids)
        user = await _reload_user(conn, p.org_id, user_id)
        await _user_event(conn, p, "user.updated", user, before=current)
    principals.invalidate(user_id)
    return user


async def _set_scope(
    pool: asyncpg.Pool, principals: PrincipalCache, p: Principal, user_id: UUID, *, region_ids: list[UUID] | None,
    branch_ids: list[UUID] | None, what: str,
) -> UserOut:
    """Replace a user's regions or branches (whichever is given), checked against their role."""
    async with pool.acquire() as conn, conn.transaction():
        before = await queries.get_user(conn, p.org_id, user_id, lock=True)
        if before is None:
            raise NotFound("no such user")
        if problems := await _scope_problems(conn, p.org_id, before.role, region_ids or [], branch_ids or []):
            raise _field_errors(problems, f"the {what} cannot be assigned")
        if region_ids is not None:
            await queries.replace_user_regions(conn, p.org_id, user_id, region_ids)
        if branch_ids is not None:
            await queries.replace_user_branches(conn, p.org_id, user_id, branch_ids)
        user = await _reload_user(conn, p.org_id, user_id)
        await _user_event(conn, p, "user.updated", user, before=before)
    principals.invalidate(user_id)
    return user


async def set_user_regions(
    pool: asyncpg.Pool, principals: PrincipalCache, p: Principal, user_id: UUID, region_ids: list[UUID]
) -> UserOut:
    return await _set_scope(pool, principals, p, user_id, region_ids=region_ids, branch_ids=None, what="regions")


async def set_user_branches(
    pool: asyncpg.Pool, principals: PrincipalCache, p: Principal, user_id: UUID, branch_ids: list[UUID]
) -> UserOut:
    return await _set_scope(pool, principals, p, user_id, region_ids=None, branch_ids=branch_ids, what="branches")


async def delete_user(pool: asyncpg.Pool, principals: PrincipalCache, p: Principal, user_id: UUID) -> None:
    if user_id == p.user_id:
        raise Conflict("you cannot delete yourself")
    async with pool.acquire() as conn, conn.transaction():
        current = await queries.get_user(conn, p.org_id, user_id, lock=True)
        with still_referenced_as_conflict("the user has visits or results: disable the user instead"):
            deleted = await queries.delete_user(conn, p.org_id, user_id)
        if deleted and current is not None:
            await _user_event(conn, p, "user.deleted", current)
    principals.invalidate(user_id)
    if not deleted:
        raise NotFound("no such user")
