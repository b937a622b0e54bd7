"""Request parameters every feature shares, bounded so that no value reaches Postgres out of range
(an unbounded int became an asyncpg DataError, answered 500)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Final

from litestar.exceptions import ValidationException
from litestar.openapi.spec import OpenAPIFormat
from litestar.params import Parameter, QueryParameter

from inspect_api.errors import InvalidInput

MAX_OFFSET: Final = 1_000_000
INT4_MAX: Final = 2_147_483_647

# ?offset= of every paged list
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET, description="rows to skip (max 1,000,000)")]
# /forms/{key}/versions/{version}: versions are positive int4 in Postgres
VersionNumber = Annotated[int, Parameter(ge=1, le=INT4_MAX, description="form version number")]

# Every date and date-time parameter lies in one documented range. Python's date ends at 9999-12-31 and
# starts at 0001-01-01, so a period around either end (next month, the week before, a time at +14:00 in
# UTC) overflowed: a 500. Out of range is a 422 naming the parameter.
MIN_DAY: Final = date(2000, 1, 1)
MAX_DAY: Final = date(2100, 12, 31)
DAY_RANGE: Final = f"{MIN_DAY.isoformat()} to {MAX_DAY.isoformat()}"


class RangedQueryParameter(QueryParameter):
    """A query parameter whose value the handler checks against DAY_RANGE: openapi.py documents the 422."""


def day_param(description: str, *, name: str | None = None) -> QueryParameter:
    """A `date` query parameter's declaration; the handler passes the value through `checked_day`."""
    return RangedQueryParameter(name=name, description=f"{description} ({DAY_RANGE})")


def time_param(description: str, *, name: str | None = None) -> QueryParameter:
    """An ISO 8601 date-time query parameter; its local date (before any offset) lies in the day range."""
    return RangedQueryParameter(name=name, description=f"{description} (local date {DAY_RANGE})",
                                format=OpenAPIFormat.DATE_TIME)


def _out_of_range(field: str, shown: str) -> InvalidInput:
    return InvalidInput(f"{field}={shown} is outside {DAY_RANGE}",
                        extra={"errors": [{"field": field, "message": f"must be within {DAY_RANGE}",
                                           "source": "query"}]})


def checked_day(field: str, value: date | None) -> date | None:
    if value is not None and not MIN_DAY <= value <= MAX_DAY:
        raise _out_of_range(field, value.isoformat())
    return value


def checked_time(field: str, value: datetime | None) -> datetime | None:
    # The local date is checked, so converting to UTC (at most 14 h away) stays far inside Python's range.
    if value is not None and not MIN_DAY <= value.date() <= MAX_DAY:
        raise _out_of_range(field, value.isoformat())
    return value


def parse_time(field: str, raw: str | None) -> datetime | None:
    """An ISO 8601 date-time query parameter taken as text: Litestar's `datetime` parsing also accepted
    a bare number as a Unix timestamp (`?to=0.5` meant 1970), which the schema's format does not allow."""
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationException(f"query parameter {field!r}: expected an ISO 8601 date-time, got {raw!r}",
                                  extra=[{"message": "expected an ISO 8601 date-time", "key": field,
                                          "source": "query"}]) from None
    return checked_time(field, parsed)
