"""The app factory: routes, DI, lifespan, plugins. Nothing here runs at import time."""

from __future__ import annotations

from typing import Final

from litestar import Litestar
from litestar.datastructures import MutableScopeHeaders, State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.types import Message, Scope

from inspect_api.actions import loop as action_loop
from inspect_api.actions import reminders as action_reminders
from inspect_api.actions.routes import routes as action_routes
from inspect_api.appeals.routes import routes as appeal_routes
from inspect_api.audit.context import remember_request
from inspect_api.audit.routes import routes as audit_routes
from inspect_api.auth.principal import provide_principal
from inspect_api.auth.routes import LOGIN_RATE_LIMIT_STORE, auth_routes
from inspect_api.auth.tokens import PUBLIC_PATHS, build_jwt_auth
from inspect_api.errors import logging_config, problem_details_plugin
from inspect_api.events.routes import routes as event_routes
from inspect_api.forms.routes import routes as form_routes
from inspect_api.health.routes import routes as health_routes
from inspect_api.jobs import register_job
from inspect_api.json_body import MAX_JSON_DEPTH, DepthCheckedRequest
from inspect_api.openapi import SCHEMA_PATH, StrictStructSchemaPlugin, docs_assets_router, docs_ui, document_problems
from inspect_api.org.routes import routes as org_routes
from inspect_api.params import DAY_RANGE
from inspect_api.photos.routes import routes as photo_routes
from inspect_api.process_memory import limit_malloc_arenas
from inspect_api.programmes import jobs as programme_jobs
from inspect_api.programmes.routes import routes as programme_routes
from inspect_api.rankings import rollups
from inspect_api.rankings.routes import routes as ranking_routes
from inspect_api.reports.routes import routes as report_routes
from inspect_api.resources import (
    lifespan_for,
    provide_blobs,
    provide_pool,
    provide_read_pool,
    provide_settings,
    provide_stores,
)
from inspect_api.settings import Settings
from inspect_api.storage.kv_store import PostgresStore
from inspect_api.submissions import partitions as submission_partitions
from inspect_api.submissions.hooks import on_correction, on_release
from inspect_api.submissions.routes import routes as submission_routes
from inspect_api.visits.routes import routes as visit_routes
from inspect_api.web.routes import web_routes
from inspect_api.webhooks.routes import routes as webhook_routes

__all__ = ["create_app", "register_periodic_jobs", "register_release_hooks"]

# On every answer: problems, 404s, exports and the docs pages too. The docs page needs its inline script,
# so the CSP only forbids framing (clickjacking); the JSON answers run no script anyway.
SECURITY_HEADERS: Final = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
}


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A `before_send` hook: Litestar runs it for every response it sends, including the ones its
    exception handling and router (404, 405) produce, which app-level `response_headers` miss.
    The `Server` banner is uvicorn's: cli.py turns it off."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        for name, value in SECURITY_HEADERS.items():
            headers[name] = value
        headers.pop("server", None)


def register_release_hooks() -> None:
    """The features that react to a release (submissions/hooks.py): rankings derive per-item facts and
    roll-ups, actions open follow-ups and recheck earlier ones. Idempotent; anything that releases
    (the app, the demo seed) calls it first, and a release with none registered is refused."""
    on_release(rollups.add_release)
    on_release(action_loop.on_release)
    # A corrected released result (an accepted appeal, #17) re-derives the same rows from its new revision.
    on_correction(rollups.correct_release)
    on_correction(action_loop.on_correction)


def register_periodic_jobs() -> None:
    """The periodic jobs `inspect-api worker` and `inspect-api dev` run (inspect_api/jobs): features
    register here so the jobs module imports none of them. Idempotent."""
    register_job(action_reminders.reminder_job())  # action.due_soon / action.overdue (ACTION_DUE_SOON_HOURS)
    for programme_job in programme_jobs.periodic_jobs():  # programmes.generate, visits.missed (#17)
        register_job(programme_job)
    register_job(submission_partitions.partitions_job())  # the next months' partitions (migrations/0052)


def create_app(settings: Settings) -> Litestar:
    """Build the app; the DB pool and S3 client open in its lifespan."""
    limit_malloc_arenas()  # before the worker's threads start (process_memory.py)
    jwt_auth = build_jwt_auth(settings)  # bearer tokens + the role check on every route (auth/guards.py)
    register_release_hooks()
    app = Litestar(
        route_handlers=[
            *health_routes,
            *auth_routes(settings, jwt_auth),
            *org_routes,
            *visit_routes,
            *programme_routes,
            *form_routes,
            *photo_routes,
            *submission_routes,
            *action_routes,
            *appeal_routes,
            *ranking_routes,
            *report_routes,
            *event_routes,
            *webhook_routes,
            *audit_routes,
            docs_assets_router(),
            *web_routes(),  # the dashboard: `/` and /static (web/)
        ],
        on_app_init=[jwt_auth.on_app_init],
        lifespan=[lifespan_for(settings)],
        state=State({"settings": settings}),
        dependencies={  # the one way a handler gets the caller and the stores (resources.py)
            "principal": Provide(provide_principal, sync_to_thread=False),
            "pool": Provide(provide_pool, sync_to_thread=False),
            "blobs": Provide(provide_blobs, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "stores": Provide(provide_stores, sync_to_thread=False),
            "read_pool": Provide(provide_read_pool),  # DATABASE_READ_URL's replica or the primary
        },
        plugins=[problem_details_plugin(), StrictStructSchemaPlugin()],
        logging_config=logging_config(),
        request_class=DepthCheckedRequest,  # JSON bodies: depth limit, strict decoding (json_body.py)
        before_send=[add_security_headers],
        before_request=remember_request,  # the request id and client address audit rows carry
        openapi_config=OpenAPIConfig(
            title="inspect_api",
            version="0.1.0",
            description=(
                "Mystery-shopper and in-store service inspections.\n\n"
                "Errors are RFC 9457 problem documents (application/problem+json) whose `status` is the HTTP "
                "status. Every 400 (the request does not match the schema) and 422 (it breaks a domain rule) "
                "lists `errors: [{field, message}]` (FieldError). JSON bodies nest at most "
                f"{MAX_JSON_DEPTH} arrays/objects deep; dates and date-times lie within {DAY_RANGE}."
            ),
            path=SCHEMA_PATH,
            render_plugins=[docs_ui()],  # assets served by the app, not a CDN (openapi.py)
        ),
        request_max_body_size=settings.max_request_body_bytes,
        # Shared by every replica (issue #20): the per-address login limit lives in Postgres, not in memory.
        stores={LOGIN_RATE_LIMIT_STORE: PostgresStore(lambda: app.state.resources.pool, "login_rate/")},
    )
    document_problems(app, PUBLIC_PATHS)  # the schema lists the problem answers every route can give
    return app
