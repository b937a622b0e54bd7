"""Property tests over random valid forms and random valid answers."""

import msgspec
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from inspect_api.forms.answers import Answer, validate_answers
from inspect_api.forms.loader import canonical_json, content_hash, parse_form_json, validate_form
from inspect_api.forms.model import FormDocument, Item
from inspect_api.forms.scoring import ScoreCard, applicable_item_keys, score
from tests.unit.forms.builders import fail_answer, replace_item
from tests.unit.forms.strategies import answers_for, forms

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


def card(form: FormDocument, answers: list[Answer]) -> ScoreCard:
    return score(form, answers, form_version=1, content_hash=content_hash(form))


def leaf_items_that_can_fail(form: FormDocument, answers: list[Answer]) -> list[Item]:
    """Applicable items with a zero-credit answer that no other item's condition looks at.

    Changing the answer of an item that others depend on also switches those others on or off,
    which is a different comparison; leaves isolate the item itself.
    """
    applicable = applicable_item_keys(form, {a.item: a for a in answers})
    depended_on = {i.applies_when.item for _, i in form.iter_items() if i.applies_when is not None}
    return [
        item
        for _, item in form.iter_items()
        if item.key in applicable and item.key not in depended_on and fail_answer(item) is not None
    ]


def with_answer(answers: list[Answer], replacement: Answer) -> list[Answer]:
    return [a for a in answers if a.item != replacement.item] + [replacement]


@PROPERTY_SETTINGS
@given(forms())
def test_generated_forms_are_valid_and_round_trip(form: FormDocument) -> None:
    assert validate_form(form) == []
    again = parse_form_json(canonical_json(form), "roundtrip")
    assert again == form
    assert content_hash(again) == content_hash(form)


@PROPERTY_SETTINGS
@given(st.data())
def test_generated_answers_validate_and_score_within_bounds(data: st.DataObject) -> None:
    form = data.draw(forms())
    answers = data.draw(answers_for(form))
    assert validate_answers(form, answers) == []
    result = card(form, answers)
    if result.total_percent is None:
        assert result.possible == 0
    else:
        assert 0.0 <= result.total_percent <= 100.0
    assert 0.0 <= result.earned <= result.possible
    for section in result.sections:
        assert section.percent is None or 0.0 <= section.percent <= 100.0
    for item in result.items:
        assert 0.0 <= item.earned <= item.possible
    assert result.failed_items == tuple(i.key for i in result.items if i.status == "fail")
    # Only a follow-up rule with open_below opens for a partial result (rules version 2).
    thresholded = {i.key for _, i in form.iter_items() if i.follow_up is not None and i.follow_up.open_below}
    assert {f.item for f in result.follow_ups} - thresholded <= set(result.failed_items)


@PROPERTY_SETTINGS
@given(st.data())
def test_score_is_independent_of_answer_order(data: st.DataObject) -> None:
    form = data.draw(forms())
    answers = data.draw(answers_for(form))
    shuffled = data.draw(st.permutations(answers))
    assert card(form, shuffled) == card(form, answers)
    assert msgspec.json.encode(card(form, shuffled)) == msgspec.json.encode(card(form, answers))


@PROPERTY_SETTINGS
@given(st.data())
def test_recomputation_is_identical(data: st.DataObject) -> None:
    """Same inputs, or the same inputs after a JSON round trip (as stored), give the same card."""
    form = data.draw(forms())
    answers = data.draw(answers_for(form))
    first = card(form, answers)
    stored_form = parse_form_json(canonical_json(form), "stored")
    stored_answers = msgspec.json.decode(msgspec.json.encode(answers), type=list[Answer])
    again = card(stored_form, stored_answers)
    assert again == first
    assert msgspec.json.encode(again) == msgspec.json.encode(first)


@PROPERTY_SETTINGS
@given(st.data())
def test_na_never_scores_lower_than_a_fail(data: st.DataObject) -> None:
    form = data.draw(forms())
    answers = data.draw(answers_for(form))
    candidates = leaf_items_that_can_fail(form, answers)
    assume(candidates)
    target = data.draw(st.sampled_from(candidates))
    form = replace_item(form, target.key, na_allowed=True)
    failed = with_answer(answers, fail_answer(target))
    not_applicable = with_answer(answers, Answer(item=target.key, na=True))
    assert validate_answers(form, failed) == []
    assert validate_answers(form, not_applicable) == []
    failed_total = card(form, failed).total_percent
    na_total = card(form, not_applicable).total_percent
    assert failed_total is not None  # the failed item itself is scorable
    if na_total is not None:  # None: the item was the only scorable one left
        assert na_total >= failed_total


@PROPERTY_SETTINGS
@given(st.data())
def test_failing_a_fail_form_item_zeroes_the_form(data: st.DataObject) -> None:
    form = data.draw(forms())
    answers = data.draw(answers_for(form))
    candidates = leaf_items_that_can_fail(form, answers)
    assume(candidates)
    target = data.draw(st.sampled_from(candidates))
    form = replace_item(form, target.key, critical="fail_form")
    failed = with_answer(answers, fail_answer(target))
    assert validate_answers(form, failed) == []
    result = card(form, failed)
    assert result.total_percent == 0.0
    assert not result.passed
    assert ("fail_form", target.key) in {(e.effect, e.item) for e in result.critical_effects}


@PROPERTY_SETTINGS
@given(st.data(), st.integers(0, 99))
def test_failing_a_capped_item_caps_the_total(data: st.DataObject, cap: int) -> None:
    form = data.draw(forms())
    answers = data.draw(answers_for(form))
    candidates = leaf_items_that_can_fail(form, answers)
    assume(candidates)
    target = data.draw(st.sampled_from(candidates))
    form = replace_item(form, target.key, critical=f"cap_score:{cap}")
    result = card(form, with_answer(answers, fail_answer(target)))
    assert result.total_percent is not None and result.total_percent <= cap
