"""The HTTP request an audit row comes from: a `before_request` hook stores its id and client address in
a context variable, so services record them without every signature carrying them."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from typing import Any, Final

import msgspec
from litestar import Request

REQUEST_ID_HEADER: Final = "x-request-id"
# A caller's own request id is kept when it looks like one (bounded, printable); else a new one.
REQUEST_ID: Final = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")


class RequestContext(msgspec.Struct, frozen=True):
    request_id: str | None = None
    client_addr: str | None = None


# RequestContext is frozen: sharing the default is safe.
current: ContextVar[RequestContext] = ContextVar("audit_request", default=RequestContext())  # noqa: B039


async def remember_request(request: Request[Any, Any, Any]) -> None:
    """Litestar `before_request` hook (returns None: the request goes on)."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = given if REQUEST_ID.match(given) else str(uuid.uuid4())
    current.set(RequestContext(request_id=request_id, client_addr=request.client.host if request.client else None))
