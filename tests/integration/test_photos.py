"""Photos against real Postgres and real S3 (SeaweedFS): slots, direct uploads, verification, downloads
per role (branch managers get an EXIF-free copy), attach races, reuse detection, cleanup."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import msgspec
import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient
from PIL import ExifTags, Image

from inspect_api import cli
from inspect_api.app import create_app
from inspect_api.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from inspect_api.photos import service
from inspect_api.photos.images import analyse, hamming
from inspect_api.photos.service import VerifiedPhoto, attach_photos, cleanup_stale_uploads, find_reused, verify_photos
from inspect_api.settings import Settings
from inspect_api.storage.blobs import BlobStore
from inspect_api.storage.embedded import free_port
from tests.integration.factories import World, fast_settings, login_as
from tests.integration.phone import get_slots, upload
from tests.unit.photos.samples import bomb_png, encode, exif_with, jpeg, scene

GPS = {"latitude": 31.2304, "longitude": 121.4737}
TAKEN = datetime(2025, 5, 6, 7, 8, 9)


@pytest.fixture(scope="module")
def blobs(settings: Settings) -> BlobStore:
    return BlobStore(settings.s3)


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


# ---- helpers -----------------------------------------------------------------------------------


async def verify(pool: asyncpg.Pool, blobs: BlobStore, settings: Settings, user: Any, *ids: Any,
                 purpose: str = "submission") -> dict[UUID, VerifiedPhoto]:
    return await verify_photos(pool, blobs, settings, org_id=user.org_id, uploader_id=user.id,
                               photo_ids=[UUID(str(i)) for i in ids], purpose=purpose)


async def make_submission(
    pool: asyncpg.Pool, world: World, *, branch_id: UUID, status: str = "submitted", org: str = "a"
) -> tuple[UUID, UUID]:
    """A submission row (and its first revision) arranged directly in SQL; returns (submission, revision)."""
    w = getattr(world, org)
    async with pool.acquire() as conn, conn.transaction():
        submission_id = await conn.fetchval(
            """INSERT INTO submissions (org_id, branch_id, form_version_id, inspector_id, mode, status,
                                        current_revision, passed, visited_on, released_at)
               VALUES ($1, $2, $3, $4, 'adhoc', $5, 1, false, current_date,
                       CASE WHEN $5 = 'released' THEN now() END) RETURNING id""",
            w.id, branch_id, world.form_version_id, w.inspector.id, status,
        )
        revision_id = await conn.fetchval(
            """INSERT INTO submission_revisions (org_id, submission_id, revision, client_id, request_hash, answers,
                                                 score_card, started_at, finished_at, proof, visited_on)
               SELECT $1, $2, 1, $3, 'h', '[]', '{}', now(), now(), '{}', visited_on
               FROM submissions WHERE id = $2 RETURNING id""",
            w.id, submission_id, uuid4(),
        )
    return submission_id, revision_id


async def make_action(pool: asyncpg.Pool, world: World, submission_id: UUID, revision_id: UUID,
                      branch_id: UUID) -> UUID:
    return await pool.fetchval(
        """INSERT INTO actions (org_id, branch_id, submission_id, revision_id, form_key, item_key, title_zh,
                                title_en, priority, evidence_required, due_on)
           VALUES ($1, $2, $3, $4, 'f', 'i', '标题', 'Title', 'normal', true, current_date + 7) RETURNING id""",
        world.a.id, branch_id, submission_id, revision_id,
    )


async def release(pool: asyncpg.Pool, submission_id: UUID) -> None:
    await pool.execute("UPDATE submissions SET status = 'released', released_at = now() WHERE id = $1",
                       submission_id)


async def attach(pool: asyncpg.Pool, photos: dict[UUID, VerifiedPhoto], **target: Any) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await attach_photos(conn, list(photos.values()), **target)


async def fetch_image(http: httpx.AsyncClient, url: str) -> bytes:
    response = await http.get(url)
    assert response.status_code == 200, response.text
    return response.content


# ---- slots and uploads -------------------------------------------------------------------------


async def test_slots_upload_and_verify_two_jpegs(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, blobs: BlobStore, settings: Settings,
    http: httpx.AsyncClient,
) -> None:
    inspector = world.a.inspector
    headers = await login_as(client, inspector)
    response = await client.post(
        "/uploads",
        json={"purpose": "submission", "visit_id": str(world.a.v11),
              "files": [{"content_type": "image/jpeg"}, {"content_type": "image/jpeg"}]},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["max_bytes"] == settings.upload_max_bytes
    slots = body["slots"]
    ids = [UUID(s["photo_id"]) for s in slots]
    for slot in slots:
        assert slot["object_key"].startswith(f"photos/{world.a.id}/")
        assert slot["object_key"].endswith(f"/{slot['photo_id']}.jpg")
        assert slot["fields"]["key"] == slot["object_key"]
        assert slot["fields"]["Content-Type"] == "image/jpeg"
    rows = await pool.fetch("SELECT id, status, uploaded_by, purpose FROM photos WHERE id = ANY($1)", ids)
    assert {(r["status"], r["uploaded_by"], r["purpose"]) for r in rows} == {("pending", inspector.id, "submission")}

    first, second = jpeg(1, **GPS, taken_at=TAKEN), jpeg(2)
    assert (await upload(http, slots[0], first)).status_code in (200, 201, 204)
    assert (await upload(http, slots[1], second)).status_code in (200, 201, 204)

    verified = await verify(pool, blobs, settings, inspector, *ids)
    assert set(verified) == set(ids)
    a, b = verified[ids[0]], verified[ids[1]]
    assert a.size_bytes == len(first) and b.size_bytes == len(second)
    assert a.content_type == "image/jpeg"
    # Sealed: the checked bytes live where no upload slot can write; the upload copy is gone.
    upload_key = slots[0]["object_key"]
    assert a.object_key.startswith(f"sealed/{world.a.id}/") and str(ids[0]) in a.object_key
    assert a.object_key.endswith(".jpg") and a.object_key != upload_key
    assert await blobs.read(a.object_key) == first
    assert await blobs.head(upload_key) is None
    assert a.phash is not None and len(a.phash) == 16 and a.phash == analyse(first, "image/jpeg").phash
    assert a.exif_latitude == pytest.approx(GPS["latitude"], abs=1e-5)
    assert a.exif_longitude == pytest.approx(GPS["longitude"], abs=1e-5)
    assert a.exif_taken_at == TAKEN
    assert (b.exif_latitude, b.exif_longitude, b.exif_taken_at) == (None, None, None)

    # Verification records what it learnt; attaching references the photo.
    assert await pool.fetchval("SELECT count(*) FROM photos WHERE id = ANY($1) AND status = 'verified'", ids) == 2
    submission_id, _ = await make_submission(pool, world, branch_id=world.a.b11)
    await attach(pool, verified, submission_id=submission_id)
    row = await pool.fetchrow(
        """SELECT status, size_bytes, lpad(to_hex(phash::bigint), 16, '0') AS phash, exif_latitude,
                  exif_taken_at, submission_id, attached_at FROM photos WHERE id = $1""",
        ids[0],
    )
    assert row["status"] == "attached" and row["attached_at"] is not None
    assert row["size_bytes"] == len(first) and row["phash"] == a.phash
    assert row["exif_latitude"] == pytest.approx(GPS["latitude"], abs=1e-5)
    assert row["exif_taken_at"] == TAKEN and row["submission_id"] == submission_id

    # Once attached they are no longer the caller's pending uploads.
    with pytest.raises(NotFound):
        await verify(pool, blobs, settings, inspector, ids[0])


async def test_s3_refuses_oversize_and_wrong_type(
    world: World, pool: asyncpg.Pool, blobs: BlobStore, settings: Settings, http: httpx.AsyncClient,
) -> None:
    small = fast_settings(settings, upload_max_bytes=4096)
    async with AsyncTestClient(app=create_app(small)) as client:
        headers = await login_as(client, world.a.inspector)
        response = await client.post("/uploads", headers=headers, json={
            "purpose": "submission", "files": [{"content_type": "image/jpeg"}, {"content_type": "image/png"}]})
        assert response.status_code == 201, response.text
        assert response.json()["max_bytes"] == 4096
        jpeg_slot, png_slot = response.json()["slots"]

    big = encode(scene(3, (640, 480)), "image/jpeg", quality=95)
    assert len(big) > 4096
    too_big = await upload(http, jpeg_slot, big)
    assert too_big.status_code == 400 and "EntityTooLarge" in too_big.text

    wrong_type = await upload(http, png_slot, jpeg(4), content_type="image/jpeg")
    assert wrong_type.status_code == 403

    other_key = dict(jpeg_slot, fields=dict(jpeg_slot["fields"], key=f"photos/{world.a.id}/evil.jpg"))
    assert (await upload(http, other_key, encode(scene(5, (16, 16)), "image/jpeg"))).status_code == 403
    assert await blobs.head(f"photos/{world.a.id}/evil.jpg") is None

    with pytest.raises(InvalidInput) as refused:
        await verify(pool, blobs, small, world.a.inspector, jpeg_slot["photo_id"], png_slot["photo_id"])
    fields = {e["field"] for e in refused.value.extra["errors"]}
    assert fields == {f"photos[{jpeg_slot['photo_id']}]", f"photos[{png_slot['photo_id']}]"}
    assert "was not uploaded" in refused.value.detail


async def test_renamed_text_file_is_refused(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, blobs: BlobStore, settings: Settings,
    http: httpx.AsyncClient,
) -> None:
    headers = await login_as(client, world.a.inspector)
    good, fake = await get_slots(client, headers, "image/jpeg", "image/jpeg")
    assert (await upload(http, good, jpeg(6))).status_code in (200, 201, 204)
    # S3 only checks the declared type; the bytes are a text file renamed to .jpg.
    assert (await upload(http, fake, b"not a photo, just text\n" * 40)).status_code in (200, 201, 204)

    with pytest.raises(InvalidInput) as refused:
        await verify(pool, blobs, settings, world.a.inspector, good["photo_id"], fake["photo_id"])
    assert refused.value.detail == f"photo {fake['photo_id']} is not a valid image/jpeg"
    assert refused.value.extra == {"errors": [
        {"field": f"photos[{fake['photo_id']}]", "message": f"photo {fake['photo_id']} is not a valid image/jpeg"}
    ]}


async def test_never_uploaded_slot_is_invalid_input(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, blobs: BlobStore, settings: Settings,
) -> None:
    (slot,) = await get_slots(client, await login_as(client, world.a.inspector), "image/heic")
    with pytest.raises(InvalidInput, match=f"photo {slot['photo_id']} was not uploaded"):
        await verify(pool, blobs, settings, world.a.inspector, slot["photo_id"])


async def test_other_peoples_photos_are_not_found(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, blobs: BlobStore, settings: Settings,
    http: httpx.AsyncClient,
) -> None:
    (slot,) = await get_slots(client, await login_as(client, world.a.inspector), "image/jpeg")
    assert (await upload(http, slot, jpeg(7))).status_code in (200, 201, 204)
    message = f"photo {slot['photo_id']} not found"
    with pytest.raises(NotFound, match=message):  # another inspector of the same org
        await verify(pool, blobs, settings, world.a.inspector2, slot["photo_id"])
    with pytest.raises(NotFound, match=message):  # the same user id claimed from another org
        await verify_photos(pool, blobs, settings, org_id=world.b.id, uploader_id=world.a.inspector.id,
                            photo_ids=[UUID(slot["photo_id"])])
    with pytest.raises(NotFound, match=message):  # wrong purpose
        await verify(pool, blobs, settings, world.a.inspector, slot["photo_id"], purpose="action_evidence")
    with pytest.raises(NotFound):
        await verify(pool, blobs, settings, world.a.inspector, uuid4())
    assert await verify(pool, blobs, settings, world.a.inspector) == {}


async def test_s3_outage_is_service_unavailable(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, settings: Settings,
) -> None:
    (slot,) = await get_slots(client, await login_as(client, world.a.inspector), "image/jpeg")
    dead = BlobStore(msgspec.structs.replace(settings.s3, endpoint_url=f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(ServiceUnavailable):
        await verify(pool, dead, settings, world.a.inspector, slot["photo_id"])


async def test_upload_requests_are_checked(client: AsyncTestClient, world: World, pool: asyncpg.Pool) -> None:
    inspector = await login_as(client, world.a.inspector)
    manager = await login_as(client, world.a.manager)

    async def ask(headers: dict[str, str], **body: Any) -> httpx.Response:
        return await client.post("/uploads", headers=headers, json={"files": [{"content_type": "image/jpeg"}]} | body)

    assert (await ask(inspector, purpose="submission", visit_id=str(world.a.v12))).status_code == 404  # not theirs
    assert (await ask(inspector, purpose="submission", visit_id=str(world.b.v11))).status_code == 404  # other org
    assert (await ask(inspector, purpose="action_evidence", action_id=str(uuid4()))).status_code == 403
    assert (await ask(manager, purpose="submission")).status_code == 403
    for role in ("admin", "regional_lead"):
        assert (await ask(await login_as(client, world.a.user(role)), purpose="submission")).status_code == 403
    assert (await ask(manager, purpose="action_evidence")).status_code == 422  # no action named
    assert (await ask(inspector, purpose="submission", action_id=str(uuid4()))).status_code == 422
    many = await client.post("/uploads", headers=inspector, json={
        "purpose": "submission", "files": [{"content_type": "image/jpeg"}] * 21})
    assert many.status_code == 400
    none = await client.post("/uploads", headers=inspector, json={"purpose": "submission", "files": []})
    assert none.status_code == 400
    gif = await client.post("/uploads", headers=inspector, json={
        "purpose": "submission", "files": [{"content_type": "image/gif"}]})
    assert gif.status_code == 400
    sneaky = await client.post("/uploads", headers=inspector, json={
        "purpose": "submission", "files": [{"content_type": "image/jpeg", "key": "../../etc"}]})
    assert sneaky.status_code == 400
    assert (await client.post("/uploads", json={"purpose": "submission", "files": []})).status_code == 401
    assert await pool.fetchval("SELECT count(*) FROM photos") == 0

    # Every allowed type, 20 at once, keys with the matching extension; one transaction, 20 rows.
    types = ["image/jpeg", "image/png", "image/heic", "image/webp"] * 5
    slots = await get_slots(client, inspector, *types, visit_id=str(world.a.v11))
    assert [s["content_type"] for s in slots] == types
    assert {s["object_key"].rsplit(".", 1)[1] for s in slots} == {"jpg", "png", "heic", "webp"}
    assert len({s["photo_id"] for s in slots}) == 20
    assert await pool.fetchval("SELECT count(*) FROM photos WHERE status = 'pending'") == 20

    # Branch managers upload evidence for actions of their own branches only.
    submission_id, revision_id = await make_submission(pool, world, branch_id=world.a.b11)
    own_action = await make_action(pool, world, submission_id, revision_id, world.a.b11)
    other_submission, other_revision = await make_submission(pool, world, branch_id=world.a.b12)
    other_action = await make_action(pool, world, other_submission, other_revision, world.a.b12)
    assert (await ask(manager, purpose="action_evidence", action_id=str(other_action))).status_code == 404
    (slot,) = await get_slots(client, manager, "image/png", purpose="action_evidence", action_id=str(own_action))
    assert await pool.fetchval("SELECT purpose FROM photos WHERE id = $1", UUID(slot["photo_id"])) == (
        "action_evidence"
    )


# ---- attach, reuse -----------------------------------------------------------------------------


async def uploaded_and_verified(
    client: AsyncTestClient, http: httpx.AsyncClient, pool: asyncpg.Pool, blobs: BlobStore, settings: Settings,
    user: Any, *images: tuple[str, bytes], purpose: str = "submission", **extra: Any,
) -> dict[UUID, VerifiedPhoto]:
    headers = await login_as(client, user)
    slots = await get_slots(client, headers, *(t for t, _ in images), purpose=purpose, **extra)
    for slot, (_, data) in zip(slots, images, strict=True):
        assert (await upload(http, slot, data)).status_code in (200, 201, 204)
    verified = await verify(pool, blobs, settings, user, *(s["photo_id"] for s in slots), purpose=purpose)
    return {UUID(s["photo_id"]): verified[UUID(s["photo_id"])] for s in slots}  # in upload order


async def test_attach_twice_is_a_conflict_and_rolls_back(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, blobs: BlobStore, settings: Settings,
    http: httpx.AsyncClient,
) -> None:
    photos = await uploaded_and_verified(client, http, pool, blobs, settings, world.a.inspector,
                                         ("image/jpeg", jpeg(8)), ("image/png", encode(scene(9), "image/png")))
    first_id, second_id = list(photos)
    s1, _ = await make_submission(pool, world, branch_id=world.a.b11)
    s2, _ = await make_submission(pool, world, branch_id=world.a.b11)
    await attach(pool, {first_id: photos[first_id]}, submission_id=s1)
    with pytest.raises(Conflict) as conflict:
        await attach(pool, photos, submission_id=s2)  # both, one already taken
    assert conflict.value.extra["errors"] == [
        {"field": f"photos[{first_id}]", "message": f"photo {first_id} is already attached elsewhere"}
    ]
    rows = dict(await pool.fetch("SELECT id, submission_id FROM photos WHERE id = ANY($1)", list(photos)))
    assert rows == {first_id: s1, second_id: None}  # the failed transaction attached nothing


async def test_find_reused_spots_the_same_picture_in_another_submission(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, blobs: BlobStore, settings: Settings,
    http: httpx.AsyncClient,
) -> None:
    original = scene(10, (640, 480))
    earlier = await uploaded_and_verified(client, http, pool, blobs, settings, world.a.inspector,
                                          ("image/jpeg", encode(original, "image/jpeg", quality=92)))
    s1, _ = await make_submission(pool, world, branch_id=world.a.b11)
    await attach(pool, earlier, submission_id=s1)
    (earlier_id,) = earlier

    # The same scene re-encoded smaller as PNG by another inspector, and an unrelated picture.
    later = await uploaded_and_verified(
        client, http, pool, blobs, settings, world.a.inspector2,
        ("image/png", encode(original.resize((320, 240)), "image/png")), ("image/jpeg", jpeg(11)),
    )
    copy_id, fresh_id = list(later)
    async with pool.acquire() as conn:
        reused = await find_reused(conn, world.a.id, list(later.values()), exclude_submission_id=None)
        assert [r.photo_id for r in reused] == [copy_id]
        (match,) = reused[0].matches
        assert (match.photo_id, match.submission_id) == (earlier_id, s1)
        assert match.distance == hamming(later[copy_id].phash or "", earlier[earlier_id].phash or "")
        assert match.distance <= service.REUSE_THRESHOLD
        # A correction of the same submission may reuse its own photos; another org never matches.
        assert await find_reused(conn, world.a.id, list(later.values()), exclude_submission_id=s1) == []
        assert await find_reused(conn, world.b.id, list(later.values()), exclude_submission_id=None) == []
    assert fresh_id not in {r.photo_id for r in reused}


# ---- downloads per role ------------------------------------------------------------------------


async def download(client: AsyncTestClient, user: Any, photo_id: UUID) -> httpx.Response:
    return await client.get(f"/photos/{photo_id}", headers=await login_as(client, user))


def exif_of(data: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(data)) as image:
        return image.getexif()


async def test_downloads_follow_role_scope_and_managers_get_a_redacted_copy(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, blobs: BlobStore, settings: Settings,
    http: httpx.AsyncClient,
) -> None:
    a = world.a
    stored = scene(12, (320, 240)).transpose(Image.Transpose.ROTATE_90)  # sideways on disk, Orientation=6
    original = encode(stored, "image/jpeg", quality=92,
                      exif=exif_with(**GPS, taken_at=TAKEN, orientation=6, make="Acme"))
    photos = await uploaded_and_verified(client, http, pool, blobs, settings, a.inspector, ("image/jpeg", original))
    (photo_id,) = photos
    submission_id, revision_id = await make_submission(pool, world, branch_id=a.b11)
    await attach(pool, photos, submission_id=submission_id)

    # Before release: the uploader and admins only.
    owner = await download(client, a.inspector, photo_id)
    assert owner.status_code == 200, owner.text
    assert owner.headers["cache-control"] == "private, no-store"
    body = owner.json()
    assert body["photo_id"] == str(photo_id) and body["expires_at"]
    assert await fetch_image(http, body["url"]) == original
    assert (await download(client, a.admin, photo_id)).status_code == 200
    for user in (a.lead, a.manager, a.inspector2, world.b.admin):
        response = await download(client, user, photo_id)
        assert response.status_code == 404, user.email
        assert response.json()["detail"] == f"photo {photo_id} not found"

    await release(pool, submission_id)

    lead = await download(client, a.lead, photo_id)
    assert lead.status_code == 200
    assert await fetch_image(http, lead.json()["url"]) == original  # leads see the original

    manager = await download(client, a.manager, photo_id)
    assert manager.status_code == 200, manager.text
    url = manager.json()["url"]
    assert "/redacted/" in url and "/photos/" not in url.split("?")[0]
    redacted = await fetch_image(http, url)
    exif = exif_of(redacted)
    assert len(exif) == 0 and exif.get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert b"Acme" not in redacted
    with Image.open(io.BytesIO(redacted)) as image:
        assert image.format == "JPEG" and image.size == (320, 240)  # upright
    facts = analyse(redacted, "image/jpeg")
    assert (facts.latitude, facts.longitude, facts.taken_at) == (None, None, None)

    # Made at verification, beside the sealed original; the branch gets it written again on the first
    # manager download (its S3 Last-Modified would otherwise be the upload time, on site), recorded and
    # served again without another copy.
    sealed_key = await pool.fetchval("SELECT object_key FROM photos WHERE id = $1", photo_id)
    made_at_verification = service.redacted_key_from_sealed(sealed_key)
    assert await blobs.read(made_at_verification) == redacted
    row = await pool.fetchrow("SELECT redacted_key, created_at FROM photos WHERE id = $1", photo_id)
    key = row["redacted_key"]
    assert key == service.redacted_key_for(a.id, photo_id, row["created_at"]) and key in url
    etag = (await blobs.head(key)).etag  # type: ignore[union-attr]
    again = await download(client, a.manager, photo_id)
    assert again.status_code == 200 and key in again.json()["url"]
    assert (await blobs.head(key)).etag == etag  # type: ignore[union-attr]

    # A released submission outside the lead's region / manager's branch stays hidden.
    far = await uploaded_and_verified(client, http, pool, blobs, settings, a.inspector2, ("image/jpeg", jpeg(13)))
    (far_id,) = far
    far_submission, _ = await make_submission(pool, world, branch_id=a.b21)
    await attach(pool, far, submission_id=far_submission)
    await release(pool, far_submission)
    assert (await download(client, a.lead, far_id)).status_code == 404
    assert (await download(client, a.manager, far_id)).status_code == 404
    assert (await download(client, a.admin, far_id)).status_code == 200

    # Action evidence of the manager's branch: visible to the manager (redacted) and the lead.
    action_id = await make_action(pool, world, submission_id, revision_id, a.b11)
    evidence = await uploaded_and_verified(
        client, http, pool, blobs, settings, a.manager,
        ("image/png", encode(scene(14), "image/png", exif=exif_with(**GPS))),
        purpose="action_evidence", action_id=str(action_id),
    )
    (evidence_id,) = evidence
    assert (await download(client, a.lead, evidence_id)).status_code == 404  # not attached yet
    await attach(pool, evidence, action_id=action_id)
    # A photo sealed before copies were made at verification gets its copy on first download, once.
    await pool.execute("UPDATE photos SET redacted_key = NULL WHERE id = $1", evidence_id)
    manager_evidence = await download(client, a.manager, evidence_id)
    assert manager_evidence.status_code == 200
    evidence_bytes = await fetch_image(http, manager_evidence.json()["url"])
    assert evidence_bytes[:3] == b"\xff\xd8\xff" and len(exif_of(evidence_bytes)) == 0
    made = await pool.fetchrow("SELECT redacted_key, created_at FROM photos WHERE id = $1", evidence_id)
    assert made["redacted_key"] == service.redacted_key_for(a.id, evidence_id, made["created_at"])
    assert made["redacted_key"] in manager_evidence.json()["url"]
    assert (await download(client, a.lead, evidence_id)).status_code == 200
    assert (await download(client, a.inspector, evidence_id)).status_code == 404

    assert (await download(client, a.admin, uuid4())).status_code == 404
    assert (await client.get(f"/photos/{photo_id}")).status_code == 401


# ---- cleanup -----------------------------------------------------------------------------------


async def test_cleanup_removes_stale_pending_uploads_only(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, blobs: BlobStore, settings: Settings,
    http: httpx.AsyncClient,
) -> None:
    headers = await login_as(client, world.a.inspector)
    old_uploaded, old_empty, fresh = await get_slots(client, headers, "image/jpeg", "image/jpeg", "image/jpeg")
    for slot in (old_uploaded, fresh):
        assert (await upload(http, slot, jpeg(15))).status_code in (200, 201, 204)
    attached = await uploaded_and_verified(client, http, pool, blobs, settings, world.a.inspector,
                                           ("image/jpeg", jpeg(16)))
    submission_id, _ = await make_submission(pool, world, branch_id=world.a.b11)
    await attach(pool, attached, submission_id=submission_id)
    (attached_id,) = attached
    old_ids = [UUID(old_uploaded["photo_id"]), UUID(old_empty["photo_id"]), attached_id]
    await pool.execute("UPDATE photos SET created_at = now() - interval '2 days' WHERE id = ANY($1)", old_ids)

    assert await cleanup_stale_uploads(pool, blobs, older_than=timedelta(hours=24), batch_size=1) == 2
    remaining = {r["id"] for r in await pool.fetch("SELECT id FROM photos")}
    assert remaining == {UUID(fresh["photo_id"]), attached_id}
    assert await blobs.head(old_uploaded["object_key"]) is None
    assert await blobs.head(fresh["object_key"]) is not None
    attached_key = await pool.fetchval("SELECT object_key FROM photos WHERE id = $1", attached_id)
    assert await blobs.head(attached_key) is not None

    assert await cleanup_stale_uploads(pool, blobs, older_than=timedelta(hours=24)) == 0  # idempotent


async def test_cleanup_cli_subcommand(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, blobs: BlobStore, settings: Settings,
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    (slot,) = await get_slots(client, await login_as(client, world.a.inspector), "image/jpeg")
    assert (await upload(http, slot, jpeg(17))).status_code in (200, 201, 204)
    await pool.execute("UPDATE photos SET created_at = now() - interval '3 hours'")
    s3 = settings.s3
    for name, value in {"DATABASE_URL": settings.database_url, "S3_ENDPOINT_URL": s3.endpoint_url or "",
                        "S3_ACCESS_KEY_ID": s3.access_key_id, "S3_SECRET_ACCESS_KEY": s3.secret_access_key,
                        "S3_BUCKET": s3.bucket, "S3_REGION": s3.region}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("JWT_SECRET", raising=False)  # a cron job needs only the database and S3

    # The command runs its own event loop, so it runs in a thread here.
    assert await asyncio.to_thread(cli.main, ["cleanup-uploads"]) == 0  # default: older than 24 h
    assert "stale uploads removed: 0" in capsys.readouterr().out
    assert await asyncio.to_thread(cli.main, ["cleanup-uploads", "--older-than-hours", "2"]) == 0
    assert "stale uploads removed: 1" in capsys.readouterr().out
    assert await pool.fetchval("SELECT count(*) FROM photos") == 0
    assert await blobs.head(slot["object_key"]) is None


# ---- decompression bombs -----------------------------------------------------------------------


async def test_a_branch_manager_s_bomb_evidence_is_refused_and_not_attached(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, http: httpx.AsyncClient, settings: Settings,
) -> None:
    a = world.a
    submission_id, revision_id = await make_submission(pool, world, branch_id=a.b11, status="released")
    action_id = await make_action(pool, world, submission_id, revision_id, a.b11)
    manager = await login_as(client, a.manager)
    (slot,) = await get_slots(client, manager, "image/png", purpose="action_evidence", action_id=str(action_id))
    photo_id = slot["photo_id"]
    assert (await upload(http, slot, bomb_png())).status_code in (200, 201, 204)
    message = (f"photo {photo_id} is 13000x13000 pixels; at most {settings.photo_max_pixels} pixels are "
               "allowed (PHOTO_MAX_PIXELS)")
    expected = [{"field": f"photos[{photo_id}]", "message": message}]

    refused = await client.post(f"/uploads/{photo_id}/verify", headers=manager)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"] == expected

    # Resolving the action with it verifies it again: refused the same way, the action stays as it was.
    assert (await client.post(f"/actions/{action_id}/start", headers=manager)).status_code == 200
    resolved = await client.post(f"/actions/{action_id}/resolve", headers=manager,
                                 json={"note": "fixed the sign", "photo_ids": [photo_id]})
    assert resolved.status_code == 422, resolved.text
    assert resolved.json()["errors"] == expected
    assert await pool.fetchval("SELECT status FROM actions WHERE id = $1", action_id) == "in_progress"
    row = await pool.fetchrow("SELECT status, action_id, redacted_key FROM photos WHERE id = $1::uuid", photo_id)
    assert (row["status"], row["action_id"], row["redacted_key"]) == ("pending", None, None)
