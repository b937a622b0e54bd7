from __future__ import annotations

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from inspect_api.errors import ServiceUnavailable
from inspect_api.storage.blobs import BlobStore
from tests.integration.conftest import Engines


async def test_healthz_answers_without_dependencies(client: AsyncTestClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_with_both_engines(client: AsyncTestClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "checks": {"postgres": "ok", "s3": "ok"}}


async def test_readyz_names_s3_while_the_gateway_is_down(client: AsyncTestClient, engines: Engines) -> None:
    if engines.seaweed is None:
        pytest.skip("S3 is external; cannot stop it from a test")
    engines.seaweed.stop(grace=2)
    try:
        down = await client.get("/readyz")
        assert down.status_code == 503
        assert down.headers["content-type"].startswith("application/problem+json")
        body = down.json()
        assert body["checks"] == {"postgres": "ok", "s3": "failing"}
        assert "s3" in body["detail"] and "postgres" not in body["detail"]
    finally:
        engines.seaweed.start()
    back = await client.get("/readyz")
    assert back.status_code == 200, back.text


async def test_schema_is_served(client: AsyncTestClient) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert "/readyz" in response.json()["paths"]


async def test_s3_gateway_refuses_wrong_credentials(engines: Engines) -> None:
    """The embedded S3 is configured with a real key: a wrong secret is refused, not let through."""
    wrong = msgspec.structs.replace(engines.s3, secret_access_key="not-the-secret")
    with pytest.raises(ServiceUnavailable, match="403"):
        await BlobStore(wrong).check_bucket()
    await BlobStore(engines.s3).check_bucket()  # the right key still works
