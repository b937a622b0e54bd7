"""Request parameters every feature shares, bounded so that no value reaches Postgres out of range
(an unbounded int became an asyncpg DataError, answered 500)."""

from __future__ import annotations

from typing import Annotated, Final

from litestar.params import Parameter, QueryParameter

MAX_OFFSET: Final = 1_000_000
INT4_MAX: Final = 2_147_483_647

# ?offset= of every paged list
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET, description="rows to skip (max 1,000,000)")]
# /forms/{key}/versions/{version}: versions are positive int4 in Postgres
VersionNumber = Annotated[int, Parameter(ge=1, le=INT4_MAX, description="form version number")]
