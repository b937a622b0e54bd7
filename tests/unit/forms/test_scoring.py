"""Scoring with hand-computed numbers."""

from typing import Any

import msgspec
import pytest

from inspect_api.forms.answers import Answer, validate_answers
from inspect_api.forms.model import FollowUpRule, FormDocument
from inspect_api.forms.scoring import (
    SCORING_RULES_VERSION,
    ScoreCard,
    UnscorableAnswersError,
    score,
)
from tests.unit.forms.builders import (
    answer,
    checklist,
    choice,
    form,
    item,
    photo_ids,
    replace_item,
    scale,
    section,
    text,
    yes_no,
)

FOLLOW_UP = {"due_in_days": 5, "title": text("fix the wait"), "evidence_required": True}


def demo_form(**fields: Any) -> FormDocument:
    return form(
        section(
            "s1",
            yes_no("a", weight=2),
            scale("b", na_allowed=True),
            choice("c", {"x": 0, "y": 1, "z": 4}),
        ),
        section(
            "s2",
            checklist("d", {"p1": 1, "p2": 1, "p3": 2}, weight=2),
            item("number", "e", target={"max": 60}, follow_up=FOLLOW_UP),
            item("text", "f"),
            item("photo", "g", photos={"mode": "optional"}),
            yes_no("h", applies_when={"item": "a", "equals": False}),
        ),
        **fields,
    )


def demo_answers(**replacements: Answer) -> list[Answer]:
    answers = {
        "a": answer("a", True),  # 2 of 2
        "b": answer("b", 4),  # (4-1)/(5-1) = .75 of 1
        "c": answer("c", "y"),  # 1/4 = .25 of 1
        "d": answer("d", ["p1", "p3"]),  # (1+2)/4 * 2 = 1.5 of 2
        "e": answer("e", 90),  # outside target: 0 of 1
        "f": answer("f", "queue was long"),
    }
    answers.update(replacements)
    return list(answers.values())


def card_for(form: FormDocument, answers: list[Answer]) -> ScoreCard:
    assert validate_answers(form, answers) == []
    return score(form, answers, form_version=7, content_hash="abc123")


def test_weighted_totals_sections_and_items() -> None:
    card = card_for(demo_form(), demo_answers())
    assert (card.form_key, card.form_version, card.content_hash) == ("test-form", 7, "abc123")
    assert card.rules_version == SCORING_RULES_VERSION == "2"
    # s1: 2 + .75 + .25 = 3 of 4; s2: 1.5 + 0 = 1.5 of 3; total 4.5 of 7 = 64.2857...
    assert [(s.key, s.earned, s.possible, s.percent) for s in card.sections] == [
        ("s1", 3.0, 4.0, 75.0),
        ("s2", 1.5, 3.0, 50.0),
    ]
    assert (card.earned, card.possible, card.total_percent) == (4.5, 7.0, 64.29)
    assert [(i.key, i.section, i.status, i.earned, i.possible) for i in card.items] == [
        ("a", "s1", "pass", 2.0, 2.0),
        ("b", "s1", "partial", 0.75, 1.0),
        ("c", "s1", "partial", 0.25, 1.0),
        ("d", "s2", "partial", 1.5, 2.0),
        ("e", "s2", "fail", 0.0, 1.0),
        ("f", "s2", "unscored", 0.0, 0.0),
        ("g", "s2", "unscored", 0.0, 0.0),
        ("h", "s2", "inapplicable", 0.0, 0.0),
    ]
    assert card.failed_items == ("e",)
    assert card.passed  # no threshold, no fail_form
    (follow_up,) = card.follow_ups
    assert (follow_up.item, follow_up.due_in_days, follow_up.title.en) == ("e", 5, "fix the wait")
    assert follow_up.evidence_required and not follow_up.critical
    assert card.critical_effects == () and card.flags == ()


def test_na_leaves_the_denominator() -> None:
    card = card_for(demo_form(), demo_answers(b=answer("b", na=True)))
    # s1: 2 + .25 = 2.25 of 3; total 3.75 of 6
    assert card.sections[0].percent == 75.0
    assert (card.earned, card.possible, card.total_percent) == (3.75, 6.0, 62.5)
    assert card.items[1].status == "na"


def test_conditional_item_counts_once_it_applies() -> None:
    answers = demo_answers(a=answer("a", False), h=answer("h", True))
    card = card_for(demo_form(), answers)
    # a fails (0 of 2), h passes (1 of 1): 0 + .75 + .25 + 1.5 + 0 + 1 = 3.5 of 8
    assert (card.earned, card.possible, card.total_percent) == (3.5, 8.0, 43.75)
    assert card.failed_items == ("a", "e")


@pytest.mark.parametrize(("threshold", "passed"), [(64.29, True), (64.3, False)])
def test_pass_threshold(threshold: float, passed: bool) -> None:
    assert card_for(demo_form(pass_threshold=threshold), demo_answers()).passed is passed


def test_cap_score_caps_the_total() -> None:
    capped = replace_item(demo_form(), "e", critical="cap_score:50")
    card = card_for(capped, demo_answers())
    assert card.total_percent == 50.0
    assert [(e.item, e.effect, e.cap_pct) for e in card.critical_effects] == [("e", "cap_score", 50.0)]
    assert card.follow_ups[0].critical
    # a cap above the computed total changes nothing
    loose = replace_item(demo_form(), "e", critical="cap_score:90")
    assert card_for(loose, demo_answers()).total_percent == 64.29


def test_fail_form_zeroes_the_total_and_fails() -> None:
    fatal = replace_item(demo_form(), "e", critical="fail_form")
    card = card_for(fatal, demo_answers())
    assert card.total_percent == 0.0 and not card.passed
    assert card.earned == 4.5  # the raw points stay visible
    passing = card_for(fatal, demo_answers(e=answer("e", 30)))
    assert passing.total_percent == 78.57  # 5.5 of 7
    assert passing.passed and passing.critical_effects == ()


def test_flag_only_records() -> None:
    flagged = replace_item(demo_form(), "e", critical="flag")
    card = card_for(flagged, demo_answers())
    assert card.total_percent == 64.29 and card.passed
    assert card.flags == ("e",)
    assert [(e.item, e.effect, e.cap_pct) for e in card.critical_effects] == [("e", "flag", None)]


def test_partial_is_not_a_failure() -> None:
    """Critical effects and follow-ups trigger on status fail only."""
    follow_up = msgspec.convert(FOLLOW_UP, type=FollowUpRule)
    strict = replace_item(demo_form(), "b", critical="fail_form", follow_up=follow_up)
    card = card_for(strict, demo_answers(b=answer("b", 2)))
    assert card.items[1].status == "partial"
    assert card.total_percent == 57.14  # (2 + .25 + .25 + 1.5) = 4 of 7
    assert card.critical_effects == () and [f.item for f in card.follow_ups] == ["e"]


def test_checklist_rules() -> None:
    f = form(
        section(
            "s",
            checklist("all", {"x": 1, "y": 1}, rule="all"),
            checklist("two", {"x": 1, "y": 1, "z": 1}, rule="at_least", at_least=2),
        )
    )

    def statuses(answers: list[Answer]) -> list[str]:
        return [i.status for i in card_for(f, answers).items]

    assert statuses([answer("all", ["x"]), answer("two", ["x", "z"])]) == ["fail", "pass"]
    assert statuses([answer("all", ["y", "x"]), answer("two", ["z"])]) == ["pass", "fail"]


def test_per_point_scale_and_choice_credit() -> None:
    points = [{"value": v, "label": text(str(v)), "score": s} for v, s in [(1, 0), (2, 1), (3, 4)]]
    f = form(section("s", scale("r", low=1, high=3, points=points, scoring="per_point"), choice("c", {"a": 3, "b": 1})))
    card = card_for(f, [answer("r", 2), answer("c", "b")])
    # r: 1/4 = .25, c: 1/3; total .5833 of 2 = 29.17%
    assert [(i.status, i.earned) for i in card.items] == [("partial", 0.25), ("partial", 0.3333)]
    assert card.total_percent == 29.17
    assert [i.status for i in card_for(f, [answer("r", 1), answer("c", "a")]).items] == ["fail", "pass"]


def test_scored_photo_item_passes_when_photos_are_provided() -> None:
    f = form(section("s", item("photo", "shelf", scored=True, photos={"mode": "optional", "min_count": 2})))
    assert card_for(f, [answer("shelf", photos=photo_ids(2))]).total_percent == 100.0
    assert card_for(f, [answer("shelf", photos=photo_ids(1))]).total_percent == 0.0
    assert card_for(f, []).items[0].status == "fail"


def test_nothing_scorable() -> None:
    unscored = form(section("s", yes_no("q", scored=False), item("text", "t")))
    card = card_for(unscored, [answer("q", True)])
    assert card.total_percent is None and card.possible == 0.0 and card.passed
    assert card.sections[0].percent is None
    with_threshold = form(section("s", yes_no("q", scored=False)), pass_threshold=50)
    assert not card_for(with_threshold, [answer("q", True)]).passed


def test_unvalidated_answers_are_refused() -> None:
    f = demo_form()
    with pytest.raises(UnscorableAnswersError, match="'c' is applicable and scored but has no answer"):
        score(f, [a for a in demo_answers() if a.item != "c"], form_version=1, content_hash="h")
    with pytest.raises(UnscorableAnswersError, match="answered more than once"):
        score(f, [*demo_answers(), answer("a", True)], form_version=1, content_hash="h")
    with pytest.raises(UnscorableAnswersError, match="cannot score value 'nope'"):
        score(f, demo_answers(c=answer("c", "nope")), form_version=1, content_hash="h")
    for bad_scale_value in (True, 9):
        with pytest.raises(UnscorableAnswersError, match="'b': cannot score value"):
            score(f, demo_answers(b=answer("b", bad_scale_value)), form_version=1, content_hash="h")


def test_score_card_encodes_to_json() -> None:
    card = card_for(demo_form(), demo_answers())
    decoded = msgspec.json.decode(msgspec.json.encode(card), type=ScoreCard)
    assert decoded == card
