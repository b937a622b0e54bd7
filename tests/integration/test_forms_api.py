"""Forms through the HTTP API: catalogue listing, versions in both languages with ETag/304, drafts,
publishing and immutability."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient

from inspect_api.forms.loader import load_form_file, load_seed_dir
from inspect_api.forms.service import seed_catalogue
from tests.integration.factories import World, login_as

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_forms"
SEED_KEYS = sorted(p.stem for p in SEED_DIR.glob("*.yaml"))


@pytest_asyncio.fixture
async def catalogue(db: asyncpg.Pool) -> None:
    async with db.acquire() as conn:
        await seed_catalogue(conn, load_seed_dir(SEED_DIR))


def own_form_document(key: str = "alpha-night-shift") -> dict[str, Any]:
    """A valid org form, built from a seed file with a new key."""
    document = msgspec.json.decode(msgspec.json.encode(load_form_file(SEED_DIR / "fuel-attendant.yaml")))
    document["key"] = key
    return document


async def test_every_seed_form_in_both_languages_with_304_on_repeat(
    client: AsyncTestClient, world: World, catalogue: None
) -> None:
    headers = await login_as(client, world.a.inspector)
    listed = (await client.get("/forms", headers=headers)).json()
    assert set(SEED_KEYS) <= {row["key"] for row in listed if row["catalogue"]}
    for key in SEED_KEYS:
        both = await client.get(f"/forms/{key}/versions/1", headers=headers)
        assert both.status_code == 200
        assert set(both.json()["document"]["title"]) == {"zh", "en"}
        for lang in ("zh", "en"):
            first = await client.get(f"/forms/{key}/versions/1", params={"lang": lang}, headers=headers)
            assert first.status_code == 200
            document = first.json()["document"]
            assert isinstance(document["title"], str)
            label = document["sections"][0]["items"][0]["label"]
            assert isinstance(label, str) and label == both.json()["document"]["sections"][0]["items"][0]["label"][lang]
            etag = first.headers["etag"]
            assert etag != both.headers["etag"]
            again = await client.get(f"/forms/{key}/versions/1", params={"lang": lang},
                                     headers=headers | {"If-None-Match": etag})
            assert again.status_code == 304
            assert again.content == b""
            assert again.headers["etag"] == etag
            assert "immutable" in first.headers["cache-control"]


async def test_unknown_form_and_version_are_404_problems(
    client: AsyncTestClient, world: World, catalogue: None
) -> None:
    headers = await login_as(client, world.a.inspector)
    for path in ("/forms/no-such-form/versions/1", "/forms/fuel-attendant/versions/99"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_admin_drafts_publishes_and_published_is_immutable(
    client: AsyncTestClient, world: World, catalogue: None
) -> None:
    admin = await login_as(client, world.a.admin)
    inspector = await login_as(client, world.a.inspector)
    document = own_form_document()

    draft = await client.post("/forms/alpha-night-shift/drafts", json=document, headers=admin)
    assert draft.status_code == 201, draft.text
    assert draft.json()["status"] == "draft" and draft.json()["version"] == 1
    # Drafts are invisible to everyone but admins.
    assert (await client.get("/forms/alpha-night-shift/versions/1", headers=inspector)).status_code == 404
    assert "alpha-night-shift" not in {row["key"] for row in (await client.get("/forms", headers=inspector)).json()}

    edited = copy.deepcopy(document)
    edited["title"]["en"] = "Night shift audit"
    assert (await client.put("/forms/alpha-night-shift/versions/1", json=edited, headers=admin)).status_code == 200
    published = await client.post("/forms/alpha-night-shift/versions/1/publish", headers=admin)
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"

    refused = await client.put("/forms/alpha-night-shift/versions/1", json=document, headers=admin)
    assert refused.status_code == 409
    assert "immutable" in refused.json()["detail"]
    assert (await client.post("/forms/alpha-night-shift/versions/1/publish", headers=admin)).status_code == 409
    fetched = (await client.get("/forms/alpha-night-shift/versions/1", params={"lang": "en"}, headers=inspector))
    assert fetched.json()["title"] == "Night shift audit"

    # A new draft is the next version; version 1 stays as published.
    second = await client.post("/forms/alpha-night-shift/drafts", json=document, headers=admin)
    assert second.json()["version"] == 2
    versions = (await client.get("/forms/alpha-night-shift/versions", headers=admin)).json()
    assert [(v["version"], v["status"]) for v in versions] == [(1, "published"), (2, "draft")]


async def test_published_rows_are_immutable_in_the_database_too(db: asyncpg.Pool, catalogue: None) -> None:
    with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="immutable"):
        await db.execute("UPDATE form_versions SET document = '{}'::jsonb")


async def test_other_orgs_forms_are_invisible(client: AsyncTestClient, world: World, catalogue: None) -> None:
    admin_a = await login_as(client, world.a.admin)
    await client.post("/forms/alpha-night-shift/drafts", json=own_form_document(), headers=admin_a)
    await client.post("/forms/alpha-night-shift/versions/1/publish", headers=admin_a)
    admin_b = await login_as(client, world.b.admin)
    assert (await client.get("/forms/alpha-night-shift/versions/1", headers=admin_b)).status_code == 404
    assert "alpha-night-shift" not in {row["key"] for row in (await client.get("/forms", headers=admin_b)).json()}


async def test_catalogue_forms_cannot_be_drafted_by_an_org(
    client: AsyncTestClient, world: World, catalogue: None
) -> None:
    admin = await login_as(client, world.a.admin)
    document = own_form_document("fuel-attendant")
    response = await client.post("/forms/fuel-attendant/drafts", json=document, headers=admin)
    assert response.status_code == 409
    assert "catalogue" in response.json()["detail"]


@pytest.mark.parametrize("role", ["regional_lead", "branch_manager", "inspector"])
async def test_only_admins_write_forms(client: AsyncTestClient, world: World, role: str) -> None:
    headers = await login_as(client, world.a.user(role))
    response = await client.post("/forms/alpha-night-shift/drafts", json=own_form_document(), headers=headers)
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("mutate", "field", "status"),
    [
        (lambda d: d["sections"][0]["items"][0].update(weight=-1), "sections[0].items[0].weight", 400),
        (lambda d: d["sections"][0]["items"][0].update(type="rating"), "type", 400),
        (lambda d: d["sections"][0]["items"][0].update(colour="red"), "colour", 400),
        (lambda d: d["sections"][0]["items"].append(copy.deepcopy(d["sections"][0]["items"][0])), "key", 422),
        (lambda d: d["sections"][1]["items"][0].update(applies_when={"item": "ghost", "equals": True}),
         "sections[1].items[0].applies_when", 422),
        (lambda d: d.update(key="another-key"), "key", 422),
    ],
    ids=["weight<=0", "unknown type", "unknown field", "duplicate key", "dangling condition", "key mismatch"],
)
async def test_bad_documents_name_the_field(
    client: AsyncTestClient, world: World, mutate: Any, field: str, status: int
) -> None:
    admin = await login_as(client, world.a.admin)
    document = own_form_document()
    mutate(document)
    response = await client.post("/forms/alpha-night-shift/drafts", json=document, headers=admin)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    text = " ".join(str(e) for e in errors)
    assert field in text, text
