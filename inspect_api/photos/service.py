"""Photos go straight from phones to S3; the API hands out upload slots, verifies, attaches, serves.

Flow: `create_upload_slots` records `pending` rows and presigned POSTs -> the phone uploads to S3 ->
the phone calls `verify_upload` (one GET for size, type and bytes, sniff, hash, EXIF; S3 and Pillow work
off the event loop; the checked bytes are sealed under a key uploads cannot reach: `verified`; the
org's lookalike photos sealed before it are linked then, for reuse detection) -> a feature (submissions,
actions) calls `verify_photos` before its transaction (reads the stored facts; verifies any photo still
pending the same way) and `attach_photos` inside it; intake reads the facts and reuse matches in its
own single read (judged by `stored_facts`) and attaches inside its single write statement ->
`download_url` presigns GETs (branch managers only ever get an EXIF-free copy) -> `cleanup_stale_uploads`
removes abandoned slots.

Memory: the header's pixel count is checked against PHOTO_MAX_PIXELS before any decode; at most
VERIFY_CONCURRENCY verifications per worker hold a photo's bytes at once, and their decodes run
through `decoding.Decoder` (bounded, in decode processes by default). The branch managers' redacted copy
(upright, <= REDACTED_MAX_SIDE px, sRGB, pixels only) comes out of the same decode at verification, so
a download never decodes; only photos sealed before copies were made at verification get theirs on
first download, through the same bound, stored once.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Collection, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final
from uuid import UUID, uuid4

import asyncpg
import msgspec
from botocore.exceptions import ClientError

from inspect_api.auth.principal import Principal
from inspect_api.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceUnavailable
from inspect_api.photos import queries
from inspect_api.photos.decoding import DecodeIn, Decoder, DecoderLost, decoder
from inspect_api.photos.images import EXTENSIONS, CheckedImage, ImageError, TooManyPixels, check, redact_to_jpeg
from inspect_api.photos.queries import OwnPhoto, PendingPhoto, SealValues
from inspect_api.photos.schemas import PhotoDownload, UploadRequest, UploadSlot, UploadSlots
from inspect_api.settings import Settings
from inspect_api.storage.blobs import BlobStore

# Hashes this close (of 64 bits) are the same picture re-encoded, resized or lightly edited.
REUSE_THRESHOLD: Final = 6
# The hash search finds every match up to this distance only (two 32-bit halves probed within 3 and 2
# bits: photos/sql/photo_lookalikes.sql, migrations/0041); seals link lookalikes up to it
# (migrations/0013), and reuse is judged within REUSE_THRESHOLD of those.
MAX_INDEXED_DISTANCE: Final = 6
# Photos verified at once per worker (all requests together): each is read whole (up to
# upload_max_bytes) into memory and held until sealed.
VERIFY_CONCURRENCY: Final = 4
CLEANUP_BATCH: Final = 200
DELETE_CONCURRENCY: Final = 8
PURPOSE_ROLE: Final = {"submission": "inspector", "action_evidence": "branch_manager"}


class VerifiedPhoto(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    object_key: str
    size_bytes: int
    content_type: str
    phash: str | None  # 16 hex chars (64-bit difference hash of the upright image)
    exif_latitude: float | None  # signed decimal degrees
    exif_longitude: float | None
    exif_taken_at: datetime | None  # EXIF DateTimeOriginal, naive (EXIF has no zone)


class PhotoMatch(msgspec.Struct, frozen=True, kw_only=True):
    photo_id: UUID  # the earlier photo
    submission_id: UUID  # where it is attached
    distance: int  # differing hash bits, 0..REUSE_THRESHOLD


class ReusedPhoto(msgspec.Struct, frozen=True, kw_only=True):
    photo_id: UUID  # the new photo
    matches: list[PhotoMatch]  # closest first


def _now() -> datetime:
    return datetime.now(UTC)


def object_key_for(org_id: UUID, photo_id: UUID, content_type: str, when: datetime) -> str:
    """Server-chosen: nothing in the key comes from the client."""
    return f"photos/{org_id}/{when:%Y}/{when:%m}/{photo_id}.{EXTENSIONS[content_type]}"


def sealed_key_for(upload_key: str) -> str:
    """Where verified bytes are kept: outside `photos/` (the only prefix upload slots sign), and unique
    per verification so two racing verifications never write the same object."""
    stem, _, extension = upload_key.removeprefix("photos/").rpartition(".")
    return f"sealed/{stem}-{uuid4().hex[:12]}.{extension}"


def redacted_key_from_sealed(sealed_key: str) -> str:
    """The redacted copy made with a seal sits beside it, as unique as the sealed key."""
    stem = sealed_key.removeprefix("sealed/").rpartition(".")[0]
    return f"redacted/{stem}.jpg"


def redacted_key_for(org_id: UUID, photo_id: UUID, created_at: datetime) -> str:
    """The branch managers' copy, written on first download (after the release; see _redacted_copy), the
    same key for racing writers. Year and month of the upload only: no finer than the visit date."""
    when = created_at.astimezone(UTC)
    return f"redacted/{org_id}/{when:%Y}/{when:%m}/{photo_id}.jpg"


# --- upload slots -------------------------------------------------------------------------------


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, extra={"errors": [{"field": field, "message": message}]})


def _decoder(settings: Settings) -> Decoder:
    mode: DecodeIn = "thread" if settings.photo_decode_in == "thread" else "process"
    return decoder(mode, settings.photo_decode_workers)


_verification_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


@contextlib.asynccontextmanager
async def _verification_turn() -> AsyncIterator[None]:
    """One of the worker's VERIFY_CONCURRENCY turns (per event loop: tests run several in one process)."""
    loop = asyncio.get_running_loop()
    turn = _verification_turns.get(loop)
    if turn is None:
        turn = _verification_turns[loop] = asyncio.Semaphore(VERIFY_CONCURRENCY)
    async with turn:
        yield


async def _check_target(conn: asyncpg.Connection, principal: Principal, request: UploadRequest) -> None:
    """The purpose fits the caller's role and the visit/action named is theirs (else 404, revealing nothing)."""
    required_role = PURPOSE_ROLE[request.purpose]
    if principal.role != required_role:
        raise Forbidden(f"only the {required_role} role uploads photos for {request.purpose}")
    if request.purpose == "submission":
        if request.action_id is not None:
            raise _invalid("action_id", "action_id belongs to action_evidence uploads")
        if request.visit_id is not None and not await queries.own_visit_exists(
            conn, request.visit_id, principal.org_id, principal.user_id
        ):
            raise NotFound(f"visit {request.visit_id} not found")
        return
    if request.visit_id is not None:
        raise _invalid("visit_id", "visit_id belongs to submission uploads")
    if request.action_id is None:
        raise _invalid("action_id", "action_evidence uploads name their action_id")
    if not await queries.visible_action_exists(
        conn, request.action_id, principal.org_id, principal.user_id, principal.role
    ):
        raise NotFound(f"action {request.action_id} not found")


async def create_upload_slots(
    pool: asyncpg.Pool, blobs: BlobStore, settings: Settings, principal: Principal, request: UploadRequest
) -> UploadSlots:
    """One `pending` row and one presigned POST per requested file, all in one transaction."""
    now = _now()
    pending = [
        PendingPhoto(id=photo_id, object_key=object_key_for(principal.org_id, photo_id, f.content_type, now),
                     content_type=f.content_type)
        for f in request.files
        for photo_id in (uuid4(),)
    ]
    async with pool.acquire() as conn, conn.transaction():
        await _check_target(conn, principal, request)
        await queries.insert_pending(
            conn, org_id=principal.org_id, uploaded_by=principal.user_id, purpose=request.purpose, photos=pending,
            visit_id=request.visit_id,
        )
    ttl = settings.upload_url_ttl_seconds
    slots = []
    for photo in pending:  # presigning is local signing, no I/O
        post = blobs.presign_post(photo.object_key, photo.content_type, settings.upload_max_bytes, ttl)
        slots.append(UploadSlot(photo_id=photo.id, object_key=photo.object_key,
                                content_type=photo.content_type, url=post.url, fields=post.fields))
    return UploadSlots(slots=slots, max_bytes=settings.upload_max_bytes, expires_at=now + timedelta(seconds=ttl))


# --- verification: when the phone reports its upload done, at the latest before a feature's transaction


class _PhotoProblem(Exception):
    def __init__(self, photo_id: UUID, message: str) -> None:
        super().__init__(message)
        self.photo_id = photo_id
        self.message = message


def _facts(photo: OwnPhoto) -> VerifiedPhoto:
    assert photo.size_bytes is not None, "a verified photo has its size"
    return VerifiedPhoto(id=photo.id, object_key=photo.object_key, size_bytes=photo.size_bytes,
                         content_type=photo.content_type, phash=photo.phash, exif_latitude=photo.exif_latitude,
                         exif_longitude=photo.exif_longitude, exif_taken_at=photo.exif_taken_at)


async def _check_upload(blobs: BlobStore, settings: Settings, photo: OwnPhoto) -> tuple[bytes, CheckedImage]:
    """One GET (size, type and bytes from the same response), then the pixel budget from the header,
    one bounded decode for hash, EXIF and the redacted copy (`images.check`, in the decoder)."""
    fetched = await blobs.fetch(photo.object_key, settings.upload_max_bytes)
    if fetched is None:
        raise _PhotoProblem(photo.id, f"photo {photo.id} was not uploaded")
    info = fetched.info
    if fetched.data is None or info.size == 0:
        raise _PhotoProblem(photo.id, f"photo {photo.id} is {info.size} bytes; at most "
                                      f"{settings.upload_max_bytes} are allowed")
    if info.content_type.split(";")[0].strip().lower() != photo.content_type:
        raise _PhotoProblem(photo.id, f"photo {photo.id} was uploaded as {info.content_type or 'no type'}, "
                                      f"not {photo.content_type}")
    try:
        checked = await _decoder(settings).run(check, fetched.data, photo.content_type,
                                               max_pixels=settings.photo_max_pixels)
    except TooManyPixels as exc:
        raise _PhotoProblem(photo.id, f"photo {photo.id} is {exc}"
                                      " (PHOTO_MAX_PIXELS)") from exc
    except DecoderLost as exc:
        raise ServiceUnavailable("photo checking is unavailable for a moment; retry") from exc
    except ImageError as exc:
        raise _PhotoProblem(photo.id, f"photo {photo.id} is not a valid {photo.content_type}") from exc
    return fetched.data, checked


async def _seal(pool: asyncpg.Pool, blobs: BlobStore, settings: Settings, org_id: UUID,
                photo: OwnPhoto) -> VerifiedPhoto:
    """Verify a pending upload and keep exactly the checked bytes under a key no presigned POST can
    write (the POST stays valid until it expires). Then the row says verified, with what was learnt and
    its lookalikes among the org's photos sealed before it (seals of one org take turns for that)."""
    if photo.status != "pending":
        return _facts(photo)
    sealed_key = sealed_key_for(photo.object_key)
    redacted_key = redacted_key_from_sealed(sealed_key)
    async with _verification_turn():  # the bytes are held from the GET until both copies are written
        try:
            data, checked = await _check_upload(blobs, settings, photo)
        except _PhotoProblem:
            # A concurrent verification of the same photo (a phone's retry while the first request still
            # runs) seals it and then deletes the upload copy this one read the row before: its facts stand.
            async with pool.acquire() as conn:
                now = await queries.photo_by_id(conn, photo.id)
            if now is not None and now.status != "pending":
                return _facts(now)
            raise
        assert checked.redacted_jpeg is not None, "check() makes the redacted copy by default"
        await blobs.put(sealed_key, data, photo.content_type)
        await blobs.put(redacted_key, checked.redacted_jpeg, "image/jpeg")
        size_bytes = len(data)
        del data
    facts = checked.facts
    values = SealValues(id=photo.id, upload_key=photo.object_key, sealed_key=sealed_key, redacted_key=redacted_key,
                        size_bytes=size_bytes, phash=facts.phash, exif_latitude=facts.latitude,
                        exif_longitude=facts.longitude, exif_taken_at=facts.taken_at)
    async with pool.acquire() as conn, conn.transaction():
        await queries.lock_org_seals(conn, org_id)
        sealed = await queries.seal(conn, values, lookalike_threshold=MAX_INDEXED_DISTANCE)
        if sealed is None:  # a concurrent verification won: its facts stand, this copy goes
            winner = await queries.photo_by_id(conn, photo.id)
    if sealed is None:
        for key in (sealed_key, redacted_key):
            with contextlib.suppress(ServiceUnavailable, ClientError):
                await blobs.delete(key)
        if winner is None or winner.status == "pending":
            raise Conflict(f"photo {photo.id} was removed while it was verified")
        return _facts(winner)
    with contextlib.suppress(ServiceUnavailable, ClientError):
        await blobs.delete(photo.object_key)  # the upload copy is no longer needed
    return _facts(sealed)


async def verify_upload(
    pool: asyncpg.Pool, blobs: BlobStore, settings: Settings, principal: Principal, photo_id: UUID
) -> VerifiedPhoto:
    """POST /uploads/{id}/verify: the phone's upload is done; check and seal it now, so a bad photo is
    reported while the inspector is still on site and the submission later only reads stored facts.
    Repeating it answers the same. 404 for another user's or an unknown photo, 409 once attached."""
    purpose = "submission" if principal.role == "inspector" else "action_evidence"
    async with pool.acquire() as conn:
        photo = await queries.own_photo(conn, photo_id, org_id=principal.org_id, uploaded_by=principal.user_id,
                                        purpose=purpose)
    if photo is None:
        raise NotFound(f"photo {photo_id} not found")
    if photo.status == "attached":
        raise Conflict(f"photo {photo_id} is already attached")
    try:
        return await _seal(pool, blobs, settings, principal.org_id, photo)
    except _PhotoProblem as problem:
        raise InvalidInput(problem.message, extra={"errors": [
            {"field": f"photos[{problem.photo_id}]", "message": problem.message}]}) from None


def _photos_not_found(wanted: Collection[UUID], found: Collection[UUID]) -> None:
    for photo_id in wanted:
        if photo_id not in found:
            raise NotFound(f"photo {photo_id} not found")


def stored_facts(wanted: Collection[UUID], rows: Sequence[OwnPhoto]) -> dict[UUID, VerifiedPhoto] | None:
    """The facts of `rows` (the caller's unattached photos among `wanted`, as read) when every wanted
    photo is there and verified; None when some are still pending. Raises NotFound for a missing one."""
    _photos_not_found(wanted, {row.id for row in rows})
    if all(row.status == "verified" for row in rows):
        return {row.id: _facts(row) for row in rows}
    return None


def photos_taken(photo_ids: Iterable[UUID]) -> Conflict:
    """409 for photos another request attached first (a photo belongs to one submission or action)."""
    taken = sorted(set(photo_ids), key=str)
    message = f"photo {taken[0]} is already attached elsewhere" if taken else "a photo is already attached elsewhere"
    return Conflict(message, extra={"errors": [
        {"field": f"photos[{photo_id}]", "message": f"photo {photo_id} is already attached elsewhere"}
        for photo_id in taken
    ]})


async def verify_photos(
    pool: asyncpg.Pool,
    blobs: BlobStore,
    settings: Settings,
    *,
    org_id: UUID,
    uploader_id: UUID,
    photo_ids: Collection[UUID],
    purpose: str = "submission",
) -> dict[UUID, VerifiedPhoto]:
    """Each photo must be the caller's unattached upload of `purpose`, verified now unless it already is.
    Raises NotFound (not the caller's, unknown or attached), InvalidInput (listing every bad photo in
    `errors`) or ServiceUnavailable (S3 down). Writes no submission or action: a photo verified here
    stays verified and unattached if the caller's write then fails."""
    wanted = sorted(set(photo_ids), key=str)
    if not wanted:
        return {}
    async with pool.acquire() as conn:
        rows = await queries.unattached_own(conn, wanted, org_id=org_id, uploaded_by=uploader_id, purpose=purpose)
    found = {row.id: row for row in rows}
    _photos_not_found(wanted, found)
    if all(row.status == "verified" for row in rows):
        return {row.id: _facts(row) for row in rows}  # the usual case: verified when uploaded

    limit = asyncio.Semaphore(VERIFY_CONCURRENCY)

    async def bounded(photo: OwnPhoto) -> VerifiedPhoto:
        async with limit:
            return await _seal(pool, blobs, settings, org_id, photo)

    results = await asyncio.gather(*(bounded(found[i]) for i in wanted), return_exceptions=True)
    problems: list[_PhotoProblem] = []
    verified: dict[UUID, VerifiedPhoto] = {}
    for result in results:
        if isinstance(result, _PhotoProblem):
            problems.append(result)
        elif isinstance(result, BaseException):
            raise result  # ServiceUnavailable first: an outage says nothing about the photos
        else:
            verified[result.id] = result
    if problems:
        raise InvalidInput(
            "; ".join(p.message for p in problems),
            extra={"errors": [{"field": f"photos[{p.photo_id}]", "message": p.message} for p in problems]},
        )
    return verified


async def attach_photos(
    conn: asyncpg.Connection,
    photos: Collection[VerifiedPhoto],
    *,
    submission_id: UUID | None = None,
    action_id: UUID | None = None,
) -> None:
    """Inside the caller's transaction: mark verified photos attached. Raises Conflict when any is no
    longer verified and unattached (a concurrent request attached it first)."""
    if not photos:
        return
    attached = await queries.attach(conn, [p.id for p in photos], submission_id=submission_id, action_id=action_id)
    missing = {p.id for p in photos} - attached
    if missing:
        raise photos_taken(missing)


async def find_reused(
    conn: asyncpg.Connection,
    org_id: UUID,
    photos: Collection[VerifiedPhoto],
    *,
    exclude_submission_id: UUID | None,
    threshold: int = REUSE_THRESHOLD,
) -> list[ReusedPhoto]:
    """Photos that look like (phash within `threshold` bits) the org's attached photos of other
    submissions, from the lookalikes linked when each was sealed. Only photos with at least one match
    are listed, in id order."""
    if not 0 <= threshold <= MAX_INDEXED_DISTANCE:
        raise ValueError(f"photos are linked to lookalikes up to {MAX_INDEXED_DISTANCE} bits apart")
    ids = [p.id for p in photos if p.phash is not None]
    if not ids:
        return []
    rows = await queries.reuse_matches(conn, org_id, ids, exclude_submission_id=exclude_submission_id,
                                       threshold=threshold)
    grouped: dict[UUID, list[PhotoMatch]] = {}
    for row in rows:
        grouped.setdefault(row.photo_id, []).append(
            PhotoMatch(photo_id=row.match_id, submission_id=row.submission_id, distance=row.distance)
        )
    return [ReusedPhoto(photo_id=pid, matches=grouped[pid]) for pid in sorted(grouped, key=str)]


# --- downloads ----------------------------------------------------------------------------------


async def _redacted_copy(pool: asyncpg.Pool, blobs: BlobStore, settings: Settings,
                         row: queries.DownloadableRow) -> str:
    """The branch's copy's key, written on the first manager request (so after the release). The redacted
    copy made at verification is not handed out as it is: S3 sends its Last-Modified with every GET, and
    that is the upload time, on site: the visit time (issue #14 item 2). So it is written again, under
    redacted_key_for, which the row then names. Only a photo sealed before verification made redacted
    copies is decoded here, through the same decode bound. Two racing requests write the same bytes to
    the same key, so no lock is needed."""
    key = redacted_key_for(row.org_id, row.id, row.created_at)
    if row.redacted_key == key:
        return key
    if row.redacted_key is not None:
        try:
            redacted = await blobs.read(row.redacted_key)
        except ClientError as exc:
            raise NotFound(f"photo {row.id} cannot be shown") from exc
        return await _keep_branch_copy(pool, blobs, row.id, key, redacted)
    try:
        async with _verification_turn():
            original = await blobs.read(row.object_key)
            redacted = await _decoder(settings).run(redact_to_jpeg, original, row.content_type,
                                                    max_pixels=settings.photo_max_pixels)
            del original
    except DecoderLost as exc:
        raise ServiceUnavailable("photo copies are unavailable for a moment; retry") from exc
    except (ClientError, ImageError) as exc:
        raise NotFound(f"photo {row.id} cannot be shown") from exc
    return await _keep_branch_copy(pool, blobs, row.id, key, redacted)


async def _keep_branch_copy(pool: asyncpg.Pool, blobs: BlobStore, photo_id: UUID, key: str, redacted: bytes) -> str:
    await blobs.put(key, redacted, "image/jpeg")
    async with pool.acquire() as conn:
        await queries.set_redacted_key(conn, photo_id, key)
    return key


async def download_url(
    pool: asyncpg.Pool, blobs: BlobStore, settings: Settings, principal: Principal, photo_id: UUID
) -> PhotoDownload:
    """A short-lived GET URL for a photo the caller may see (404 otherwise). Branch managers always get
    the redacted copy; the original stays private."""
    async with pool.acquire() as conn:
        row = await queries.downloadable(
            conn, photo_id, org_id=principal.org_id, user_id=principal.user_id, role=principal.role
        )
    if row is None:
        raise NotFound(f"photo {photo_id} not found")
    key = await _redacted_copy(pool, blobs, settings, row) if principal.role == "branch_manager" else row.object_key
    ttl = settings.download_url_ttl_seconds
    return PhotoDownload(photo_id=row.id, url=blobs.presign_get(key, ttl), expires_at=_now() + timedelta(seconds=ttl))


async def report_copy(
    pool: asyncpg.Pool, blobs: BlobStore, settings: Settings, principal: Principal, photo_id: UUID
) -> bytes | None:
    """The bytes of a bounded (<= REDACTED_MAX_SIDE px), pixels-only JPEG of a photo the caller may see, for
    PDF reports (reports/); None when it is outside the caller's scope or cannot be shown. Branch managers
    get exactly their download's copy (`_redacted_copy`); other roles the copy made at verification, or,
    for a photo sealed before copies were made, one decoded now through the same bound (not stored)."""
    async with pool.acquire() as conn:
        row = await queries.downloadable(
            conn, photo_id, org_id=principal.org_id, user_id=principal.user_id, role=principal.role
        )
    if row is None:
        return None
    try:
        if principal.role == "branch_manager":
            return await blobs.read(await _redacted_copy(pool, blobs, settings, row))
        if row.redacted_key is not None:
            return await blobs.read(row.redacted_key)
        async with _verification_turn():
            original = await blobs.read(row.object_key)
            return await _decoder(settings).run(redact_to_jpeg, original, row.content_type,
                                                max_pixels=settings.photo_max_pixels)
    except DecoderLost as exc:
        raise ServiceUnavailable("photo copies are unavailable for a moment; retry") from exc
    except (ClientError, ImageError, NotFound):
        return None


# --- cleanup ------------------------------------------------------------------------------------


async def _delete_objects(blobs: BlobStore, keys: Sequence[str]) -> None:
    limit = asyncio.Semaphore(DELETE_CONCURRENCY)

    async def one(key: str) -> None:
        async with limit:
            await blobs.delete(key)  # deleting a missing key succeeds: safe to repeat

    await asyncio.gather(*(one(key) for key in keys))


async def cleanup_stale_uploads(
    pool: asyncpg.Pool, blobs: BlobStore, *, older_than: timedelta, batch_size: int = CLEANUP_BATCH
) -> int:
    """Delete uploads never attached (pending or verified) created more than `older_than` ago: S3 objects
    first, then their rows, batch by batch. Rows are locked meanwhile, so a submission attaching one of
    them waits and then gets a Conflict rather than a row whose object is gone. Idempotent; returns the rows deleted."""
    if older_than < timedelta(0):
        raise ValueError("older_than must not be negative")
    total = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            stale = await queries.lock_stale(conn, older_than, batch_size)
            if stale:
                keys = [s.object_key for s in stale] + [k for s in stale for k in (s.upload_key, s.redacted_key) if k]
                await _delete_objects(blobs, keys)
                total += await queries.delete_unattached(conn, [s.id for s in stale])
        if len(stale) < batch_size:
            return total


__all__ = [
    "REUSE_THRESHOLD",
    "PhotoMatch",
    "ReusedPhoto",
    "VerifiedPhoto",
    "attach_photos",
    "cleanup_stale_uploads",
    "create_upload_slots",
    "download_url",
    "find_reused",
    "photos_taken",
    "stored_facts",
    "verify_photos",
    "verify_upload",
]
