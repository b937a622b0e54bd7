"""OpenAPI document fixes: the schema says what the API really answers (checked by Schemathesis).

* Every route documents the problem+json answers any request may get: 400 (Litestar's validation,
  which the problem-details plugin re-shapes; Litestar's own 400 entry claims application/json), and
  on authenticated routes 401, 403 (role check) and 503 (the caller is loaded from Postgres); routes
  with a body also 413 (max_request_body_bytes) and 422 (text with NUL characters).
  Routes with a date or date-time query parameter also 422 (outside params.DAY_RANGE).
* Public routes (health, login) say they need no credentials.
* A constrained variadic tuple (`Annotated[tuple[X, ...], Meta(min_length=1)]`) documents items as X:
  Litestar 2.25 forgot to drop the Ellipsis there and documented `oneOf: [X, {}]`, i.e. anything.
* A bound of 0 (`ge=0`, e.g. offsets, percentages) is documented: Litestar 2.25 copies constraints with
  a truthiness test and dropped every zero bound, so `-5` looked schema-valid.
* Structs that refuse unknown fields declare `additionalProperties: false`, so a client (or a fuzzer)
  knows an extra field is an error rather than something ignored.
* The docs UI (Swagger UI at /schema and /schema/swagger) loads its scripts, stylesheet and icon from
  the service (openapi_assets/, served under /schema/assets), never from a CDN: Litestar's defaults
  pointed at `@latest` CDN builds without integrity checks, and failed offline and in mainland China.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any, Final

import msgspec
from litestar import Litestar
from litestar._openapi.schema_generation.plugins import StructSchemaPlugin
from litestar._openapi.schema_generation.schema import SchemaCreator
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Schema
from litestar.router import Router
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router

from inspect_api.errors import problem_responses
from inspect_api.params import RangedQueryParameter

BODY_METHODS = {"POST", "PUT", "PATCH"}
SCHEMA_PATH: Final = "/schema"
DOCS_ASSETS_PATH: Final = f"{SCHEMA_PATH}/assets"  # public: PUBLIC_PATHS lets all of ^/schema through
DOCS_ASSETS_DIR: Final = Path(__file__).parent / "openapi_assets"
SWAGGER: Final = f"{DOCS_ASSETS_PATH}/swagger-ui"
_ZERO_BOUNDS = {"ge": "minimum", "gt": "exclusive_minimum", "le": "maximum", "lt": "exclusive_maximum"}
_apply_metadata = SchemaCreator._apply_kwarg_definition_metadata


def _apply_metadata_keeping_zero_bounds(self: SchemaCreator, field: Any, schema: Schema) -> None:
    _apply_metadata(self, field, schema)
    definition = field.kwarg_definition
    for key, schema_key in _ZERO_BOUNDS.items():
        if definition is not None and getattr(definition, key, None) == 0 and getattr(schema, schema_key) is None:
            setattr(schema, schema_key, 0)


SchemaCreator._apply_kwarg_definition_metadata = _apply_metadata_keeping_zero_bounds  # see module docstring
_for_constrained_collection = SchemaCreator.for_collection_constrained_field


def _for_constrained_collection_without_ellipsis(self: SchemaCreator, field_definition: Any) -> Schema:
    inner = tuple(f for f in field_definition.inner_types if f.annotation is not Ellipsis)
    if len(inner) != len(field_definition.inner_types):
        field_definition = dataclasses.replace(field_definition, inner_types=inner)  # FieldDefinition: a dataclass
    return _for_constrained_collection(self, field_definition)


SchemaCreator.for_collection_constrained_field = _for_constrained_collection_without_ellipsis


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """Litestar's Struct schema, plus `additionalProperties: false` for `forbid_unknown_fields` Structs."""

    def is_plugin_supported_field(self, field_definition: Any) -> bool:
        if not super().is_plugin_supported_field(field_definition):
            return False
        info = msgspec.inspect.type_info(field_definition.type_)
        return bool(getattr(info, "forbid_unknown_fields", False))

    def to_openapi_schema(self, field_definition: Any, schema_creator: Any) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        schema.additional_properties = False
        return schema


def _is_public(handler: HTTPRouteHandler, path: str, public_paths: list[str]) -> bool:
    return bool(handler.opt.get("exclude_from_auth")) or any(re.search(p, path) for p in public_paths)


def _has_ranged_parameter(handler: HTTPRouteHandler) -> bool:
    return any(isinstance(field.kwarg_definition, RangedQueryParameter)
               for field in handler.parsed_fn_signature.parameters.values())


def document_problems(app: Litestar, public_paths: list[str]) -> None:
    """Add the problem answers every route can give to each handler's documented responses (a handler's
    own entry for a status wins). Runs before the schema is first built."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.include_in_schema is False:
                continue
            statuses = [400]
            if _is_public(handler, route.path, public_paths):
                # JWTAuth adds its bearer requirement to the app layer, so every operation inherits it and
                # Litestar drops a handler's `security=[]`. `[{}]` is OpenAPI for "no credentials needed".
                handler._resolved_security = [{}]
            else:
                statuses += [401, 403, 503]
            if BODY_METHODS & set(handler.http_methods):
                statuses += [413, 422]  # 422: text Postgres cannot store (NUL), see errors.py
            elif _has_ranged_parameter(handler):
                statuses += [422]  # a date outside params.DAY_RANGE
            common = problem_responses(*statuses)
            handler.responses = common | dict(handler.responses or {})


def docs_ui() -> SwaggerRenderPlugin:
    """Swagger UI, at /schema and /schema/swagger, with every asset served by the app itself."""
    return SwaggerRenderPlugin(
        js_url=f"{SWAGGER}/swagger-ui-bundle.js",
        css_url=f"{SWAGGER}/swagger-ui.css",
        standalone_preset_js_url=f"{SWAGGER}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{SWAGGER}/favicon-32x32.png'>",
        path="/swagger",
    )


def docs_assets_router() -> Router:
    return create_static_files_router(
        path=DOCS_ASSETS_PATH, directories=[DOCS_ASSETS_DIR], name="docs-assets", include_in_schema=False,
        opt={"exclude_from_auth": True},
    )
