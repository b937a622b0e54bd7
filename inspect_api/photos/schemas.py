"""Request and response shapes for uploads and photo downloads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal
from uuid import UUID

import msgspec

from inspect_api.photos.images import ContentType

MAX_FILES_PER_REQUEST: Final = 20

Purpose = Literal["submission", "action_evidence"]


class UploadFile(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    content_type: ContentType


class UploadRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Ask for upload slots. `submission`: an inspector's photos, optionally for one of their visits.
    `action_evidence`: a branch manager's evidence for a follow-up action of one of their branches."""

    purpose: Purpose
    files: Annotated[list[UploadFile], msgspec.Meta(min_length=1, max_length=MAX_FILES_PER_REQUEST)]
    visit_id: UUID | None = None
    action_id: UUID | None = None


class UploadSlot(msgspec.Struct, kw_only=True):
    """POST `fields` plus the file (as the last form part, named `file`) to `url` as multipart/form-data.
    S3 refuses another key, another Content-Type, an empty file or one over `max_bytes`."""

    photo_id: UUID
    object_key: str
    content_type: ContentType
    url: str
    fields: dict[str, str]


class UploadSlots(msgspec.Struct, kw_only=True):
    slots: list[UploadSlot]  # in the order of the request's `files`
    max_bytes: int
    expires_at: datetime  # the presigned POSTs stop working then; unused slots are cleaned up later


class PhotoDownload(msgspec.Struct, kw_only=True):
    photo_id: UUID
    url: str  # short-lived presigned GET
    expires_at: datetime


class PhotoVerified(msgspec.Struct, kw_only=True):
    """The upload is checked (type sniffed, decoded, size) and kept as checked; a submission or action
    can now use it without further S3 work. What the proof of visit will have to go on is shown so the
    phone can warn at once (e.g. location off in the camera)."""

    photo_id: UUID
    status: Literal["verified"]
    content_type: ContentType
    size_bytes: int
    has_location: bool  # EXIF GPS position present
    has_capture_time: bool  # EXIF DateTimeOriginal present
