"""OpenAPI document fixes: the schema says what the API really answers (checked by Schemathesis).

* Every route documents the problem+json answers any request may get: 400 (Litestar's validation,
  which the problem-details plugin re-shapes; Litestar's own 400 entry claims application/json), and
  on authenticated routes 401, 403 (role check) and 503 (the caller is loaded from Postgres); routes
  with a body also 413 (max_request_body_bytes) and 422 (text with NUL characters).
  Routes with a date or date-time query parameter also 422 (outside params.DAY_RANGE).
* Public routes (health, login) say they need no credentials.
* A constrained variadic tuple (`Annotated[tuple[X, ...], Meta(min_length=1)]`) documents items as X:
  Litestar 2.25 forgot to drop the Ellipsis there and documented `oneOf: [X, {}]`, i.e. anything.
* Integer bounds are documented as the exact integers (Litestar wrote `le=2**62` as a float).
* A bound of 0 (`ge=0`, e.g. offsets, percentages) is documented: Litestar 2.25 copies constraints with
  a truthiness test and dropped every zero bound, so `-5` looked schema-valid.
* Structs that refuse unknown fields declare `additionalProperties: false`, so a client (or a fuzzer)
  knows an extra field is an error rather than something ignored.
* Request schemas say what the handlers refuse (served document, `tighten_request_schemas`): a date or
  date-time lies in params.DAY_RANGE (a `pattern` on its year, the local date's for date-times), and
  free text holds no NUL (`^[^\\x00]*$`: Postgres text cannot store it, a 422), so a client or a fuzzer
  never takes either for valid input.
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
from litestar._openapi.plugin import OpenAPIPlugin
from litestar._openapi.schema_generation.plugins import StructSchemaPlugin
from litestar._openapi.schema_generation.schema import SchemaCreator
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Schema
from litestar.router import Router
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router

from inspect_api.errors import problem_responses
from inspect_api.params import MAX_DAY, MIN_DAY, RangedQueryParameter

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
        bound = getattr(definition, key, None) if definition is not None else None
        if bound == 0 and getattr(schema, schema_key) is None:
            setattr(schema, schema_key, 0)
        elif isinstance(bound, int) and getattr(schema, schema_key) is not None:
            # The exact integer: Litestar wrote parameter bounds as floats, and float(2**62) also admits
            # 2**62 + 95 (it rounds to the same float), which Schemathesis sent as valid and msgspec refused.
            setattr(schema, schema_key, bound)


SchemaCreator._apply_kwarg_definition_metadata = _apply_metadata_keeping_zero_bounds  # see module docstring
_for_constrained_collection = SchemaCreator.for_collection_constrained_field


def _for_constrained_collection_without_ellipsis(self: SchemaCreator, field_definition: Any) -> Schema:
    inner = tuple(f for f in field_definition.inner_types if f.annotation is not Ellipsis)
    if len(inner) != len(field_definition.inner_types):
        field_definition = dataclasses.replace(field_definition, inner_types=inner)  # FieldDefinition: a dataclass
    return _for_constrained_collection(self, field_definition)


SchemaCreator.for_collection_constrained_field = _for_constrained_collection_without_ellipsis


# Years MIN_DAY..MAX_DAY (2000..2100): the whole of params.DAY_RANGE, which runs 1 January to 31 December.
assert (MIN_DAY.year, MIN_DAY.month, MIN_DAY.day, MAX_DAY.month, MAX_DAY.day) == (2000, 1, 1, 12, 31)
assert MAX_DAY.year == 2100
DAY_RANGE_PATTERN: Final = "^(20[0-9]{2}|2100)-"
NO_NUL_PATTERN: Final = "^[^\\x00]*$"
_DATED_FORMATS: Final = {"date", "date-time"}
_REF_PREFIX: Final = "#/components/schemas/"


def _is_string_schema(node: dict[str, Any]) -> bool:
    kind = node.get("type")
    return kind == "string" or (isinstance(kind, list) and "string" in kind)


def _tighten(node: Any, components: dict[str, Any], seen: set[str]) -> bool:
    """Walk one request-side schema (following component refs once) and constrain its strings; whether
    any free text (now NUL-free) was found."""
    if isinstance(node, list):
        return any([_tighten(item, components, seen) for item in node])
    if not isinstance(node, dict):
        return False
    free_text = False
    if isinstance(ref := node.get("$ref"), str) and ref.startswith(_REF_PREFIX):
        name = ref.removeprefix(_REF_PREFIX)
        if name not in seen and name in components:
            seen.add(name)
            free_text = _tighten(components[name], components, seen)
    if "pattern" not in node and "enum" not in node and "const" not in node:
        # Litestar puts the format of an optional value beside its `oneOf: [string, null]`.
        # (isinstance: a `properties` map walked as a node may hold a member named "format".)
        if isinstance(node.get("format"), str) and node["format"] in _DATED_FORMATS:
            node["pattern"] = DAY_RANGE_PATTERN
        elif _is_string_schema(node) and "format" not in node:
            node["pattern"] = NO_NUL_PATTERN
            free_text = True
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            # A password is hashed, never stored as text: it may hold any character.
            value = {name: schema for name, schema in value.items() if "password" not in name}
        if key not in ("example", "examples", "default", "enum", "const") and isinstance(value, dict | list):
            free_text = _tighten(value, components, seen) or free_text
    return free_text


# Rules across the members of one body, by component.
_BODY_RULES: Final = {
    # service._branch_problems: latitude and longitude both, or neither (absent or null). A PATCH is
    # checked after merging with the stored branch, which no schema of the body can say.
    "BranchIn": {"anyOf": [
        {"required": ["latitude", "longitude"],
         "properties": {"latitude": {"type": "number"}, "longitude": {"type": "number"}}},
        {"properties": {"latitude": {"type": "null"}, "longitude": {"type": "null"}}},
    ]},
    # submissions.intake._new_target: a visit's submission names the visit only (branch and form come from
    # it); an ad-hoc inspection names its branch and form version instead.
    "SubmissionIn": {"oneOf": [
        {"required": ["visit_id"], "properties": {"visit_id": {"type": "string"}, "branch_id": {"type": "null"},
                                                   "form_version_id": {"type": "null"}}},
        {"required": ["branch_id", "form_version_id"],
         "properties": {"visit_id": {"type": "null"}, "branch_id": {"type": "string"},
                        "form_version_id": {"type": "string"}}},
    ]},
    # photos.service: a submission upload may name its visit, never an action; an evidence upload names
    # its action, never a visit.
    "UploadRequest": {"oneOf": [
        {"properties": {"purpose": {"const": "submission"}, "action_id": {"type": "null"}}},
        {"required": ["action_id"],
         "properties": {"purpose": {"const": "action_evidence"}, "action_id": {"type": "string"},
                        "visit_id": {"type": "null"}}},
    ]},
}


def tighten_request_schemas(document: dict[str, Any]) -> None:
    """Constrain every string a request may carry (parameters and bodies): see the module docstring. An
    operation with a free-text parameter documents the 422 that a NUL in it answers."""
    components = document.get("components", {}).get("schemas", {})
    for name, rule in _BODY_RULES.items():
        if name in components:
            components[name] |= rule
    seen: set[str] = set()
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            free_text_parameter = False
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "header" and _tighten(parameter.get("schema"), components, seen):
                    free_text_parameter = True
            _tighten(operation.get("requestBody"), components, seen)
            responses = operation.get("responses", {})
            _lists_of_either_shape(responses)
            if free_text_parameter and "422" not in responses and "400" in responses:
                responses["422"] = responses["400"] | {"description": "Unprocessable Entity"}


def _lists_of_either_shape(responses: dict[str, Any]) -> None:
    """A role-dependent list (`list[ReviewSummary] | list[SubmissionSummary]`) is documented as `oneOf` two
    arrays, which an empty list (valid under both) violates: say `anyOf` for a choice between arrays."""
    for response in responses.values():
        for media in (response.get("content") or {}).values() if isinstance(response, dict) else ():
            schema = media.get("schema") if isinstance(media, dict) else None
            options = schema.get("oneOf") if isinstance(schema, dict) else None
            if options and all(isinstance(o, dict) and o.get("type") == "array" for o in options):
                schema["anyOf"] = schema.pop("oneOf")


_provide_openapi_schema = OpenAPIPlugin.provide_openapi_schema


def _provide_tightened_openapi_schema(self: OpenAPIPlugin) -> dict[str, Any]:
    built = self._openapi_schema is not None
    document = _provide_openapi_schema(self)
    if not built:  # once, on the cached document that /schema serves
        tighten_request_schemas(document)
    return document


OpenAPIPlugin.provide_openapi_schema = _provide_tightened_openapi_schema  # type: ignore[method-assign]


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
