"""Typed org settings (#17): GET /org shows every setting (defaults filled in), PATCH /org changes any
subset within bounds (400 naming the member otherwise, nothing written) with an audit row before/after,
SQL and Python agree on keys and defaults, a mistyped stored value reads as its default, and the
ad-hoc refusal names the setting."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from inspect_api.org.schemas import OrgSettings
from tests.integration.factories import World, login_as
from tests.integration.phone import answers_for, submission_body
from tests.integration.releases import Catalogue, fuel_catalogue, local_noon, reference_month  # noqa: F401

DEFAULTS = {"mystery_revisit_days": 30, "allow_adhoc_submissions": False, "min_ranked_visits": 3,
            "show_peer_names": False}


async def test_sql_and_python_agree_on_every_setting(db: asyncpg.Pool) -> None:
    assert await db.fetchval("SELECT org_setting_defaults()") == msgspec.to_builtins(OrgSettings()) == DEFAULTS


async def test_get_shows_every_setting_and_patch_changes_any_subset(
    client: AsyncTestClient, world: World, db: asyncpg.Pool
) -> None:
    admin = await login_as(client, world.a.admin)
    org = (await client.get("/org", headers=admin)).json()
    assert org["settings"] == DEFAULTS

    changed = await client.patch("/org", json={"allow_adhoc_submissions": True, "min_ranked_visits": 5},
                                 headers=admin)
    assert changed.status_code == 200, changed.text
    assert changed.json()["settings"] == DEFAULTS | {"allow_adhoc_submissions": True, "min_ranked_visits": 5}
    again = await client.patch("/org", json={"show_peer_names": True, "mystery_revisit_days": 0, "name": "Alpha"},
                               headers=admin)
    assert again.json()["name"] == "Alpha"
    assert again.json()["settings"] == {"mystery_revisit_days": 0, "allow_adhoc_submissions": True,
                                        "min_ranked_visits": 5, "show_peer_names": True}
    # SQL reads what PATCH wrote; the other org is untouched
    assert await db.fetchval("SELECT (org_setting($1, 'min_ranked_visits'))::int", world.a.id) == 5
    assert await db.fetchval("SELECT org_settings($1)", world.b.id) == DEFAULTS

    audit = await db.fetch("SELECT before, after, actor_id FROM audit_log WHERE action = 'org.updated' ORDER BY id")
    assert len(audit) == 2 and all(r["actor_id"] == world.a.admin.id for r in audit)
    assert audit[0]["before"]["settings"] == DEFAULTS
    assert audit[0]["after"]["settings"]["min_ranked_visits"] == 5
    assert audit[1]["before"]["settings"]["show_peer_names"] is False
    assert audit[1]["after"]["settings"]["show_peer_names"] is True


@pytest.mark.parametrize(("body", "field"), [
    ({"mystery_revisit_days": 366}, "mystery_revisit_days"),
    ({"mystery_revisit_days": -1}, "mystery_revisit_days"),
    ({"min_ranked_visits": 0}, "min_ranked_visits"),
    ({"min_ranked_visits": 51}, "min_ranked_visits"),
    ({"allow_adhoc_submissions": 1}, "allow_adhoc_submissions"),
    ({"show_peer_names": "yes"}, "show_peer_names"),
    ({"retention_days": 3}, "retention_days"),
])
async def test_out_of_bounds_or_unknown_settings_are_refused_and_nothing_is_written(
    client: AsyncTestClient, world: World, db: asyncpg.Pool, body: dict, field: str
) -> None:
    admin = await login_as(client, world.a.admin)
    refused = await client.patch("/org", json=body | {"name": "Renamed"}, headers=admin)
    assert refused.status_code == 400, refused.text
    assert field in str(refused.json()["errors"])
    org = (await client.get("/org", headers=admin)).json()
    assert org["settings"] == DEFAULTS and org["name"] == "Org alpha"
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'org.updated'") == 0


async def test_a_mistyped_or_out_of_bounds_stored_value_reads_as_its_default(
    client: AsyncTestClient, world: World, db: asyncpg.Pool
) -> None:
    await db.execute("""UPDATE orgs SET settings = '{"show_peer_names": "true", "min_ranked_visits": 999,
                        "mystery_revisit_days": 12, "legacy": 1}' WHERE id = $1""", world.a.id)
    admin = await login_as(client, world.a.admin)
    assert (await client.get("/org", headers=admin)).json()["settings"] == DEFAULTS | {"mystery_revisit_days": 12}
    assert await db.fetchval("SELECT (org_setting($1, 'show_peer_names'))::boolean", world.a.id) is False


async def test_the_adhoc_refusal_names_the_setting(
    client: AsyncTestClient, world: World, fuel_catalogue: Catalogue  # noqa: F811
) -> None:
    admin = await login_as(client, world.a.admin)
    inspector = await login_as(client, world.a.inspector)
    assert (await client.patch("/org", json={"allow_adhoc_submissions": False}, headers=admin)).status_code == 200
    finished = local_noon(reference_month() + timedelta(days=3))
    body = submission_body(answers_for(fuel_catalogue.form), branch_id=str(world.a.b11),
                           form_version_id=str(fuel_catalogue.version_id),
                           started_at=(finished - timedelta(minutes=20)).isoformat(), finished_at=finished.isoformat())
    refused = await client.post("/submissions", json=body, headers=inspector)
    assert refused.status_code == 422, refused.text
    assert "allow_adhoc_submissions" in refused.json()["detail"]
    assert {e["field"] for e in refused.json()["errors"]} == {"visit_id", "allow_adhoc_submissions"}
    assert "not found" not in refused.text

    assert (await client.patch("/org", json={"allow_adhoc_submissions": True}, headers=admin)).status_code == 200
    accepted = await client.post("/submissions", json=body, headers=inspector)
    assert accepted.status_code == 201, accepted.text


async def test_openapi_documents_every_setting_with_bounds(client: AsyncTestClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    settings = next(v for k, v in schema.items() if k.endswith("OrgSettings"))
    assert set(settings["properties"]) == set(DEFAULTS)
    assert all(p.get("description") for p in settings["properties"].values())
    assert settings["properties"]["min_ranked_visits"]["minimum"] == 1
    patch = next(v for k, v in schema.items() if k.endswith("OrgPatch"))
    assert set(DEFAULTS) <= set(patch["properties"])
