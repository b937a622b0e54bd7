"""Problem documents (issue #14 items 5, 6) and the JSON depth check (item 3), without a server."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar.exceptions import ValidationException

from inspect_api.errors import Conflict, InvalidInput, _domain_to_problem, _http_to_problem, _problem, field_errors
from inspect_api.json_body import MAX_JSON_DEPTH, dated_paths, nested_too_deep, validation_error_field


def test_extra_can_never_replace_the_http_status_or_the_other_reserved_members() -> None:
    problem = _domain_to_problem(Conflict("action a is reopened", extra={
        "status": "reopened", "title": "x", "type": "y", "detail": "z", "allowed": ["in_progress"]}))
    assert problem.status_code == 409
    assert problem.extra == {"allowed": ["in_progress"]}
    assert problem.detail == "action a is reopened" and problem.title == "Conflict"


def test_action_moves_name_the_action_status_in_their_own_member() -> None:
    from inspect_api.actions.lifecycle import check_move

    with pytest.raises(Conflict) as caught:
        check_move("a1", "verified", "resolved")
    assert "status" not in caught.value.extra and caught.value.extra["action_status"] == "verified"


def test_litestar_validation_entries_become_field_errors() -> None:
    exc = ValidationException("Validation failed", extra=[
        {"message": "Expected `int`, got `str`", "key": "limit", "source": "query"},
        {"message": "Object missing required field `email`", "key": "data", "source": "body"}])
    assert _http_to_problem(exc).extra == {"errors": [
        {"field": "limit", "message": "Expected `int`, got `str`", "source": "query"},
        {"field": "data", "message": "Object missing required field `email`", "source": "body"}]}


@pytest.mark.parametrize("status", [400, 422])
def test_every_400_and_422_lists_at_least_one_field_error(status: int) -> None:
    problem = _problem(status, "x", "the body is not JSON")
    assert problem.extra == {"errors": [{"field": "body", "message": "the body is not JSON"}]}
    assert _problem(404, "not-found", "no such thing").extra is None  # other statuses gain nothing


def test_csv_row_errors_keep_row_and_column_and_gain_a_field() -> None:
    problem = _domain_to_problem(InvalidInput("1 row has errors", extra={"errors": [
        {"row": 3, "column": "timezone", "message": "unknown time zone"}, {"row": 1, "column": None,
                                                                          "message": "not UTF-8"}]}))
    assert problem.extra["errors"] == [
        {"field": "timezone", "message": "unknown time zone", "row": 3, "column": "timezone"},
        {"field": "body", "message": "not UTF-8", "row": 1}]


@given(st.lists(st.one_of(st.dictionaries(st.sampled_from(["field", "key", "message", "source", "row", "x"]),
                                          st.one_of(st.text(), st.integers(), st.none())), st.text())))
def test_field_errors_always_have_a_field_and_a_message(entries: list[Any]) -> None:
    for error in field_errors(entries):
        assert isinstance(error["field"], str) and error["field"]
        assert isinstance(error["message"], str) and error["message"]
        assert set(error) <= {"field", "message", "source", "row", "column"}


def _nesting(depth: int) -> bytes:
    return b'{"a": ' + b"[" * depth + b"1" + b"]" * depth + b"}"


def test_depth_is_counted_across_arrays_and_objects_outside_strings() -> None:
    assert not nested_too_deep(_nesting(MAX_JSON_DEPTH - 1))  # the object itself is one level
    assert nested_too_deep(_nesting(MAX_JSON_DEPTH))
    assert nested_too_deep(b'{"a": {"b": {"c": 1}}}', limit=2)
    assert not nested_too_deep(b'[' * 3 + b']' * 3 + b'[' * 3 + b']' * 3, limit=3)  # siblings, not nesting
    text = '{"t": "' + "[{" * 1000 + '\\"' + "[" * 1000 + '"}'
    assert not nested_too_deep(text.encode())


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(alphabet="[]{}\"\\ab"),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                  max_size=3), max_leaves=40))
def test_the_scan_agrees_with_the_real_depth(value: Any) -> None:
    def depth(v: Any) -> int:
        if isinstance(v, list):
            return 1 + max(map(depth, v), default=0)
        if isinstance(v, dict):
            return 1 + max(map(depth, v.values()), default=0)
        return 0

    body = msgspec.json.encode(value)
    for limit in range(depth(value) + 1):
        assert nested_too_deep(body, limit=limit) == (depth(value) > limit)


class Inner(msgspec.Struct, forbid_unknown_fields=True):
    score: int


class Body(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    items: list[Inner] = []


def test_msgspec_messages_name_the_member() -> None:
    def field_of(raw: bytes) -> str:
        with pytest.raises(msgspec.ValidationError) as caught:
            msgspec.json.decode(raw, type=Body, strict=True)
        return validation_error_field(caught.value)[0]

    assert field_of(b"{}") == "email"
    assert field_of(b'{"email": 1}') == "email"
    assert field_of(b'{"email": "a", "items": [{"score": "5"}]}') == "items[0].score"
    assert field_of(b'{"email": "a", "items": [{}]}') == "items[0].score"
    assert field_of(b'{"email": "a", "other": 1}') == "other"
    assert field_of(b"[]") == "body"


class Dated(msgspec.Struct):
    on: date
    at: datetime | None = None
    nested: list[Inner] = []
    windows: list[Body] | None = None


def test_dated_paths_reach_through_optionals_and_collections() -> None:
    assert dated_paths(msgspec.inspect.type_info(Dated)) == [("on",), ("at",)]
    assert dated_paths(msgspec.inspect.type_info(list[Dated])) == [(None, "on"), (None, "at")]
