"""The served OpenAPI document states what the handlers refuse (issue #14, Schemathesis stronger): the
date range, NUL-free text, known time zones, coordinates together; its patterns mean the same in
JSON Schema's ECMA regex as in msgspec's Python `re`; and JSON's `36.0` is the integer it denotes."""

from __future__ import annotations

import re
import sys
from typing import Any
from zoneinfo import available_timezones

import jsonschema_rs
import msgspec
import pytest
from litestar._openapi.plugin import OpenAPIPlugin

from inspect_api.app import create_app
from inspect_api.json_body import _BodyDecoder
from inspect_api.openapi import DAY_RANGE_PATTERN, NO_NUL_PATTERN
from inspect_api.org.schemas import OrgPatch
from inspect_api.settings import settings_from_env

ENV = {"DATABASE_URL": "postgresql://u:p@127.0.0.1:1/db", "S3_ACCESS_KEY_ID": "k", "S3_SECRET_ACCESS_KEY": "s",
       "JWT_SECRET": "x" * 40}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app = create_app(settings_from_env(ENV))
    # msgspec: the document holds Structs (examples); round-trip it to plain JSON as /schema serves it.
    return msgspec.json.decode(msgspec.json.encode(app.plugins.get(OpenAPIPlugin).provide_openapi_schema()))


def _nodes(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [found for item in node for found in _nodes(item)]
    if not isinstance(node, dict):
        return []
    return [node, *(found for value in node.values() for found in _nodes(value))]


def _operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{method.upper()} {path}", op) for path, item in document["paths"].items() for method, op in item.items()]


def test_every_date_parameter_carries_the_day_range(document: dict[str, Any]) -> None:
    dated = [(name, p) for name, op in _operations(document) for p in op.get("parameters", [])
             if any(n.get("format") in ("date", "date-time") for n in _nodes(p["schema"]))]
    assert len(dated) >= 10
    for name, parameter in dated:
        patterns = {n.get("pattern") for n in _nodes(parameter["schema"])}
        assert DAY_RANGE_PATTERN in patterns, (name, parameter["name"])


@pytest.mark.parametrize(("value", "inside"), [
    ("1999-12-31", False), ("2000-01-01", True), ("2100-12-31", True), ("2101-01-01", False),
    ("2100-12-31T23:59:59-14:00", True), ("0272-10-26T02:35:16Z", False), ("9999-12-31", False),
])
def test_the_day_range_pattern_is_the_range(value: str, inside: bool) -> None:
    assert jsonschema_rs.validator_for({"type": "string", "pattern": DAY_RANGE_PATTERN}).is_valid(value) is inside


def test_request_text_is_nul_free_but_passwords_take_anything(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    assert components["BranchIn"]["properties"]["name_zh"]["pattern"] == NO_NUL_PATTERN
    assert "pattern" not in components["UserIn"]["properties"]["password"]
    assert not jsonschema_rs.validator_for({"type": "string", "pattern": NO_NUL_PATTERN}).is_valid("a\x00b")


def test_a_free_text_query_parameter_documents_the_nul_422(document: dict[str, Any]) -> None:
    operations = dict(_operations(document))
    form_key = next(p for p in operations["GET /actions"]["parameters"] if p["name"] == "form_key")
    assert NO_NUL_PATTERN in {n.get("pattern") for n in _nodes(form_key["schema"])}
    assert "422" in operations["GET /actions"]["responses"]


def test_time_zones_are_the_known_ones(document: dict[str, Any]) -> None:
    for name in ("BranchIn", "BranchPatch"):
        timezone = document["components"]["schemas"][name]["properties"]["timezone"]
        validator = jsonschema_rs.validator_for(timezone)
        assert all(validator.is_valid(zone) for zone in available_timezones())
        assert not any(validator.is_valid(other) for other in ("0", "Mars/Olympus", "asia/shanghai", "UTC\n"))


@pytest.mark.parametrize(("body", "valid"), [
    ({}, True), ({"latitude": 1.5, "longitude": 2}, True), ({"latitude": None, "longitude": None}, True),
    ({"latitude": 1.5}, False), ({"longitude": 2}, False), ({"latitude": 1.5, "longitude": None}, False),
])
def test_a_new_branch_has_both_coordinates_or_neither(document: dict[str, Any], body: dict, valid: bool) -> None:
    rule = {"anyOf": document["components"]["schemas"]["BranchIn"]["anyOf"]}
    assert jsonschema_rs.validator_for(rule).is_valid(body) is valid


VISIT = "00000000-0000-4000-8000-000000000001"


@pytest.mark.parametrize(("body", "valid"), [
    ({"purpose": "submission"}, True), ({"purpose": "submission", "visit_id": VISIT}, True),
    ({"purpose": "submission", "action_id": VISIT}, False), ({"purpose": "action_evidence", "action_id": VISIT}, True),
    ({"purpose": "action_evidence"}, False), ({"purpose": "action_evidence", "action_id": None}, False),
    ({"purpose": "action_evidence", "action_id": VISIT, "visit_id": VISIT}, False),
])
def test_an_upload_names_a_visit_or_an_action_as_its_purpose_says(
    document: dict[str, Any], body: dict, valid: bool
) -> None:
    rule = {"oneOf": document["components"]["schemas"]["UploadRequest"]["oneOf"]}
    assert jsonschema_rs.validator_for(rule).is_valid(body) is valid


@pytest.mark.parametrize(("body", "valid"), [
    ({"visit_id": VISIT}, True), ({"branch_id": VISIT, "form_version_id": VISIT}, True), ({}, False),
    ({"visit_id": VISIT, "branch_id": VISIT}, False), ({"branch_id": VISIT}, False),
    ({"visit_id": None, "branch_id": VISIT, "form_version_id": VISIT}, True),
])
def test_a_submission_names_its_visit_or_its_branch_and_form(document: dict[str, Any], body: dict, valid: bool) -> None:
    rule = {"oneOf": document["components"]["schemas"]["SubmissionIn"]["oneOf"]}
    assert jsonschema_rs.validator_for(rule).is_valid(body) is valid


def test_a_role_dependent_list_accepts_an_empty_page(document: dict[str, Any]) -> None:
    """GET /submissions answers QA's review rows or everyone else's rows: `oneOf` two arrays rejected `[]`
    (valid under both; found by schemathesis), so a choice between arrays is `anyOf`."""
    schema = document["paths"]["/submissions"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert "oneOf" not in schema and len(schema["anyOf"]) == 2
    rule = schema | {"components": document["components"]}
    assert jsonschema_rs.validator_for(rule).is_valid([])


def test_integer_bounds_are_exact_integers(document: dict[str, Any]) -> None:
    operations = dict(_operations(document))
    redeliver = operations["POST /webhooks/endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver"]
    delivery_id = next(p for p in redeliver["parameters"] if p["name"] == "delivery_id")
    assert delivery_id["schema"]["maximum"] == 2**62 and type(delivery_id["schema"]["maximum"]) is int
    bounds = [n[key] for n in _nodes(document) if n.get("type") == "integer"
              for key in ("minimum", "maximum") if key in n]
    assert bounds and all(type(bound) is int for bound in bounds)


def test_patterns_mean_the_same_to_the_schema_and_to_msgspec(document: dict[str, Any]) -> None:
    # `\s` in Python also matches \x1c-\x1f and \x85, in ECMA also \ufeff: "a\x1cb@c" passed the e-mail's
    # schema and msgspec refused it (a 400 for schema-valid input).
    patterns = {n["pattern"] for n in _nodes(document) if isinstance(n.get("pattern"), str)}
    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()] + ["\ufeff", "\u200b", "\x00"]
    probes = [probe for c in spaces for probe in (c, f"a{c}b@c", f"a@b{c}c", f"x{c}")] + ["a@b", "x", "0"]
    for pattern in patterns:
        validator = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
        compiled = re.compile(pattern)
        for probe in probes:
            assert validator.is_valid(probe) == bool(compiled.search(probe)), (pattern, probe)


@pytest.mark.parametrize(("body", "decoded"), [(b'{"mystery_revisit_days": 36.0}', 36),
                                               (b'{"mystery_revisit_days": 1e2}', 100)])
def test_an_integral_json_number_is_an_integer(body: bytes, decoded: int) -> None:
    value = _BodyDecoder(OrgPatch).decode(body)
    assert value.mystery_revisit_days == decoded and type(value.mystery_revisit_days) is int


class _Counts(msgspec.Struct, forbid_unknown_fields=True):
    at_least: int | None = None
    sizes: list[int] = []


def test_an_integral_json_number_is_an_integer_in_unions_and_lists_too() -> None:
    # A form item's `at_least: 2.0` ("Expected `int | null`, got `float`") was still a 400.
    value = _BodyDecoder(_Counts).decode(b'{"at_least": 2.0, "sizes": [1, 3.0]}')
    assert value == _Counts(at_least=2, sizes=[1, 3]) and type(value.at_least) is int


@pytest.mark.parametrize("body", [b'{"mystery_revisit_days": 36.5}', b'{"mystery_revisit_days": "36"}',
                                  b'{"mystery_revisit_days": true}', b'{"mystery_revisit_days": 1e300}'])
def test_other_numbers_are_still_refused(body: bytes) -> None:
    with pytest.raises(msgspec.ValidationError):
        _BodyDecoder(OrgPatch).decode(body)
