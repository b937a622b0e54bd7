"""Inspector answers and their validation against one form version.

Decisions worth knowing:

* An answer for an item that does not apply (its ``applies_when`` is not met) is **accepted and
  ignored**: it must still be well-formed for its item, but nothing is required of it and scoring
  marks the item ``inapplicable``. Offline clients keep answers while the inspector flips the
  condition back and forth; rejecting the whole submission for that would lose work for nothing.
* N/A is an answer: it satisfies "must be answered" where the item allows N/A, and carries no value.
* Photo ids are only checked for shape and count here; whether they exist in storage is the
  submission service's job.
"""

import math
import uuid
from collections.abc import Sequence
from typing import Annotated, Final

from msgspec import Meta, Struct

from inspect_api.forms.model import (
    ChecklistItem,
    ChoiceItem,
    FormDocument,
    Item,
    NumberItem,
    PhotoItem,
    ScaleItem,
    TextItem,
    YesNoItem,
    answer_required,
)
from inspect_api.forms.scoring import applicable_item_keys, grade

MAX_COMMENT_LENGTH: Final = 2000

# bool for yes_no, int for scale, option key for choice, option keys for checklist, number for
# number, str for text, null for photo.
AnswerValue = bool | int | float | str | list[str] | None


class Answer(Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    item: str
    value: AnswerValue = None
    na: bool = False
    photos: list[uuid.UUID] = []
    comment: Annotated[str, Meta(max_length=MAX_COMMENT_LENGTH)] | None = None


class AnswerProblem(Struct, frozen=True):
    item: str
    reason: str


def _json_type(value: object) -> str:
    match value:
        case bool():
            return "true/false"
        case int() | float():
            return "a number"
        case str():
            return "a string"
        case list():
            return "a list"
        case None:
            return "nothing"
    return type(value).__name__  # pragma: no cover - msgspec only decodes the types above


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fmt(number: float) -> str:
    return f"{number:g}"


def _value_problem(item: Item, value: object) -> str | None:
    """Why ``value`` is not a valid (non-N/A) answer for ``item``, or None when it is."""
    match item:
        case YesNoItem():
            if not isinstance(value, bool):
                return f"expected true or false, got {_json_type(value)}"
        case ScaleItem():
            if not isinstance(value, int) or isinstance(value, bool):
                return f"expected a whole number from {item.min} to {item.max}, got {_json_type(value)}"
            if not item.min <= value <= item.max:
                return f"{value} is outside the scale {item.min}..{item.max}"
        case ChoiceItem():
            keys = [option.key for option in item.options]
            if not isinstance(value, str):
                return f"expected one option key, got {_json_type(value)}"
            if value not in keys:
                return f"unknown option {value!r}; expected one of: {', '.join(keys)}"
        case ChecklistItem():
            keys = [option.key for option in item.options]
            if not isinstance(value, list):
                return f"expected a list of option keys, got {_json_type(value)}"
            unknown = [key for key in value if key not in keys]
            if unknown:
                return f"unknown option(s) {', '.join(map(repr, unknown))}; expected any of: {', '.join(keys)}"
            repeated = sorted({key for key in value if value.count(key) > 1})
            if repeated:
                return f"option(s) listed more than once: {', '.join(map(repr, repeated))}"
        case NumberItem():
            if not _is_number(value):
                return f"expected a number, got {_json_type(value)}"
            assert isinstance(value, int | float)
            if not math.isfinite(value):
                return "expected a finite number"
            if item.integer and value != int(value):
                return f"expected a whole number, got {_fmt(value)}"
            if item.min is not None and value < item.min:
                return f"{_fmt(value)} is below the minimum {_fmt(item.min)}"
            if item.max is not None and value > item.max:
                return f"{_fmt(value)} is above the maximum {_fmt(item.max)}"
        case TextItem():
            if not isinstance(value, str):
                return f"expected text, got {_json_type(value)}"
            if len(value) > item.max_length:
                return f"text is {len(value)} characters long; at most {item.max_length} allowed"
            if item.required and not value.strip():
                return "text is required and must not be blank"
        case PhotoItem():
            if value is not None:
                return f"a photo item takes photos only, no value (got {_json_type(value)})"
    return None


def _photo_problems(item: Item, answer: Answer, *, applicable: bool) -> list[str]:
    rule = item.photos
    count = len(answer.photos)
    problems: list[str] = []
    if len(set(answer.photos)) != count:
        problems.append("the same photo is listed more than once")
    if rule.mode == "none" and count:
        problems.append("this item does not take photos")
    elif count > rule.max_count:
        problems.append(f"{count} photos attached; at most {rule.max_count} allowed")
    if not applicable or answer.na:
        return problems
    needed = rule.mode == "required" or (rule.mode == "required_on_fail" and grade(item, answer) == 0.0)
    if needed and count < rule.min_count:
        why = "this item" if rule.mode == "required" else "a failed answer"
        problems.append(f"{why} needs at least {rule.min_count} photo(s), got {count}")
    return problems


def _answer_problems(item: Item, answer: Answer, *, applicable: bool) -> list[str]:
    if answer.na:
        problems = [] if item.na_allowed else ["N/A is not allowed for this item"]
        if answer.value is not None:
            problems.append("an N/A answer must not carry a value")
        return problems + _photo_problems(item, answer, applicable=applicable)
    value_problem = _value_problem(item, answer.value)
    if value_problem is not None:
        # Photo rules that depend on pass/fail cannot be judged on a malformed value.
        return [value_problem]
    return _photo_problems(item, answer, applicable=applicable)


def _missing_reason(item: Item) -> str:
    if isinstance(item, PhotoItem):
        return f"missing answer: at least {item.photos.min_count} photo(s) required"
    return "missing answer" + (" (or N/A)" if item.na_allowed else "")


def validate_answers(form: FormDocument, answers: Sequence[Answer]) -> list[AnswerProblem]:
    """Every problem with ``answers`` for ``form``; an empty list means they can be scored."""
    items = form.items_by_key()
    problems: list[AnswerProblem] = []
    by_key: dict[str, Answer] = {}
    for answer in answers:
        if answer.item not in items:
            problems.append(AnswerProblem(answer.item, f"unknown item {answer.item!r} in form {form.key!r}"))
        elif answer.item in by_key:
            problems.append(AnswerProblem(answer.item, "answered more than once"))
        else:
            by_key[answer.item] = answer

    applicable = applicable_item_keys(form, by_key)
    for _, item in form.iter_items():
        answer = by_key.get(item.key)
        is_applicable = item.key in applicable
        if answer is None:
            if is_applicable and answer_required(item):
                problems.append(AnswerProblem(item.key, _missing_reason(item)))
            continue
        problems.extend(
            AnswerProblem(item.key, reason) for reason in _answer_problems(item, answer, applicable=is_applicable)
        )
    return problems
