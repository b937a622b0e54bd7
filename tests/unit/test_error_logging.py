"""Which exceptions are logged with a traceback: unexpected ones (500s), not answers given on purpose."""

from __future__ import annotations

import asyncpg
from litestar.exceptions import NotAuthorizedException, ValidationException

from inspect_api.errors import Conflict, NotFound, ServiceUnavailable, logging_config


def logged(exc_type: type[Exception]) -> bool:
    """Litestar's rule: no trace when the exact class or its status_code is in disable_stack_trace."""
    config = logging_config()
    assert config.log_exceptions == "always"
    return {exc_type, getattr(exc_type, "status_code", None)}.isdisjoint(config.disable_stack_trace)


def test_unexpected_errors_are_logged_and_expected_answers_are_not() -> None:
    for unexpected in (RuntimeError, KeyError, AssertionError, asyncpg.exceptions.UndefinedColumnError,
                       asyncpg.exceptions.DeadlockDetectedError):
        assert logged(unexpected), unexpected
    for expected in (NotFound, Conflict, ServiceUnavailable, NotAuthorizedException, ValidationException,
                     asyncpg.exceptions.CannotConnectNowError, asyncpg.exceptions.AdminShutdownError,
                     asyncpg.exceptions.ConnectionDoesNotExistError, ConnectionRefusedError):
        assert not logged(expected), expected


def test_a_broken_postgres_protocol_state_is_a_503_problem_not_a_500() -> None:
    """asyncpg raised InternalClientError at BEGIN when Postgres shut down mid-request (fault suite)."""
    from litestar import Litestar, get
    from litestar.testing import TestClient

    from inspect_api.errors import problem_details_plugin

    @get("/boom")
    async def boom() -> None:
        raise asyncpg.exceptions.InternalClientError("cannot switch to state 15; another operation (2) is in progress")

    with TestClient(Litestar([boom], plugins=[problem_details_plugin()], logging_config=logging_config())) as client:
        answer = client.get("/boom")
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert not logged(asyncpg.exceptions.InternalClientError)
