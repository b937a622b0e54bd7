"""Keyset paging for growing lists (issue #20): `?after=<cursor>` and a `Next-Cursor` response header.

A page asked with `offset` makes Postgres read and throw away every row before it, so page 20,000 of
/submissions cost 20,000 times page 1. A cursor names the last row of the previous page by its sort key
(e.g. the visit date and the id); the next page is an index range scan starting just after it, whatever
its depth, and rows inserted between two requests neither repeat nor shift the pages after them.

The cursor is opaque to clients: url-safe base64 of `v1|<list>|<sort key>|<uuid>`. The list name keeps a
cursor of /visits from being replayed on /submissions. Anything that does not decode is a 400 naming
`after`. `offset` keeps working on the same lists (the dashboard's numbered pager uses it) but is
deprecated for deep pages; the two together are refused (400 naming `offset`).

The next page's cursor travels in headers, so the body stays the list it always was:
`Next-Cursor: <cursor>` and `Link: <path?after=<cursor>&...>; rel="next"` (RFC 8288), both absent on the
last page.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Final, Generic, TypeVar
from urllib.parse import urlencode
from uuid import UUID

from litestar.datastructures import ResponseHeader
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter

NEXT_CURSOR_HEADER: Final = "Next-Cursor"
MAX_CURSOR_CHARS: Final = 200
# The start of every list: sorts after every real key (dates and times lie within 2000..2100).
FIRST_DAY: Final = date(9999, 12, 31)
FIRST_TIME: Final = datetime.fromisoformat("9999-12-31T00:00:00+00:00")
LAST_UUID: Final = UUID("ffffffff-ffff-ffff-ffff-ffffffffffff")

After = Annotated[
    str | None,
    QueryParameter(
        max_length=MAX_CURSOR_CHARS,
        description="keyset cursor: the `Next-Cursor` header of the previous page (deep pages cost what "
        "the first does; prefer it to `offset`)",
    ),
]

PAGING_HEADERS: Final = [
    ResponseHeader(name=NEXT_CURSOR_HEADER, required=False, documentation_only=True,
                   description="cursor of the next page (pass as `after`); absent on the last page"),
    ResponseHeader(name="Link", required=False, documentation_only=True,
                   description='`<...?after=...>; rel="next"` (RFC 8288)'),
]

K = TypeVar("K", date, datetime)
R = TypeVar("R")


def _bad(field: str, message: str) -> ValidationException:
    return ValidationException(f"query parameter {field!r}: {message}",
                               extra=[{"message": message, "key": field, "source": "query"}])


class Keyset(Generic[K]):
    """One list's cursor: a sort key of type date or datetime (descending), then the row id (descending)."""

    def __init__(self, name: str, kind: type[K]) -> None:
        self.name = name
        self.kind = kind

    def encode(self, key: K, row_id: UUID) -> str:
        raw = f"v1|{self.name}|{key.isoformat()}|{row_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str | None, *, offset: int = 0) -> tuple[K, UUID]:
        """The position to start after: the start of the list for None; 400 naming `after` if malformed."""
        if cursor is None:
            return (FIRST_DAY if self.kind is date else FIRST_TIME), LAST_UUID  # type: ignore[return-value]
        if offset:
            raise _bad("offset", "cannot be combined with after (a cursor already says where the page starts)")
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            version, name, key_text, id_text = raw.split("|")
            if version != "v1" or name != self.name:
                raise ValueError
            key = self.kind.fromisoformat(key_text)
            if self.kind is date and isinstance(key, datetime):
                raise ValueError
            if isinstance(key, datetime) and key.tzinfo is None:
                raise ValueError
            return key, UUID(id_text)  # type: ignore[return-value]
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise _bad("after", "not a cursor of this list (pass the Next-Cursor header of the previous page)") \
                from None


def next_page(
    rows: Sequence[R], limit: int, keyset: Keyset[K], key_of: Callable[[R], tuple[K, UUID]]
) -> tuple[list[R], str | None]:
    """Rows were fetched with limit + 1: cut the extra one and, if there was one, the next page's cursor."""
    if len(rows) <= limit:
        return list(rows), None
    page = list(rows[:limit])
    return page, keyset.encode(*key_of(page[-1]))


def link_headers(cursor: str | None, path: str, query: dict[str, str]) -> dict[str, str]:
    """`Next-Cursor` and `Link: rel="next"` (the same filters, `after` instead of any offset)."""
    if cursor is None:
        return {}
    params = {k: v for k, v in query.items() if k not in ("after", "offset")}
    params["after"] = cursor
    return {NEXT_CURSOR_HEADER: cursor, "Link": f'<{path}?{urlencode(params)}>; rel="next"'}


_PARSERS: Final = {
    date: lambda text: date.fromisoformat(text) if "T" not in text else _raise(),
    datetime: lambda text: _aware(datetime.fromisoformat(text)),
    int: int,
    UUID: UUID,
}


def _raise() -> None:
    raise ValueError


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError
    return value


class TupleKeyset:
    """A cursor over an ascending sort key of several columns, the last one the row id (e.g. /actions:
    due date, priority rank, created_at, id). The SQL compares `(cols...) > (cursor...)`."""

    def __init__(self, name: str, kinds: tuple[type, ...], start: tuple[object, ...]) -> None:
        self.name = name
        self.kinds = kinds
        self.start = start  # sorts before every real row

    def encode(self, *parts: object) -> str:
        text = "|".join(p.isoformat() if isinstance(p, date) else str(p) for p in parts)
        return base64.urlsafe_b64encode(f"v1|{self.name}|{text}".encode()).decode().rstrip("=")

    def decode(self, cursor: str | None, *, offset: int = 0) -> tuple[object, ...]:
        if cursor is None:
            return self.start
        if offset:
            raise _bad("offset", "cannot be combined with after (a cursor already says where the page starts)")
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            version, name, *texts = raw.split("|")
            if version != "v1" or name != self.name or len(texts) != len(self.kinds):
                raise ValueError
            return tuple(_PARSERS[kind](text) for kind, text in zip(self.kinds, texts, strict=True))
        except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError):
            raise _bad("after", "not a cursor of this list (pass the Next-Cursor header of the previous page)") \
                from None


def next_tuple_page(rows: Sequence[R], limit: int, keyset: TupleKeyset,
                    key_of: Callable[[R], tuple[object, ...]]) -> tuple[list[R], str | None]:
    """Like next_page, for a TupleKeyset."""
    if len(rows) <= limit:
        return list(rows), None
    page = list(rows[:limit])
    return page, keyset.encode(*key_of(page[-1]))
