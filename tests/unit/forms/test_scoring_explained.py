"""Section weights, follow-up thresholds, explanations and re-score reports (rules version 2)."""

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspect_api.forms.answers import Answer, validate_answers
from inspect_api.forms.loader import FormDocumentError, content_hash
from inspect_api.forms.model import FormDocument
from inspect_api.forms.scoring import ScoreCard, compare_cards, follows_up, grade, score
from tests.unit.forms.builders import answer, checklist, form, scale, section, text, yes_no
from tests.unit.forms.strategies import answers_for, forms

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)
FOLLOW_UP = {"due_in_days": 5, "title": text("fix it")}


def card(document: FormDocument, answers: list[Answer]) -> ScoreCard:
    assert validate_answers(document, answers) == []
    return score(document, answers, form_version=1, content_hash=content_hash(document))


# -- section weights -----------------------------------------------------------------------------


def weighted_form(**fields: object) -> FormDocument:
    return form(
        section("big", yes_no("a"), yes_no("b"), yes_no("c"), weight=1),
        section("small", yes_no("d"), weight=3),
        **fields,
    )


def test_section_weights_make_the_total_a_weighted_mean_of_section_percentages() -> None:
    answers = [answer("a", True), answer("b", True), answer("c", True), answer("d", False)]
    result = card(weighted_form(), answers)
    # pooled item points would give 3/4 = 75 %; the small section carries 3 of 4 shares.
    assert [s.percent for s in result.sections] == [100.0, 0.0]
    assert result.section_weighted and result.total_percent == 25.0 == result.uncapped_percent
    assert (result.earned, result.possible) == (3.0, 4.0)


def test_a_section_with_nothing_scorable_gives_up_its_share() -> None:
    document = form(
        section("s1", yes_no("a"), weight=1),
        section("s2", yes_no("b", na_allowed=True), weight=3),
    )
    result = card(document, [answer("a", True), answer("b", na=True)])
    assert result.total_percent == 100.0


def problems_of(*sections: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(FormDocumentError) as raised:
        form(*sections)
    return [(p.path, p.message) for p in raised.value.problems]


def test_section_weights_on_some_sections_only_are_refused() -> None:
    assert problems_of(section("s1", yes_no("a"), weight=2), section("s2", yes_no("b"))) == [
        ("sections[1].weight", "give every section a weight, or none")
    ]


def test_a_weighted_section_without_scored_items_is_refused() -> None:
    problems = problems_of(section("s1", yes_no("a"), weight=2), section("s2", yes_no("b", scored=False), weight=1))
    assert [path for path, _ in problems] == ["sections[1].weight"]


@pytest.mark.parametrize("weight", [0, -1])
def test_section_weights_must_be_positive(weight: float) -> None:
    assert [path for path, _ in problems_of(section("s1", yes_no("a"), weight=weight))] == ["sections[0].weight"]


@PROPERTY_SETTINGS
@given(st.data())
def test_weighted_total_is_the_weighted_mean_of_scored_section_percentages(data: st.DataObject) -> None:
    document = data.draw(forms())
    result = card(document, data.draw(answers_for(document)))
    if not result.section_weighted:
        return
    weights = {s.key: s.weight for s in document.sections}
    scored = [(weights[s.key], s.earned / s.possible * 100) for s in result.sections if s.possible > 0]
    if not scored:
        assert result.uncapped_percent is None
        return
    expected = sum(w * pct for w, pct in scored) / sum(w for w, _ in scored)
    assert result.uncapped_percent == pytest.approx(expected, abs=0.011)


# -- follow-ups on partial failure ---------------------------------------------------------------


def test_a_half_missing_checklist_opens_its_follow_up_below_the_threshold() -> None:
    document = form(
        section(
            "s",
            checklist("voices", {"a": 1, "b": 1, "c": 1, "d": 1}, follow_up={**FOLLOW_UP, "open_below": 0.75}),
            scale("mood", follow_up={**FOLLOW_UP, "open_below": 0.5}),
            scale("old", follow_up=FOLLOW_UP),
        )
    )
    answers = [answer("voices", ["a", "b"]), answer("mood", 2), answer("old", 2)]
    result = card(document, answers)
    # voices 2/4 < .75 opens; mood (2-1)/4 = .25 < .5 opens; old has no threshold and is only partial.
    assert [(f.item, f.share, f.critical) for f in result.follow_ups] == [("voices", 0.5, False), ("mood", 0.25, False)]
    assert result.failed_items == ()


def test_a_follow_up_does_not_open_at_exactly_the_threshold() -> None:
    document = form(section("s", checklist("v", {"a": 1, "b": 1}, follow_up={**FOLLOW_UP, "open_below": 0.5})))
    assert card(document, [answer("v", ["a"])]).follow_ups == ()


@pytest.mark.parametrize("share", [0, 1.5])
def test_open_below_outside_zero_to_one_is_refused(share: float) -> None:
    problems = problems_of(section("s", yes_no("a", follow_up={**FOLLOW_UP, "open_below": share})))
    assert [path for path, _ in problems] == ["sections[0].items[0].follow_up.open_below"]


@PROPERTY_SETTINGS
@given(st.data())
def test_a_follow_up_opens_iff_the_share_is_below_its_threshold(data: st.DataObject) -> None:
    document = data.draw(forms())
    answers = data.draw(answers_for(document))
    result = card(document, answers)
    items = document.items_by_key()
    by_key = {a.item: a for a in answers}
    opened = {f.item: f for f in result.follow_ups}
    for item_score in result.items:
        item = items[item_score.key]
        if item.follow_up is None or item_score.status not in ("pass", "partial", "fail"):
            assert item_score.key not in opened
            continue
        share = grade(item, by_key.get(item.key))
        assert share is not None
        threshold = item.follow_up.open_below
        assert (item_score.key in opened) == (share == 0 if threshold is None else share < threshold)
        if item_score.key in opened:
            assert opened[item_score.key].critical == (item_score.status == "fail" and item.critical is not None)


@given(st.floats(0, 1), st.none() | st.floats(0.01, 1))
def test_follows_up_is_a_strict_threshold(share: float, open_below: float | None) -> None:
    assert follows_up(open_below, share) == (share == 0 if open_below is None else share < open_below)


# -- explanations --------------------------------------------------------------------------------


def test_a_zero_with_two_critical_effects_says_why_in_both_languages() -> None:
    document = form(
        section(
            "s",
            yes_no("p5", label={"zh": "安全干预", "en": "safety intervention"}, critical="fail_form"),
            yes_no("p2", label={"zh": "迎接", "en": "greeting"}, critical="cap_score:50"),
            yes_no("p3"),
            yes_no("p6", na_allowed=True, na_when={"zh": "没有排队", "en": "no queue formed"}),
            yes_no("p7", applies_when={"item": "p3", "equals": False}),
        )
    )
    answers = [answer("p5", False), answer("p2", False), answer("p3", True), answer("p6", na=True)]
    result = card(document, answers)
    assert result.total_percent == 0.0 and result.uncapped_percent == pytest.approx(33.33)
    assert [(e.kind, e.item, e.text.en) for e in result.explanations] == [
        ("critical", "p5", "failed p5 safety intervention: the whole form scores 0"),
        ("critical", "p2", "failed p2 greeting: the total is capped at 50 %"),
        ("na", "p6", "p6 p6 was answered N/A (no queue formed): left out of the score"),
        ("inapplicable", "p7", "p7 p7 did not apply (only when p3 p3 is false): left out of the score"),
    ]
    assert result.explanations[0].text.zh == "未通过 p5 安全干预：整张表计 0 分"
    assert [e.reason for e in result.critical_effects] == [result.explanations[0].text, result.explanations[1].text]


def test_na_when_without_na_allowed_is_refused() -> None:
    problems = problems_of(section("s", yes_no("a", na_when=text("no queue"))))
    assert [path for path, _ in problems] == ["sections[0].items[0].na_when"]


@PROPERTY_SETTINGS
@given(st.data())
def test_every_critical_effect_and_dropped_scored_item_is_explained(data: st.DataObject) -> None:
    document = data.draw(forms())
    result = card(document, data.draw(answers_for(document)))
    items = document.items_by_key()
    explained = {(e.kind, e.item) for e in result.explanations}
    assert len(explained) == len(result.explanations)
    expected = {("critical", e.item) for e in result.critical_effects} | {
        (s.status, s.key)
        for s in result.items
        if s.status in ("na", "inapplicable") and s.key in items and _scored(document, s.key)
    }
    assert explained == expected
    assert all(e.text.zh and e.text.en for e in result.explanations)
    if result.total_percent is not None and result.uncapped_percent is not None:
        assert result.total_percent <= result.uncapped_percent


def _scored(document: FormDocument, key: str) -> bool:
    from inspect_api.forms.model import is_scored

    return is_scored(document.items_by_key()[key])


# -- frozen cards and re-score reports -----------------------------------------------------------


def test_a_stored_card_from_rules_version_1_still_decodes_unchanged() -> None:
    """Released cards are stored as computed; new fields must not make old ones unreadable."""
    old = {
        "form_key": "f", "form_version": 1, "content_hash": "h", "rules_version": "1", "total_percent": 0.0,
        "earned": 1.0, "possible": 2.0, "passed": False, "sections": [], "items": [],
        "critical_effects": [{"item": "p5", "effect": "fail_form", "cap_pct": None}], "flags": [],
        "failed_items": ["p5"], "follow_ups": [{"item": "p5", "due_in_days": 3, "title": {"zh": "改", "en": "fix"},
                                                "evidence_required": False, "critical": True}],
    }
    decoded = msgspec.convert(old, ScoreCard)
    assert decoded.rules_version == "1" and decoded.explanations == () and decoded.uncapped_percent is None
    assert msgspec.to_builtins(decoded)["critical_effects"][0]["reason"] is None


def test_compare_cards_reports_what_a_rescore_changes() -> None:
    before_form = form(section("s", checklist("v", {"a": 1, "b": 1}, follow_up=FOLLOW_UP), yes_no("w")))
    after_form = form(
        section("s", checklist("v", {"a": 1, "b": 1}, follow_up={**FOLLOW_UP, "open_below": 1.0}), yes_no("w")),
    )
    answers = [answer("v", ["a"]), answer("w", True)]
    before, after = card(before_form, answers), card(after_form, answers)
    change = compare_cards(before, after)
    assert change.changed and change.follow_ups_opened == ("v",) and change.follow_ups_dropped == ()
    assert change.items == () and change.total_before == change.total_after == 75.0
    assert not compare_cards(before, before).changed


@PROPERTY_SETTINGS
@given(st.data())
def test_rescoring_with_the_same_form_and_rules_changes_nothing(data: st.DataObject) -> None:
    document = data.draw(forms())
    answers = data.draw(answers_for(document))
    assert not compare_cards(card(document, answers), card(document, answers)).changed
