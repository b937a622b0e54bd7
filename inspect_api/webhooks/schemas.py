"""Bodies of the webhook routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from inspect_api.events.schemas import EventType

Shape = Literal["admin", "branch_manager"]
Url = Annotated[str, Meta(min_length=8, max_length=2000, pattern=r"^https?://\S+$(?!\n)")]
Description = Annotated[str, Meta(max_length=500)]
EventTypes = Annotated[list[EventType], Meta(max_length=64, description="empty: every type")]
Ids = Annotated[list[UUID], Meta(max_length=1000)]
OverlapSeconds = Annotated[int, Meta(ge=0, le=7 * 86400, description="how long the old secret still signs")]


class EndpointIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url
    description: Description = ""
    event_types: EventTypes = []
    branch_ids: Ids = []  # with region_ids empty too: every branch (and events naming none)
    region_ids: Ids = []
    # The payload's role shape: "branch_manager" sends only what a branch manager may see, shaped so.
    shape: Shape = "admin"


class EndpointPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    event_types: EventTypes | UnsetType = UNSET
    branch_ids: Ids | UnsetType = UNSET
    region_ids: Ids | UnsetType = UNSET
    shape: Shape | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET


class EndpointOut(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    url: str
    description: str
    event_types: list[str]
    branch_ids: list[UUID]
    region_ids: list[UUID]
    shape: Shape
    enabled: bool
    disabled_reason: str | None
    previous_secret_until: datetime | None  # the old secret's last moment during a rotation
    created_at: datetime
    updated_at: datetime


class EndpointCreated(msgspec.Struct, frozen=True, kw_only=True):
    endpoint: EndpointOut
    secret: str  # shown this once


class RotateIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    overlap_seconds: OverlapSeconds = 86400


class SecretOut(msgspec.Struct, frozen=True, kw_only=True):
    secret: str  # shown this once
    previous_secret_until: datetime | None


class AttemptOut(msgspec.Struct, frozen=True, kw_only=True):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    latency_ms: int
    response_excerpt: str


class DeliveryOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    message_id: UUID  # the webhook-id header
    event_id: int
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    log: list[AttemptOut]


class Queued(msgspec.Struct, frozen=True, kw_only=True):
    delivery_id: int
