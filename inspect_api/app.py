"""The app factory: routes, DI, lifespan, plugins. Nothing here runs at import time."""

from __future__ import annotations

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin

from inspect_api.actions.routes import routes as action_routes
from inspect_api.auth.routes import auth_routes
from inspect_api.auth.tokens import PUBLIC_PATHS, build_jwt_auth
from inspect_api.errors import logging_config, problem_details_plugin
from inspect_api.forms.routes import routes as form_routes
from inspect_api.health.routes import routes as health_routes
from inspect_api.openapi import StrictStructSchemaPlugin, document_problems
from inspect_api.org.routes import routes as org_routes
from inspect_api.photos.routes import routes as photo_routes
from inspect_api.rankings.routes import routes as ranking_routes
from inspect_api.resources import lifespan_for, provide_blobs, provide_pool, provide_settings, provide_stores
from inspect_api.settings import Settings
from inspect_api.submissions.routes import routes as submission_routes
from inspect_api.visits.routes import routes as visit_routes

__all__ = ["create_app"]


def create_app(settings: Settings) -> Litestar:
    """Build the app; the DB pool and S3 client open in its lifespan."""
    jwt_auth = build_jwt_auth(settings)  # bearer tokens + the role check on every route (auth/guards.py)
    app = Litestar(
        route_handlers=[
            *health_routes,
            *auth_routes(settings, jwt_auth),
            *org_routes,
            *visit_routes,
            *form_routes,
            *photo_routes,
            *submission_routes,
            *action_routes,
            *ranking_routes,
        ],
        on_app_init=[jwt_auth.on_app_init],
        lifespan=[lifespan_for(settings)],
        state=State({"settings": settings}),
        dependencies={
            "pool": Provide(provide_pool, sync_to_thread=False),
            "blobs": Provide(provide_blobs, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "stores": Provide(provide_stores, sync_to_thread=False),
        },
        plugins=[problem_details_plugin(), StrictStructSchemaPlugin()],
        logging_config=logging_config(),
        openapi_config=OpenAPIConfig(
            title="inspect_api",
            version="0.1.0",
            description="Mystery-shopper and in-store service inspections.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        ),
        request_max_body_size=settings.max_request_body_bytes,
    )
    document_problems(app, PUBLIC_PATHS)  # the schema lists the problem answers every route can give
    return app
