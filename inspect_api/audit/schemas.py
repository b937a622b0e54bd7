"""Shapes of the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    at: datetime
    actor_id: UUID | None
    actor_role: str | None
    action: str
    target_type: str | None
    target_id: str | None
    before: Any
    after: Any
    request_id: str | None
    client_addr: str | None


class AuditFilters(msgspec.Struct, frozen=True, kw_only=True):
    actor_id: UUID | None = None
    target_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None  # paging: entries older than this id
    limit: int = 100
