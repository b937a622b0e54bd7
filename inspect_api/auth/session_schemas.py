"""Bodies of the device-session routes (auth/session_routes.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final
from uuid import UUID

import msgspec
from msgspec import Meta

REFRESH_TOKEN_PREFIX: Final = "rt_"
# "rt_" and 32 random bytes, url-safe base64 without padding.
RefreshToken = Annotated[
    str, Meta(pattern=r"^rt_[A-Za-z0-9_-]{43}$(?!\n)", description="a refresh token from POST /auth/login or "
              "/auth/refresh; each is good for one refresh")
]
DeviceName = Annotated[
    str, Meta(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$(?!\n)",
              description="the device as its owner would name it (shown in the session list)")
]
DeviceId = Annotated[
    str, Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$(?!\n)",
              description="the app's own stable id of the device: a new login from it replaces that "
                          "device's earlier session")
]


class RefreshIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    refresh_token: RefreshToken


class SessionOut(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    user_id: UUID
    device_name: str
    device_id: str | None
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime  # moves on with every refresh
