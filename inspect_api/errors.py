"""One error tree for the domain, mapped once to RFC 9457 problem details."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Annotated, Any, ClassVar, Final

import msgspec
from litestar import Request, Response
from litestar.config.app import AppConfig
from litestar.exceptions import HTTPException, ValidationException
from litestar.logging.config import LoggingConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import ParameterKwarg
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)

PROBLEM_TYPE_BASE: Final = "https://inspect-api.dev/problems/"


class DomainError(Exception):
    """Base of every error a service raises on purpose; subclasses pick the status and type."""

    status: ClassVar[int] = 400
    type_slug: ClassVar[str] = "bad-request"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class NotFound(DomainError):
    status = 404
    type_slug = "not-found"


class Forbidden(DomainError):
    status = 403
    type_slug = "forbidden"


class Unauthorized(DomainError):
    status = 401
    type_slug = "unauthorized"


class Conflict(DomainError):
    status = 409
    type_slug = "conflict"


class InvalidInput(DomainError):
    """Well-formed JSON that breaks a domain rule; `extra["errors"]` lists each field's problem."""

    status = 422
    type_slug = "invalid-input"


class ServiceUnavailable(DomainError):
    """A backing service (Postgres, S3) did not answer; the request wrote nothing."""

    status = 503
    type_slug = "service-unavailable"


# Members the problem document owns: `extra` never overrides them (a 409 once put an action's status
# string, e.g. "reopened", where RFC 9457 puts the HTTP status).
RESERVED_MEMBERS: Final = frozenset({"status", "title", "detail", "type", "instance"})
# The statuses whose problem always lists `errors: [{field, message}]` (issue #14 item 6).
STATUSES_WITH_FIELD_ERRORS: Final = frozenset({400, 422})


def field_errors(entries: Any) -> list[dict[str, Any]]:
    """Normalise a list of error entries to the documented FieldError shape: `field` and `message`
    always; `source` (body, query, path, header) and `row`/`column` (CSV imports) when given.
    Litestar's validation entries `{message, key, source}` name the field by `key`."""
    normalised: list[dict[str, Any]] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            normalised.append({"field": "body", "message": str(entry) or "invalid"})
            continue
        field = entry.get("field") or entry.get("key") or entry.get("column") or "body"
        shaped: dict[str, Any] = {"field": str(field), "message": str(entry.get("message") or "invalid")}
        shaped |= {k: entry[k] for k in ("source", "row", "column") if entry.get(k) is not None}
        normalised.append(shaped)
    return normalised


def _problem(status: int, slug: str, detail: str, extra: Any = None, headers: dict[str, str] | None = None):
    members = {k: v for k, v in (extra or {}).items() if k not in RESERVED_MEMBERS}
    if "errors" in members or status in STATUSES_WITH_FIELD_ERRORS:
        members["errors"] = field_errors(members.get("errors")) or [{"field": "body", "message": detail}]
    return ProblemDetailsException(
        status_code=status,
        type_=PROBLEM_TYPE_BASE + slug,
        title=HTTPStatus(status).phrase,
        detail=detail,
        extra=members or None,
        headers=headers,
    )


def _domain_to_problem(exc: DomainError) -> ProblemDetailsException:
    return _problem(exc.status, exc.type_slug, exc.detail, exc.extra or None)


def _http_to_problem(exc: HTTPException) -> ProblemDetailsException:
    # Litestar's validation errors carry a list of {message, key, source}; `_problem` makes them `errors`.
    extra: dict[str, Any] | None = None
    if isinstance(exc.extra, list):
        extra = {"errors": exc.extra}
    elif isinstance(exc.extra, dict):
        extra = exc.extra
    slug = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "-")
    return _problem(exc.status_code, slug, exc.detail, extra, exc.headers)


# Litestar's message for a required parameter that is absent; it carries no `key`, so without this the
# problem named `body` for a missing ?form_key=.
_MISSING_PARAMETER: Final = re.compile(r"^Missing required (query|header|cookie|path) parameter '([^']+)'")
_PARAMETER_SOURCES: Final = frozenset({"query", "header", "cookie", "path"})


def _parameter_names(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Handler argument -> the name the caller sent (`date_from` -> `from`)."""
    handler = request.scope.get("route_handler")
    signature = getattr(handler, "parsed_fn_signature", None)
    names: dict[str, str] = {}
    for argument, field in (signature.parameters.items() if signature is not None else ()):
        declared = field.kwarg_definition
        if isinstance(declared, ParameterKwarg):
            alias = declared.name or declared.query or declared.header or declared.cookie
            if alias and alias != argument:
                names[argument] = alias
    return names


def _named_as_sent(request: Request[Any, Any, Any], exc: ValidationException) -> ValidationException:
    """Litestar names a malformed parameter by the handler's argument (`date_from`) and a missing one not
    at all; the caller knows them as `from` and `form_key`, so the problem names those."""
    entries = exc.extra if isinstance(exc.extra, list) else []
    if not entries and (missing := _MISSING_PARAMETER.match(exc.detail)):
        entries = [{"key": missing[2], "message": "required", "source": missing[1]}]
    names = _parameter_names(request)
    renamed = [{**entry, "key": names.get(entry.get("key"), entry.get("key"))}
               if isinstance(entry, dict) and entry.get("source") in _PARAMETER_SOURCES else entry
               for entry in entries]
    return ValidationException(detail=exc.detail, extra=renamed or exc.extra, headers=exc.headers)


def _validation_problem(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    return _http_to_problem(_named_as_sent(request, exc)).to_response(request)


class _ProblemDetailsNamingParameters(ProblemDetailsPlugin):
    """Litestar's problem details plugin, plus a handler that names bad parameters as the caller sent
    them (it needs the request's route handler, which the plugin's exception map does not get)."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config = super().on_app_init(app_config)
        app_config.exception_handlers[ValidationException] = _validation_problem
        return app_config


def _unavailable_to_problem(exc: Exception) -> ProblemDetailsException:
    return _problem(503, "service-unavailable", f"a backing service is unavailable: {type(exc).__name__}")


def _unstorable_text_to_problem(exc: Exception) -> ProblemDetailsException:
    # PostgreSQL text cannot hold NUL (\u0000); without this a JSON string with one was a 500.
    return _problem(422, "invalid-input", "text may not contain NUL (\\u0000) characters")


def _connection_errors() -> tuple[type[Exception], ...]:
    """What an unreachable, restarting or shutting-down database raises: a 503 problem, not a 500."""
    import asyncpg  # local: keep errors.py importable without a driver in pure tests

    return (
        ConnectionError,
        TimeoutError,
        asyncpg.exceptions.PostgresConnectionError,  # SQLSTATE class 08: connection exceptions
        asyncpg.exceptions.OperatorInterventionError,  # class 57: shutting down, admin shutdown, crash
        asyncpg.exceptions.ConnectionDoesNotExistError,
        asyncpg.exceptions.InterfaceError,
        # Seen when Postgres shuts down between two statements on one connection: "cannot switch to
        # state 15; another operation (2) is in progress" at the next BEGIN (fault suite, 1 run in ~12).
        asyncpg.exceptions.InternalClientError,
    )


def problem_details_plugin() -> ProblemDetailsPlugin:
    import asyncpg  # local: keep errors.py importable without a driver in pure tests

    connection_errors: dict[type[Exception], Any] = {
        exc_type: _unavailable_to_problem for exc_type in _connection_errors()
    }
    return _ProblemDetailsNamingParameters(
        ProblemDetailsConfig(
            enable_for_all_http_exceptions=True,
            exception_to_problem_detail_map={
                HTTPException: _http_to_problem,
                DomainError: _domain_to_problem,
                **connection_errors,
                asyncpg.exceptions.CharacterNotInRepertoireError: _unstorable_text_to_problem,
                asyncpg.exceptions.UntranslatableCharacterError: _unstorable_text_to_problem,
            },
        )
    )


def logging_config() -> LoggingConfig:
    """Log every unexpected exception (a 500) with its traceback, in production too (Litestar's default
    logs them only in debug mode); answers given on purpose (4xx, outages as 503) are not logged."""
    import asyncpg

    expected: set[int | type[Exception]] = {
        *(400, 401, 403, 404, 405, 409, 412, 413, 415, 422, 429, 503),  # HTTPExceptions carry status_code
        # Litestar compares the exact class: list every subclass.
        *_with_subclasses(DomainError, *_connection_errors(), asyncpg.exceptions.CharacterNotInRepertoireError,
                          asyncpg.exceptions.UntranslatableCharacterError),
    }
    return LoggingConfig(log_exceptions="always", disable_stack_trace=expected)


def _with_subclasses(*bases: type[Exception]) -> set[type[Exception]]:
    found: set[type[Exception]] = set()
    pending = list(bases)
    while pending:
        cls = pending.pop()
        if cls not in found:
            found.add(cls)
            pending.extend(cls.__subclasses__())
    return found


def problem_response(request: Request, status: int, detail: str, extra: dict[str, Any]) -> Response:
    """For handlers that answer a problem without raising (e.g. readiness)."""
    return _problem(status, HTTPStatus(status).phrase.lower().replace(" ", "-"), detail, extra).to_response(
        request
    )


class FieldError(msgspec.Struct, omit_defaults=True):
    """One problem with one input: `field` names it (a body member such as `email` or `items[0].score`,
    a query or path parameter by name, `body` for the body as a whole), `message` says what is wrong."""

    field: str
    message: str
    source: str | None = None  # body, query, path or header, when known
    row: int | None = None  # CSV imports: the spreadsheet row (header = 1)
    column: str | None = None  # CSV imports: the column


class Problem(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details, as documented in the OpenAPI schema. `status` is always the HTTP
    status; 400 and 422 always carry a non-empty `errors` list."""

    status: int
    title: str
    detail: str
    type: str = "about:blank"
    errors: Annotated[list[FieldError], msgspec.Meta(min_length=1)] | None = None
    checks: dict[str, str] | None = None


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(
            data_container=Problem, media_type="application/problem+json", description=HTTPStatus(status).phrase,
            # Litestar would otherwise invent a random example per start-up (e.g. "status": 9923): noise in
            # the docs and a schema that differs between workers.
            generate_examples=False,
        )
        for status in statuses
    }
