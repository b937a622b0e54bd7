"""validate_answers: every problem is reported against its item with a readable reason."""

import uuid

import msgspec
import pytest

from inspect_api.forms.answers import Answer, AnswerProblem, validate_answers
from inspect_api.forms.model import FormDocument
from tests.unit.forms.builders import answer, checklist, choice, form, item, photo_ids, scale, section, yes_no


@pytest.fixture(scope="module")
def demo() -> FormDocument:
    return form(
        section(
            "main",
            yes_no("greeted", photos={"mode": "required_on_fail", "min_count": 1}),
            scale("courtesy", na_allowed=True),
            choice("offer", {"none": 0, "some": 1, "great": 2}),
            checklist("cues", {"smile": 1, "eyes": 1}, photos={"mode": "none"}),
            item("number", "wait_seconds", min=0, max=600, integer=True, target={"max": 60}),
            item("text", "notes", max_length=10),
            item("photo", "storefront", photos={"mode": "required", "min_count": 2, "max_count": 3}),
        ),
        section(
            "queue",
            yes_no("queued", scored=False),
            yes_no("queue_handled", applies_when={"item": "queued", "equals": True}),
            scale("queue_speed", applies_when={"item": "queue_handled", "equals": True}),
        ),
    )


def valid(**replacements: Answer | None) -> list[Answer]:
    """A valid answer set; a replacement of None drops that item's answer."""
    answers = {
        "greeted": answer("greeted", True),
        "courtesy": answer("courtesy", 4),
        "offer": answer("offer", "some"),
        "cues": answer("cues", ["eyes"]),
        "wait_seconds": answer("wait_seconds", 45),
        "notes": answer("notes", "fine"),
        "storefront": answer("storefront", photos=photo_ids(2)),
        "queued": answer("queued", False),
    }
    answers.update(replacements)
    return [a for a in answers.values() if a is not None]


def reasons(demo: FormDocument, answers: list[Answer]) -> list[tuple[str, str]]:
    return [(p.item, p.reason) for p in validate_answers(demo, answers)]


def test_valid_answers_have_no_problems(demo: FormDocument) -> None:
    assert validate_answers(demo, valid()) == []


def test_unknown_and_duplicate_items(demo: FormDocument) -> None:
    answers = [*valid(), answer("ghost", True), answer("offer", "great")]
    assert reasons(demo, answers) == [
        ("ghost", "unknown item 'ghost' in form 'test-form'"),
        ("offer", "answered more than once"),
    ]


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("greeted", 1, "expected true or false, got a number"),
        ("greeted", "yes", "expected true or false, got a string"),
        ("courtesy", True, "expected a whole number from 1 to 5, got true/false"),
        ("courtesy", 3.5, "expected a whole number from 1 to 5, got a number"),
        ("courtesy", 7, "7 is outside the scale 1..5"),
        ("offer", "superb", "unknown option 'superb'; expected one of: none, some, great"),
        ("offer", ["some"], "expected one option key, got a list"),
        ("cues", "smile", "expected a list of option keys, got a string"),
        ("cues", ["smile", "wink"], "unknown option(s) 'wink'; expected any of: smile, eyes"),
        ("cues", ["smile", "smile"], "option(s) listed more than once: 'smile'"),
        ("wait_seconds", 12.5, "expected a whole number, got 12.5"),
        ("wait_seconds", -1, "-1 is below the minimum 0"),
        ("wait_seconds", 601, "601 is above the maximum 600"),
        ("wait_seconds", False, "expected a number, got true/false"),
        ("wait_seconds", float("inf"), "expected a finite number"),
        ("notes", "x" * 11, "text is 11 characters long; at most 10 allowed"),
        ("notes", 5, "expected text, got a number"),
    ],
)
def test_wrong_values(demo: FormDocument, key: str, value: object, reason: str) -> None:
    assert reasons(demo, valid(**{key: answer(key, value)})) == [(key, reason)]


def test_photo_item_takes_no_value(demo: FormDocument) -> None:
    bad = answer("storefront", "front.jpg", photos=photo_ids(2))
    assert reasons(demo, valid(storefront=bad)) == [
        ("storefront", "a photo item takes photos only, no value (got a string)")
    ]


def test_missing_answers(demo: FormDocument) -> None:
    answers = valid(greeted=None, courtesy=None, notes=None, storefront=None, queued=None)
    # notes is optional text; queue items beyond "queued" do not apply without an answer to it
    assert reasons(demo, answers) == [
        ("greeted", "missing answer"),
        ("courtesy", "missing answer (or N/A)"),
        ("storefront", "missing answer: at least 2 photo(s) required"),
        ("queued", "missing answer"),
    ]


def test_na_only_where_allowed_and_without_a_value(demo: FormDocument) -> None:
    assert reasons(demo, valid(courtesy=answer("courtesy", na=True))) == []
    assert reasons(demo, valid(greeted=answer("greeted", na=True))) == [("greeted", "N/A is not allowed for this item")]
    assert reasons(demo, valid(courtesy=answer("courtesy", 3, na=True))) == [
        ("courtesy", "an N/A answer must not carry a value")
    ]


def test_conditional_items_are_required_only_when_they_apply(demo: FormDocument) -> None:
    assert reasons(demo, valid(queued=answer("queued", True))) == [("queue_handled", "missing answer")]
    chain = valid(queued=answer("queued", True), queue_handled=answer("queue_handled", True))
    assert reasons(demo, chain) == [("queue_speed", "missing answer")]
    # a failed link in the chain switches off the next condition
    broken = valid(queued=answer("queued", True), queue_handled=answer("queue_handled", False))
    assert reasons(demo, broken) == []


def test_answers_to_inapplicable_items_are_accepted_if_well_formed(demo: FormDocument) -> None:
    stale = valid(queue_handled=answer("queue_handled", True), queue_speed=answer("queue_speed", 2))
    assert reasons(demo, stale) == []
    malformed = valid(queue_handled=answer("queue_handled", "yes"))
    assert reasons(demo, malformed) == [("queue_handled", "expected true or false, got a string")]


def test_required_photos(demo: FormDocument) -> None:
    assert reasons(demo, valid(storefront=answer("storefront", photos=photo_ids(1)))) == [
        ("storefront", "this item needs at least 2 photo(s), got 1")
    ]
    assert reasons(demo, valid(storefront=answer("storefront", photos=photo_ids(4)))) == [
        ("storefront", "4 photos attached; at most 3 allowed")
    ]


def test_required_on_fail_photos_only_when_the_item_failed(demo: FormDocument) -> None:
    assert reasons(demo, valid(greeted=answer("greeted", True))) == []
    assert reasons(demo, valid(greeted=answer("greeted", False))) == [
        ("greeted", "a failed answer needs at least 1 photo(s), got 0")
    ]
    assert reasons(demo, valid(greeted=answer("greeted", False, photos=photo_ids(1)))) == []


def test_photos_refused_or_repeated(demo: FormDocument) -> None:
    assert reasons(demo, valid(cues=answer("cues", [], photos=photo_ids(1)))) == [
        ("cues", "this item does not take photos")
    ]
    same = uuid.UUID(int=7)
    assert reasons(demo, valid(offer=answer("offer", "none", photos=[same, same]))) == [
        ("offer", "the same photo is listed more than once")
    ]


def test_answers_decode_strictly_from_json() -> None:
    decoded = msgspec.json.decode(
        b'[{"item": "a", "value": 3, "photos": ["00000000-0000-0000-0000-000000000001"], "comment": "ok"},'
        b' {"item": "b", "na": true}, {"item": "c", "value": ["x", "y"]}, {"item": "d", "value": 2.5}]',
        type=list[Answer],
    )
    assert [a.value for a in decoded] == [3, None, ["x", "y"], 2.5]
    assert decoded[0].photos == [uuid.UUID(int=1)]
    with pytest.raises(msgspec.ValidationError, match="unknown field `score`"):
        msgspec.json.decode(b'{"item": "a", "score": 3}', type=Answer)
    with pytest.raises(msgspec.ValidationError, match=r"Invalid UUID - at `\$.photos\[0\]`"):
        msgspec.json.decode(b'{"item": "a", "photos": ["nope"]}', type=Answer)


def test_problems_are_frozen_values() -> None:
    problem = AnswerProblem("a", "why")
    assert problem == AnswerProblem(item="a", reason="why")
    with pytest.raises(AttributeError):
        problem.reason = "other"  # type: ignore[misc]
