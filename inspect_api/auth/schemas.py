"""Request and response bodies of the auth routes, and the e-mail/password constraints."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from inspect_api.auth.principal import Role
from inspect_api.auth.session_schemas import DeviceId, DeviceName

Email = Annotated[
    str,
    Meta(
        min_length=3,
        max_length=254,
        # Python (msgspec) and JSON Schema (ECMA) read a pattern alike only when spelled out: `\s` alone also
        # matches \x1c-\x1f and \x85 in Python, \ufeff in ECMA; a bare `$` also matches before a final
        # newline in Python, hence `$(?!\n)`. Otherwise a value passed the schema and failed here, or back.
        pattern=r"^[^@\s\x1c-\x1f\x85\ufeff]+@[^@\s\x1c-\x1f\x85\ufeff]+$(?!\n)",
        description="login e-mail (compared after NFKC and case folding)",
    ),
]
LoginPassword = Annotated[str, Meta(min_length=1, max_length=1024)]
# The rules beyond length (common passwords, the e-mail's name, runs): auth/password_rules.py, a 422.
NewPassword = Annotated[
    str,
    Meta(min_length=10, max_length=1024, description="10 to 1024 characters; not a common or easily guessed "
         "password, not containing the e-mail's name"),
]


class LoginIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    password: LoginPassword
    # Either names a device: the answer then also carries a refresh token of a new device session
    # (auth/sessions.py). A device_name alone names the session; a device_id alone is its name too.
    device_name: DeviceName | None = None
    device_id: DeviceId | None = None


class OrgRef(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    slug: str
    name: str


class MeOut(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UUID
    email: str
    display_name: str
    role: Role
    org: OrgRef
    region_ids: list[UUID]
    branch_ids: list[UUID]


class TokenOut(msgspec.Struct, frozen=True, kw_only=True):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    user: MeOut
    # With a device session (a login naming a device, or a refresh): the next refresh token (good for
    # one POST /auth/refresh), seconds until it lapses unused, and the session. Otherwise null.
    refresh_token: str | None = None
    refresh_expires_in: int | None = None
    session_id: UUID | None = None
