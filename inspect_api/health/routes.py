"""Liveness (`/healthz`) and readiness (`/readyz`: Postgres and the S3 bucket answer)."""

from __future__ import annotations

import asyncio
from typing import Final, Literal

import msgspec
from litestar import Request, Response, get

from inspect_api.errors import problem_response, problem_responses
from inspect_api.resources import Blobs, Pool

CHECK_TIMEOUT_SECONDS: Final = 3.0

CheckState = Literal["ok", "failing"]


class Liveness(msgspec.Struct):
    status: Literal["ok"] = "ok"


class Readiness(msgspec.Struct):
    status: Literal["ready"]
    checks: dict[str, CheckState]


async def _check(probe) -> str | None:
    """None when the probe answered in time, else a short reason."""
    try:
        await asyncio.wait_for(probe(), CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return "timed out"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:200]
    return None


# security=[]: public routes say so in the schema (the app-wide bearer requirement does not apply).
@get("/healthz", tags=["ops"], summary="The process is up", exclude_from_auth=True, security=[])
async def healthz() -> Liveness:
    return Liveness()


@get(
    "/readyz",
    tags=["ops"],
    summary="Postgres and S3 answer (503 names the failing one)",
    exclude_from_auth=True,
    security=[],
    responses=problem_responses(503),
)
async def readyz(
    request: Request, pool: Pool, blobs: Blobs
) -> Response[Readiness]:  # one documented 200 shape (a union made it `oneOf: [{}, Readiness]`)
    async def postgres() -> None:
        async with pool.acquire(timeout=CHECK_TIMEOUT_SECONDS) as conn:
            await conn.fetchval("SELECT 1")

    failures = {
        name: reason
        for name, reason in zip(
            ("postgres", "s3"), await asyncio.gather(_check(postgres), _check(blobs.check_bucket)), strict=True
        )
        if reason is not None
    }
    if failures:
        checks = {name: ("failing" if name in failures else "ok") for name in ("postgres", "s3")}
        return problem_response(
            request, 503, "not ready: " + ", ".join(f"{n} ({r})" for n, r in failures.items()), {"checks": checks}
        )
    return Response(Readiness(status="ready", checks={"postgres": "ok", "s3": "ok"}))


routes = [healthz, readyz]
