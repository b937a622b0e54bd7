"""HTTP routes for photos: upload slots (bytes go straight to S3) and short-lived download URLs.

    POST /uploads          inspector (purpose submission), branch manager (purpose action_evidence)
    POST /uploads/{id}/verify   the uploader, once S3 has the bytes: check and seal the photo now
    GET  /photos/{id}      every role, scoped in SQL; branch managers get an EXIF-free copy
"""

from __future__ import annotations

from typing import Final
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody

from inspect_api.auth.guards import ALL_ROLES, roles
from inspect_api.auth.principal import Caller
from inspect_api.errors import problem_responses
from inspect_api.photos import service
from inspect_api.photos.schemas import PhotoDownload, PhotoVerified, UploadRequest, UploadSlots
from inspect_api.resources import AppSettings, Blobs, Pool

# The URL inside expires within minutes and is personal: nobody may keep or share the answer.
NO_STORE: Final = {"Cache-Control": "private, no-store"}


def verified_out(photo: service.VerifiedPhoto) -> PhotoVerified:
    return PhotoVerified(
        photo_id=photo.id, status="verified", content_type=photo.content_type,  # type: ignore[arg-type]
        size_bytes=photo.size_bytes,
        has_location=photo.exif_latitude is not None and photo.exif_longitude is not None,
        has_capture_time=photo.exif_taken_at is not None,
    )


class UploadsController(Controller):
    path = "/uploads"
    tags = ("photos",)
    # The service also matches the purpose to the role: submission photos are the inspector's,
    # action evidence the branch manager's.
    opt = roles("inspector", "branch_manager")

    @post(
        "/",
        summary="Get presigned S3 POSTs for 1..20 photos",
        description="Each slot has a server-chosen key; S3 enforces the key, the Content-Type and "
        "1..max_bytes. Upload with multipart/form-data: every `fields` entry, then the file as `file`. "
        "Then call POST /uploads/{photo_id}/verify; photos not verified by then are verified when a "
        "submission or action uses them.",
        responses=problem_responses(403, 404, 422),
    )
    async def create_slots(
        self, principal: Caller, pool: Pool, blobs: Blobs, settings: AppSettings, data: JSONBody[UploadRequest]
    ) -> Response[UploadSlots]:
        slots = await service.create_upload_slots(pool, blobs, settings, principal, data)
        return Response(slots, status_code=201, headers=NO_STORE)

    @post(
        "/{photo_id:uuid}/verify",
        status_code=200,
        summary="Report an upload done: the photo is checked now and kept exactly as checked",
        description="One S3 read: size, type, magic numbers, the pixel count from the header (at most "
        "PHOTO_MAX_PIXELS, 50 MP by default, before anything is decoded), a full decode, perceptual hash "
        "and EXIF. The checked bytes are copied where no upload slot can write, so a later upload to the "
        "same slot changes nothing; the branch managers' copy is made from the same decode. Repeating the "
        "call answers the same. 422 names what is wrong with the photo (not uploaded, empty, too big, too "
        "many pixels, another type, not an image); 409 once a submission uses it.",
        responses=problem_responses(403, 404, 409, 422, 503),
    )
    async def verify(
        self, principal: Caller, pool: Pool, blobs: Blobs, settings: AppSettings, photo_id: FromPath[UUID]
    ) -> PhotoVerified:
        return verified_out(await service.verify_upload(pool, blobs, settings, principal, photo_id))


class PhotosController(Controller):
    path = "/photos"
    tags = ("photos",)
    opt = roles(*ALL_ROLES)

    @get(
        "/{photo_id:uuid}",
        summary="A short-lived download URL for a photo in the caller's scope",
        description="Inspectors: their own uploads. Admins: any photo of the org. Reviewers: photos of "
        "submissions in their scope. Regional leads and "
        "branch managers: photos of released submissions and action evidence in their branches; branch "
        "managers always get an upright JPEG copy at most 2048 px on the longer side, in sRGB, with nothing "
        "but pixels (no EXIF, GPS, device, time, XMP, comments or colour profile).",
        responses=problem_responses(404, 503),
    )
    async def download(
        self, principal: Caller, pool: Pool, blobs: Blobs, settings: AppSettings, photo_id: FromPath[UUID]
    ) -> Response[PhotoDownload]:
        answer = await service.download_url(pool, blobs, settings, principal, photo_id)
        return Response(answer, headers=NO_STORE)


routes = [UploadsController, PhotosController]
