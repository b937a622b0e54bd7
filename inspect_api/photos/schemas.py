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
