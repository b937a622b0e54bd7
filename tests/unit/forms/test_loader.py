"""Form documents: every kind of error names the field path and says what is wrong."""

from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml

from inspect_api.forms.loader import (
    FormDocumentError,
    Problem,
    canonical_json,
    content_hash,
    load_form_file,
    load_seed_dir,
    parse_form_json,
    parse_form_yaml,
)
from inspect_api.forms.model import CriticalEffect, parse_critical
from tests.unit.forms.builders import checklist, choice, document, item, scale, section, text, yes_no


def problems(doc: dict[str, Any], **kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(FormDocumentError) as caught:
        parse_form_json(msgspec.json.encode(doc), "doc.json", **kwargs)
    assert caught.value.source == "doc.json"
    return [(p.path, p.message) for p in caught.value.problems]


def one_problem(doc: dict[str, Any], **kwargs: Any) -> tuple[str, str]:
    found = problems(doc, **kwargs)
    assert len(found) == 1, found
    return found[0]


def test_valid_document_round_trips_through_yaml_and_json() -> None:
    doc = document(section("s", yes_no("a"), scale("b")))
    from_yaml = parse_form_yaml(yaml.safe_dump(doc, allow_unicode=True).encode(), "doc.yaml")
    from_json = parse_form_json(msgspec.json.encode(doc), "doc.json")
    assert from_yaml == from_json
    assert parse_form_json(canonical_json(from_yaml), "again") == from_yaml


# -- duplicate keys -------------------------------------------------------------------------------


def test_duplicate_item_key_across_sections_points_at_both() -> None:
    doc = document(section("s1", yes_no("a")), section("s2", yes_no("b"), yes_no("a")))
    assert one_problem(doc) == (
        "sections[1].items[1].key",
        "duplicate item key 'a' (first used at sections[0].items[0].key)",
    )


def test_duplicate_section_key() -> None:
    doc = document(section("s", yes_no("a")), section("s", yes_no("b")))
    assert one_problem(doc) == ("sections[1].key", "duplicate section key 's' (also sections[0].key)")


def test_duplicate_option_keys() -> None:
    doc = document(section("s", yes_no("a"), checklist("c", {"x": 1, "y": 1})))
    doc["sections"][0]["items"][1]["options"][1]["key"] = "x"
    assert one_problem(doc) == ("sections[0].items[1].options[1].key", "duplicate 'x' (also at index 0)")


def test_duplicate_scale_point_values() -> None:
    points = [{"value": v, "label": text(str(v))} for v in (1, 3, 3, 5)]
    path, message = one_problem(document(section("s", scale("a", points=points))))
    assert (path, message) == ("sections[0].items[0].points[2].value", "duplicate '3' (also at index 1)")


# -- numbers and ranges ---------------------------------------------------------------------------


@pytest.mark.parametrize("weight", [0, -1.5])
def test_weight_must_be_positive(weight: float) -> None:
    doc = document(section("s", yes_no("a"), yes_no("b"), yes_no("c"), yes_no("d", weight=weight)))
    assert one_problem(doc) == ("sections[0].items[3].weight", "Expected `float` > 0.0")


def test_wrong_type_names_the_field() -> None:
    doc = document(section("s", yes_no("a", weight="heavy")))
    assert one_problem(doc) == ("sections[0].items[0].weight", "Expected `float`, got `str`")


def test_scale_min_must_be_below_max() -> None:
    assert one_problem(document(section("s", scale("a", low=5, high=5)))) == (
        "sections[0].items[0].min",
        "min (5) must be less than max (5)",
    )


def test_scale_needs_labelled_ends_and_points_in_range() -> None:
    points = [{"value": 1, "label": text("one")}, {"value": 9, "label": text("nine")}]
    found = problems(document(section("s", scale("a", points=points))))
    assert found == [
        ("sections[0].items[0].points[1].value", "9 is outside 1..5"),
        ("sections[0].items[0].points", "label both ends of the scale (1 and 5)"),
    ]


def test_per_point_scale_needs_a_score_for_every_value() -> None:
    points = [
        {"value": 1, "label": text("one"), "score": 0},
        {"value": 3, "label": text("three")},
    ]
    found = problems(document(section("s", scale("a", low=1, high=3, points=points, scoring="per_point"))))
    assert found == [
        ("sections[0].items[0].points[1].score", "required with scoring per_point"),
        ("sections[0].items[0].points", "per_point scoring needs a point for every value; missing [2]"),
        ("sections[0].items[0].points", "a scored scale needs a point with score > 0"),
    ]


def test_proportional_scale_rejects_point_scores() -> None:
    points = [{"value": 1, "label": text("one"), "score": 1}, {"value": 5, "label": text("five")}]
    assert one_problem(document(section("s", scale("a", points=points)))) == (
        "sections[0].items[0].points[0].score",
        "only used with scoring per_point",
    )


def test_checklist_at_least_larger_than_option_count() -> None:
    doc = document(section("s", checklist("c", {"x": 1, "y": 1}, rule="at_least", at_least=3)))
    assert one_problem(doc) == ("sections[0].items[0].at_least", "3 is more than the 2 option(s)")


def test_checklist_at_least_rule_needs_its_number_and_only_it_uses_one() -> None:
    missing = document(section("s", checklist("c", {"x": 1}, rule="at_least")))
    assert one_problem(missing) == ("sections[0].items[0].at_least", "required when rule is at_least")
    stray = document(section("s", checklist("c", {"x": 1}, rule="all", at_least=1)))
    assert one_problem(stray) == ("sections[0].items[0].at_least", "only used with rule at_least (rule is all)")


def test_number_target_must_lie_in_the_allowed_range() -> None:
    doc = document(section("s", item("number", "n", min=0, max=100, target={"min": 50, "max": 120})))
    assert one_problem(doc) == ("sections[0].items[0].target.max", "120 lies outside the allowed range")
    empty = document(section("s", item("number", "n", target={})))
    assert one_problem(empty) == ("sections[0].items[0].target", "give min and/or max")


def test_scored_choice_needs_an_option_worth_points() -> None:
    doc = document(section("s", choice("c", {"x": 0, "y": 0})))
    path, message = one_problem(doc)
    assert path == "sections[0].items[0].options"
    assert "score > 0" in message and "scored: false" in message
    assert parse_form_json(
        msgspec.json.encode(document(section("s", choice("c", {"x": 0, "y": 0}, scored=False)))), "ok"
    )


# -- conditions -----------------------------------------------------------------------------------


def test_condition_on_unknown_item() -> None:
    doc = document(section("s", yes_no("a"), yes_no("b", applies_when={"item": "nope", "equals": True})))
    assert one_problem(doc) == ("sections[0].items[1].applies_when.item", "unknown item 'nope'")


def test_condition_on_itself() -> None:
    doc = document(section("s", yes_no("a", applies_when={"item": "a", "equals": True})))
    assert one_problem(doc) == ("sections[0].items[0].applies_when.item", "an item cannot depend on itself")


def test_condition_on_a_later_item() -> None:
    doc = document(
        section("s1", yes_no("a", applies_when={"item": "b", "equals": True})),
        section("s2", yes_no("b")),
    )
    assert one_problem(doc) == (
        "sections[0].items[0].applies_when.item",
        "item 'b' comes later in the form (sections[1].items[0]); conditions may only refer to earlier items",
    )


@pytest.mark.parametrize(
    ("target", "condition", "path", "reason"),
    [
        (yes_no("q"), {"equals": "yes"}, "equals", "item 'q' can never be 'yes': a yes_no answer is true or false"),
        (yes_no("q"), {"equals": 1}, "equals", "item 'q' can never be 1: a yes_no answer is true or false"),
        (scale("q"), {"any_of": [3, 6]}, "any_of[1]", "item 'q' can never be 6: its answers are whole numbers 1..5"),
        (
            choice("q", {"x": 1, "y": 0}),
            {"equals": "z"},
            "equals",
            "item 'q' can never be 'z': its options are x, y",
        ),
    ],
)
def test_condition_on_a_value_the_item_cannot_take(
    target: dict[str, Any], condition: dict[str, Any], path: str, reason: str
) -> None:
    doc = document(section("s", target, yes_no("b", applies_when={"item": "q", **condition})))
    assert one_problem(doc) == (f"sections[0].items[1].applies_when.{path}", reason)


def test_condition_on_an_item_type_without_single_values() -> None:
    doc = document(section("s", checklist("c", {"x": 1}), yes_no("b", applies_when={"item": "c", "equals": "x"})))
    assert one_problem(doc) == (
        "sections[0].items[1].applies_when.item",
        "item 'c' is a checklist; conditions can only refer to yes_no, scale or choice items",
    )


def test_condition_needs_exactly_one_of_equals_and_any_of() -> None:
    both = document(
        section("s", yes_no("a"), yes_no("b", applies_when={"item": "a", "equals": True, "any_of": [True]}))
    )
    assert one_problem(both) == ("sections[0].items[1].applies_when", "give exactly one of equals or any_of")
    empty = document(section("s", yes_no("a"), yes_no("b", applies_when={"item": "a", "any_of": []})))
    assert one_problem(empty) == ("sections[0].items[1].applies_when.any_of", "must list at least one value")


# -- decoder errors, translated -------------------------------------------------------------------


def test_unknown_item_type() -> None:
    doc = document(section("s", yes_no("a"), item("rating", "r")))
    assert one_problem(doc) == (
        "sections[0].items[1].type",
        "unknown item type 'rating'; expected one of: yes_no, scale, choice, checklist, number, text, photo",
    )


def test_unknown_field_is_named_in_the_path() -> None:
    doc = document(section("s", yes_no("a", wieght=2)))
    assert one_problem(doc) == ("sections[0].items[0].wieght", "unknown field")


def test_missing_required_field_is_named_in_the_path() -> None:
    doc = document(section("s", yes_no("a")))
    del doc["sections"][0]["items"][0]["label"]
    assert one_problem(doc) == ("sections[0].items[0].label", "required field is missing")


def test_empty_sections_and_items() -> None:
    assert one_problem(document()) == ("sections", "Expected `array` of length >= 1")
    assert one_problem(document(section("s"))) == ("sections[0].items", "Expected `array` of length >= 1")


def test_bad_keys_explain_the_key_format() -> None:
    assert one_problem(document(section("s", yes_no("Bad Key")))) == (
        "sections[0].items[0].key",
        "expected a key: 1-64 characters, lowercase letters, digits, '_' and '-'",
    )
    assert one_problem(document(section("s", yes_no("a")), key="X")) == (
        "key",
        "expected a form key: 2-63 characters, lowercase letters, digits and '-'",
    )


@pytest.mark.parametrize("spec", ["cap_score:100", "cap_score:", "fail", "cap_score:-5"])
def test_bad_critical_spec(spec: str) -> None:
    assert one_problem(document(section("s", yes_no("a", critical=spec)))) == (
        "sections[0].items[0].critical",
        "expected one of fail_form, flag, cap_score:<percent below 100> (e.g. cap_score:50)",
    )


def test_critical_spec_parses_into_a_typed_effect() -> None:
    assert parse_critical("fail_form") == CriticalEffect(kind="fail_form")
    assert parse_critical("flag") == CriticalEffect(kind="flag")
    assert parse_critical("cap_score:37.5") == CriticalEffect(kind="cap_score", cap_pct=37.5)
    parsed = parse_form_json(msgspec.json.encode(document(section("s", yes_no("a", critical="cap_score:50")))), "x")
    assert parsed.sections[0].items[0].critical_effect == CriticalEffect(kind="cap_score", cap_pct=50.0)


# -- scoring coherence ----------------------------------------------------------------------------


def test_effects_on_unscored_items_would_never_fire() -> None:
    follow_up = {"due_in_days": 7, "title": text("fix")}
    doc = document(
        section(
            "s",
            yes_no(
                "q",
                scored=False,
                critical="fail_form",
                follow_up=follow_up,
                photos={"mode": "required_on_fail"},
            ),
        )
    )
    assert problems(doc) == [
        ("sections[0].items[0].critical", "has no effect on an unscored item"),
        ("sections[0].items[0].follow_up", "has no effect on an unscored item"),
        ("sections[0].items[0].photos.mode", "an unscored item never fails; use required"),
    ]


def test_photo_rules() -> None:
    required_none = document(section("s", yes_no("a", photos={"mode": "required", "min_count": 0})))
    assert one_problem(required_none) == (
        "sections[0].items[0].photos.min_count",
        "must be at least 1 when mode is required",
    )
    too_few_max = document(section("s", yes_no("a", photos={"mode": "optional", "min_count": 3, "max_count": 2})))
    assert one_problem(too_few_max) == ("sections[0].items[0].photos.max_count", "must be at least 3")
    photo_without_photos = document(section("s", item("photo", "p", photos={"mode": "none"})))
    assert one_problem(photo_without_photos) == ("sections[0].items[0].photos.mode", "a photo item must take photos")
    scored_required = document(section("s", item("photo", "p", scored=True)))
    path, message = one_problem(scored_required)
    assert path == "sections[0].items[0].photos.mode" and "must be optional" in message


def test_seed_forms_must_cite_sources() -> None:
    doc = document(section("s", yes_no("a", source={"file": "001.txt", "heading": "h"}), yes_no("b")))
    assert parse_form_json(msgspec.json.encode(doc), "not a seed")
    assert one_problem(doc, require_sources=True) == (
        "sections[0].items[1].source",
        "seed form items must cite their source",
    )


def test_all_semantic_problems_are_reported_together_in_a_readable_error() -> None:
    doc = document(
        section("s", yes_no("a"), yes_no("a"), checklist("c", {"x": 1}, rule="at_least", at_least=2)),
        pass_threshold=50,
    )
    with pytest.raises(FormDocumentError) as caught:
        parse_form_json(msgspec.json.encode(doc), "forms/demo.json")
    assert str(caught.value) == (
        "forms/demo.json: invalid form document (2 problem(s))\n"
        "  - sections[0].items[1].key: duplicate item key 'a' (first used at sections[0].items[0].key)\n"
        "  - sections[0].items[2].at_least: 2 is more than the 1 option(s)"
    )
    assert caught.value.problems[0] == Problem(
        "sections[0].items[1].key", "duplicate item key 'a' (first used at sections[0].items[0].key)"
    )


# -- YAML specifics -------------------------------------------------------------------------------


VALID_YAML = """\
key: demo
title: {zh: 演示, en: Demo}
description: {zh: 演示, en: Demo}
sections:
  - key: s
    title: {zh: 一, en: One}
    items:
      - type: yes_no
        key: a
        label: {zh: 甲, en: A}
        weight: 2
"""


def test_yaml_duplicate_keys_are_reported_with_their_line() -> None:
    data = VALID_YAML.replace("        weight: 2\n", "        weight: 2\n        weight: 3\n").encode()
    with pytest.raises(FormDocumentError) as caught:
        parse_form_yaml(data, "demo.yaml")
    assert caught.value.problems == [Problem("sections[0].items[0].weight", "duplicate key on line 12")]


def test_yaml_syntax_error_names_line_and_column() -> None:
    with pytest.raises(FormDocumentError) as caught:
        parse_form_yaml(VALID_YAML.replace("key: s", "key: [s").encode(), "demo.yaml")
    (problem,) = caught.value.problems
    assert problem.path == "(document)"
    assert "line" in problem.message and "column" in problem.message


def test_malformed_json() -> None:
    with pytest.raises(FormDocumentError) as caught:
        parse_form_json(b'{"key": nope}', "body")
    assert caught.value.problems == [Problem("(document)", "JSON is malformed: invalid character (byte 12)")]


def test_content_hash_ignores_formatting_but_not_content() -> None:
    reordered = (
        "description: {en: Demo, zh: 演示}\n"  # keys in another order, flow vs block style
        "key: demo\n"
        "title:\n  en: Demo\n  zh: 演示\n"
        "sections: [{key: s, title: {zh: 一, en: One}, items: [{key: a, type: yes_no, weight: 2.0,"
        " label: {zh: 甲, en: A}}]}]\n"
    )
    a = parse_form_yaml(VALID_YAML.encode(), "a.yaml")
    b = parse_form_yaml(reordered.encode(), "b.yaml")
    assert a == b and content_hash(a) == content_hash(b)
    assert len(content_hash(a)) == 64 and int(content_hash(a), 16) >= 0
    heavier = parse_form_yaml(VALID_YAML.replace("weight: 2", "weight: 2.5").encode(), "c.yaml")
    assert content_hash(heavier) != content_hash(a)
    # an explicit default decodes to the same form, hence the same hash
    explicit = parse_form_yaml(VALID_YAML.replace("weight: 2", "weight: 2\n        na_allowed: false").encode(), "d")
    assert content_hash(explicit) == content_hash(a)


# -- files and directories ------------------------------------------------------------------------


def test_load_form_file_by_suffix(tmp_path: Path) -> None:
    (tmp_path / "demo.yaml").write_text(VALID_YAML, encoding="utf-8")
    form = load_form_file(tmp_path / "demo.yaml")
    (tmp_path / "demo.json").write_bytes(canonical_json(form))
    assert load_form_file(tmp_path / "demo.json") == form
    (tmp_path / "demo.txt").write_text(VALID_YAML, encoding="utf-8")
    with pytest.raises(FormDocumentError, match=r"expected a \.yaml, \.yml or \.json file"):
        load_form_file(tmp_path / "demo.txt")


def test_seed_dir_requires_file_name_to_match_key(tmp_path: Path) -> None:
    sourced = VALID_YAML + "        source: {file: x.txt, heading: h}\n"
    (tmp_path / "other.yaml").write_text(sourced, encoding="utf-8")
    with pytest.raises(FormDocumentError) as caught:
        load_seed_dir(tmp_path)
    assert caught.value.problems == [Problem("key", "form key 'demo' does not match file name 'other.yaml'")]


def test_seed_dir_requires_sources(tmp_path: Path) -> None:
    (tmp_path / "demo.yaml").write_text(VALID_YAML, encoding="utf-8")
    with pytest.raises(FormDocumentError) as caught:
        load_seed_dir(tmp_path)
    assert caught.value.problems == [Problem("sections[0].items[0].source", "seed form items must cite their source")]


def test_seed_dir_rejects_the_same_key_twice(tmp_path: Path) -> None:
    sourced = VALID_YAML + "        source: {file: x.txt, heading: h}\n"
    (tmp_path / "demo.yaml").write_text(sourced, encoding="utf-8")
    (tmp_path / "demo.yml").write_text(sourced, encoding="utf-8")
    with pytest.raises(FormDocumentError, match="is also used by"):
        load_seed_dir(tmp_path)
