"""Webhook endpoints, admin only (webhooks/__init__.py: delivery, order, retries, secrets).

    POST   /webhooks/endpoints                          create; the answer holds the secret, once
    GET    /webhooks/endpoints, /webhooks/endpoints/{id}
    PATCH  /webhooks/endpoints/{id}                     change, enable, disable
    DELETE /webhooks/endpoints/{id}
    POST   /webhooks/endpoints/{id}/rotate-secret       a new secret; the old one signs too for the overlap
    POST   /webhooks/endpoints/{id}/ping                queue a webhook.ping message
    GET    /webhooks/endpoints/{id}/deliveries          the delivery log, newest first, with each attempt
    POST   /webhooks/endpoints/{id}/deliveries/{delivery_id}/redeliver
"""

from __future__ import annotations

from typing import Annotated, Final
from uuid import UUID

from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, JSONBody, Parameter, QueryParameter

from inspect_api.auth.guards import roles
from inspect_api.auth.principal import Caller
from inspect_api.errors import problem_responses
from inspect_api.resources import AppSettings, Pool
from inspect_api.webhooks import service
from inspect_api.webhooks.schemas import (
    DeliveryOut,
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    Queued,
    RotateIn,
    SecretOut,
)
from inspect_api.webhooks.secret_box import settings_key

Limit = Annotated[int, QueryParameter(ge=1, le=200, description="page size")]
Before = Annotated[int | None, QueryParameter(ge=1, le=2**62, description="deliveries older than this id")]
DeliveryId = Annotated[int, Parameter(ge=1, le=2**62)]


class WebhookEndpointsController(Controller):
    path = "/webhooks/endpoints"
    tags = ("webhooks",)
    opt = roles("admin")

    @post("/", responses=problem_responses(403, 422), summary="Create an endpoint; its secret is shown once")
    async def create(self, principal: Caller, pool: Pool, settings: AppSettings, data: JSONBody[EndpointIn]
                     ) -> EndpointCreated:
        return await service.create_endpoint(pool, principal, data, allow_loopback=settings.webhook_allow_loopback,
                                             key=settings_key(settings))

    @get("/", responses=problem_responses(403))
    async def list_all(self, principal: Caller, pool: Pool) -> list[EndpointOut]:
        return await service.list_endpoints(pool, principal)

    @get("/{endpoint_id:uuid}", responses=problem_responses(403, 404))
    async def get_one(self, principal: Caller, pool: Pool, endpoint_id: FromPath[UUID]) -> EndpointOut:
        return await service.get_endpoint(pool, principal, endpoint_id)

    @patch("/{endpoint_id:uuid}", responses=problem_responses(403, 404, 422))
    async def change(self, principal: Caller, pool: Pool, settings: AppSettings, endpoint_id: FromPath[UUID],
                     data: JSONBody[EndpointPatch]) -> EndpointOut:
        return await service.update_endpoint(pool, principal, endpoint_id, data,
                                             allow_loopback=settings.webhook_allow_loopback)

    @delete("/{endpoint_id:uuid}", responses=problem_responses(403, 404))
    async def remove(self, principal: Caller, pool: Pool, endpoint_id: FromPath[UUID]) -> None:
        await service.delete_endpoint(pool, principal, endpoint_id)

    @post("/{endpoint_id:uuid}/rotate-secret", status_code=200, responses=problem_responses(403, 404))
    async def rotate(self, principal: Caller, pool: Pool, settings: AppSettings, endpoint_id: FromPath[UUID],
                     data: JSONBody[RotateIn]) -> SecretOut:
        return await service.rotate_secret(pool, principal, endpoint_id, data, key=settings_key(settings))

    @post("/{endpoint_id:uuid}/ping", status_code=202, responses=problem_responses(403, 404))
    async def ping(self, principal: Caller, pool: Pool, endpoint_id: FromPath[UUID]) -> Queued:
        return await service.ping(pool, principal, endpoint_id)

    @get("/{endpoint_id:uuid}/deliveries", responses=problem_responses(403, 404))
    async def deliveries(self, principal: Caller, pool: Pool, endpoint_id: FromPath[UUID], before: Before = None,
                         limit: Limit = 50) -> list[DeliveryOut]:
        return await service.list_deliveries(pool, principal, endpoint_id, before=before, limit=limit)

    @post("/{endpoint_id:uuid}/deliveries/{delivery_id:int}/redeliver", status_code=202,
          responses=problem_responses(403, 404))
    async def redeliver(self, principal: Caller, pool: Pool, endpoint_id: FromPath[UUID],
                        delivery_id: DeliveryId) -> Queued:
        return await service.redeliver(pool, principal, endpoint_id, delivery_id)


routes: Final = [WebhookEndpointsController]
