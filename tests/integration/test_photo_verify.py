"""POST /uploads/{id}/verify through the HTTP API on real SeaweedFS: photos are checked when the phone
reports the upload done, kept exactly as checked, and a later submission reads the stored facts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest_asyncio
from litestar.testing import AsyncTestClient

from inspect_api.app import create_app
from inspect_api.photos import queries as photo_queries
from inspect_api.photos import service as photo_service
from inspect_api.settings import Settings
from inspect_api.storage.blobs import BlobStore, make_s3_client
from tests.integration.factories import World, fast_settings, login_as
from tests.integration.live_server import ThreadedServer
from tests.integration.phone import answers_for, get_slots, submission_body, upload
from tests.integration.releases import (
    Catalogue,
    fuel_catalogue,  # noqa: F401  (fixture)
    local_noon,
    reference_month,
)
from tests.unit.photos.samples import bomb_png, jpeg

AT_BRANCH = {"latitude": 31.2302, "longitude": 121.4701}


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def sealed_objects(settings: Settings, photo_id: str, prefix: str = "sealed/") -> list[str]:
    s3 = make_s3_client(settings.s3)
    listed = s3.list_objects_v2(Bucket=settings.s3.bucket, Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", []) if photo_id in o["Key"]]


async def test_a_photo_verified_on_upload_is_kept_as_checked_and_used_without_s3(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, fuel_catalogue: Catalogue,  # noqa: F811
    db: asyncpg.Pool, settings: Settings,
) -> None:
    inspector = await login_as(client, world.a.inspector)
    (slot,) = await get_slots(client, inspector, "image/jpeg")
    photo_id = slot["photo_id"]
    original = jpeg(7, **AT_BRANCH)
    assert (await upload(http, slot, original)).status_code in (200, 201, 204)

    verified = await client.post(f"/uploads/{photo_id}/verify", headers=inspector)
    assert verified.status_code == 200, verified.text
    assert verified.json() == {"photo_id": photo_id, "status": "verified", "content_type": "image/jpeg",
                               "size_bytes": len(original), "has_location": True, "has_capture_time": False}
    again = await client.post(f"/uploads/{photo_id}/verify", headers=inspector)
    assert again.status_code == 200 and again.json() == verified.json()
    assert len(sealed_objects(settings, photo_id)) == 1

    # The presigned POST is still valid: a different picture sent to it changes nothing kept.
    assert (await upload(http, slot, jpeg(8))).status_code in (200, 201, 204)
    day = reference_month() + timedelta(days=5)
    finished = local_noon(day)
    body = submission_body(
        answers_for(fuel_catalogue.form, photos={"p1_greeting": [photo_id]}),
        branch_id=str(world.a.b11), form_version_id=str(fuel_catalogue.version_id),
        started_at=(finished - timedelta(minutes=20)).isoformat(), finished_at=finished.isoformat(),
    )
    submitted = await client.post("/submissions", json=body, headers=inspector)
    assert submitted.status_code == 201, submitted.text
    row = await db.fetchrow("SELECT status, object_key, size_bytes FROM photos WHERE id = $1::uuid", photo_id)
    assert row["status"] == "attached" and row["size_bytes"] == len(original)
    download = await client.get(f"/photos/{photo_id}", headers=inspector)
    assert download.status_code == 200, download.text
    assert (await http.get(download.json()["url"])).content == original

    # Once used, verifying again is a conflict, not a silent re-check.
    used = await client.post(f"/uploads/{photo_id}/verify", headers=inspector)
    assert used.status_code == 409 and used.headers["content-type"].startswith("application/problem+json")


async def test_bad_uploads_are_named_at_verification_and_others_photos_are_not_found(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World,
) -> None:
    inspector = await login_as(client, world.a.inspector)
    never, renamed = await get_slots(client, inspector, "image/jpeg", "image/jpeg")
    assert (await upload(http, renamed, b"%PDF-1.4 not a picture")).status_code in (200, 201, 204)
    expected = {never["photo_id"]: "was not uploaded", renamed["photo_id"]: "is not a valid image/jpeg"}
    for photo_id, reason in expected.items():
        response = await client.post(f"/uploads/{photo_id}/verify", headers=inspector)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["errors"] == [{"field": f"photos[{photo_id}]", "message": f"photo {photo_id} {reason}"}]

    other = await login_as(client, world.a.inspector2)
    manager = await login_as(client, world.a.manager)
    admin = await login_as(client, world.a.admin)
    assert (await client.post(f"/uploads/{renamed['photo_id']}/verify", headers=other)).status_code == 404
    assert (await client.post(f"/uploads/{renamed['photo_id']}/verify", headers=manager)).status_code == 404
    assert (await client.post(f"/uploads/{renamed['photo_id']}/verify", headers=admin)).status_code == 403


async def test_racing_verifications_agree_and_keep_one_copy(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, settings: Settings,
) -> None:
    inspector = await login_as(client, world.a.inspector)
    (slot,) = await get_slots(client, inspector, "image/jpeg")
    assert (await upload(http, slot, jpeg(9))).status_code in (200, 201, 204)
    with ThreadedServer(fast_settings(settings)) as live:  # 5 requests truly in flight at once
        async with httpx.AsyncClient(base_url=live.url, timeout=60) as racing:
            answers = await asyncio.gather(*(racing.post(f"/uploads/{slot['photo_id']}/verify", headers=inspector)
                                             for _ in range(5)))
    bodies: list[Any] = [a.json() for a in answers]
    assert [a.status_code for a in answers] == [200] * 5, bodies
    assert all(b == bodies[0] for b in bodies)
    assert len(sealed_objects(settings, slot["photo_id"])) == 1
    assert len(sealed_objects(settings, slot["photo_id"], "redacted/")) == 1  # the losers' copies went too


async def test_a_decompression_bomb_is_refused_from_its_header_and_nothing_is_kept(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, fuel_catalogue: Catalogue,  # noqa: F811
    db: asyncpg.Pool, settings: Settings,
) -> None:
    inspector = await login_as(client, world.a.inspector)
    (slot,) = await get_slots(client, inspector, "image/png")
    photo_id = slot["photo_id"]
    assert (await upload(http, slot, bomb_png())).status_code in (200, 201, 204)

    refused = await client.post(f"/uploads/{photo_id}/verify", headers=inspector)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    message = (f"photo {photo_id} is 13000x13000 pixels; at most {settings.photo_max_pixels} pixels are "
               "allowed (PHOTO_MAX_PIXELS)")
    assert refused.json()["errors"] == [{"field": f"photos[{photo_id}]", "message": message}]
    assert settings.photo_max_pixels == 50_000_000  # the default: a phone camera's largest mode

    # A submission naming it verifies it again and is refused the same way; nothing is kept.
    finished = local_noon(reference_month() + timedelta(days=6))
    body = submission_body(
        answers_for(fuel_catalogue.form, photos={"p1_greeting": [photo_id]}),
        branch_id=str(world.a.b11), form_version_id=str(fuel_catalogue.version_id),
        started_at=(finished - timedelta(minutes=20)).isoformat(), finished_at=finished.isoformat(),
    )
    submitted = await client.post("/submissions", json=body, headers=inspector)
    assert submitted.status_code == 422, submitted.text
    assert {"field": f"photos[{photo_id}]", "message": message} in submitted.json()["errors"]
    row = await db.fetchrow("SELECT status, submission_id, redacted_key FROM photos WHERE id = $1::uuid", photo_id)
    assert (row["status"], row["submission_id"], row["redacted_key"]) == ("pending", None, None)
    assert await db.fetchval("SELECT count(*) FROM submissions") == 0
    assert sealed_objects(settings, photo_id) == []
    assert sealed_objects(settings, photo_id, "redacted/") == []


async def test_the_pixel_budget_is_a_setting(
    http: httpx.AsyncClient, world: World, settings: Settings,
) -> None:
    """PHOTO_MAX_PIXELS lowered: an ordinary 320 x 240 photo is then over it."""
    small_budget = fast_settings(settings, photo_max_pixels=320 * 240 - 1)
    async with AsyncTestClient(app=create_app(small_budget)) as client:
        inspector = await login_as(client, world.a.inspector)
        (slot,) = await get_slots(client, inspector, "image/jpeg")
        assert (await upload(http, slot, jpeg(11))).status_code in (200, 201, 204)
        refused = await client.post(f"/uploads/{slot['photo_id']}/verify", headers=inspector)
    assert refused.status_code == 422, refused.text
    assert "320x240 pixels; at most 76799 pixels are allowed" in refused.json()["errors"][0]["message"]


async def test_a_verification_that_read_the_photo_before_a_concurrent_seal_answers_the_sealed_facts(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, settings: Settings, db: asyncpg.Pool,
) -> None:
    """The race made deterministic: this verification read the row while pending; another sealed the photo
    and deleted the upload copy before this one fetched it. A retry is not a bad photo: no 422."""
    inspector = await login_as(client, world.a.inspector)
    (slot,) = await get_slots(client, inspector, "image/jpeg")
    assert (await upload(http, slot, jpeg(10, **AT_BRANCH))).status_code in (200, 201, 204)
    async with db.acquire() as conn:
        stale = await photo_queries.own_photo(conn, UUID(slot["photo_id"]), org_id=world.a.id,
                                              uploaded_by=world.a.inspector.id, purpose="submission")
    assert stale is not None and stale.status == "pending"
    winner = await client.post(f"/uploads/{slot['photo_id']}/verify", headers=inspector)
    assert winner.status_code == 200, winner.text

    facts = await photo_service._seal(db, BlobStore(settings.s3), settings, world.a.id, stale)
    assert facts.id == stale.id and facts.size_bytes == winner.json()["size_bytes"]
    assert facts.object_key.startswith("sealed/") and facts.exif_latitude is not None
