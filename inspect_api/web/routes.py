"""The dashboard's routes: `/` answers the HTML shell, `/static/...` its scripts and styles.

Both are public (the shell shows the login form); everything the page shows comes from the API's own
endpoints, called by the page with the bearer token it got from POST /auth/login."""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from litestar import Response, get
from litestar.datastructures import State
from litestar.router import Router
from litestar.static_files import create_static_files_router

from inspect_api.settings import S3Settings, Settings

STATIC_DIR: Final = Path(__file__).parent / "static"
STATIC_PATH: Final = "/static"
CSP_PLACEHOLDER: Final = "{{CSP}}"
AWS_S3_ORIGINS: Final = "https://*.amazonaws.com"


def s3_origin(s3: S3Settings) -> str:
    """Where the browser fetches photos and posts evidence uploads: the public S3 endpoint's origin."""
    endpoint = s3.public_endpoint_url or s3.endpoint_url
    if not endpoint:
        return AWS_S3_ORIGINS
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(s3: S3Settings) -> str:
    """For the dashboard page only (a <meta> in the shell: the app-wide header keeps frame-ancestors, and
    the docs UI keeps its inline script). Scripts and styles come from this origin alone; photos and
    evidence uploads also go to S3."""
    origin = s3_origin(s3)
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' data: blob: {origin}",
        f"connect-src 'self' {origin}",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ))


@cache
def _shell_template() -> str:
    return (STATIC_DIR / "index.html").read_text(encoding="utf-8")


def render_shell(settings: Settings) -> str:
    return _shell_template().replace(CSP_PLACEHOLDER, html.escape(content_security_policy(settings.s3), quote=True))


@get("/", exclude_from_auth=True, include_in_schema=False, media_type="text/html", sync_to_thread=False)
def dashboard(state: State) -> Response[str]:
    # The shell changes with the package, never per user: short cache so an upgrade shows at once.
    return Response(render_shell(state.settings), media_type="text/html; charset=utf-8",
                    headers={"Cache-Control": "no-cache"})


def static_router() -> Router:
    return create_static_files_router(
        path=STATIC_PATH, directories=[STATIC_DIR], name="dashboard-static", include_in_schema=False,
        opt={"exclude_from_auth": True},
    )


def web_routes() -> list[object]:
    return [dashboard, static_router()]
