"""Turn Postgres constraint violations into domain errors naming the field."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import asyncpg

from inspect_api.errors import Conflict


@contextmanager
def unique_violations_as_conflict(fields: Mapping[str, str], what: str) -> Iterator[None]:
    """`fields` maps a unique constraint (or unique index) name to the input field it guards, e.g.
    {"branches_org_id_code_key": "code"}; a violation becomes 409 naming that field. Use inside the
    transaction: the raised Conflict rolls it back."""
    try:
        yield
    except asyncpg.UniqueViolationError as exc:
        field = fields.get(exc.constraint_name or "")
        if field is None:
            raise
        raise Conflict(
            f"a {what} with this {field} already exists",
            extra={"errors": [{"field": field, "message": f"{field} is already taken"}]},
        ) from exc


@contextmanager
def still_referenced_as_conflict(message: str) -> Iterator[None]:
    """A delete refused by a foreign key (rows still point here) becomes 409 with `message`."""
    try:
        yield
    except asyncpg.ForeignKeyViolationError as exc:
        raise Conflict(message) from exc
