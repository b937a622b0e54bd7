"""Pure, deterministic scoring of one set of answers against one form version.

The maths, in short (bump ``SCORING_RULES_VERSION`` whenever any of it changes):

* Every scored item yields a ratio in [0, 1] (see ``grade``); it earns ``weight * ratio`` out of
  ``weight``. Status: ratio 1 -> pass, 0 -> fail, otherwise partial.
* N/A answers and items whose ``applies_when`` is not met are left out of the denominator.
* Section and total percent = earned / possible * 100, rounded to 2 decimals; ``None`` when
  nothing in it was scorable.
* Critical effects trigger on a *failed* item only (not partial): ``fail_form`` forces the total
  to 0 and ``passed`` to False, ``cap_score:p`` caps the total at p, ``flag`` only records.
* ``passed`` = no ``fail_form`` triggered and, when the form has a ``pass_threshold``, the total
  reaches it (a form with a threshold and nothing scorable does not pass).
"""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final, Literal

import msgspec
from msgspec import Struct

from inspect_api.forms.model import (
    ChecklistItem,
    ChoiceItem,
    Condition,
    EffectKind,
    FormDocument,
    Item,
    NumberItem,
    PhotoItem,
    ScaleItem,
    Text,
    TextItem,
    YesNoItem,
    is_scored,
)

if TYPE_CHECKING:
    # answers.py imports this module at runtime (it grades items to enforce required_on_fail
    # photos), so the dependency back to it is for type checking only.
    from inspect_api.forms.answers import Answer

SCORING_RULES_VERSION: Final = "1"
PERCENT_DECIMALS: Final = 2
POINTS_DECIMALS: Final = 4  # earned/possible are reported rounded so float noise never leaks out

ItemStatus = Literal["pass", "fail", "partial", "na", "inapplicable", "unscored"]


class ItemScore(Struct, frozen=True, kw_only=True):
    key: str
    section: str
    status: ItemStatus
    earned: float
    possible: float


class SectionScore(Struct, frozen=True, kw_only=True):
    key: str
    earned: float
    possible: float
    percent: float | None


class AppliedEffect(Struct, frozen=True, kw_only=True):
    """A critical effect triggered by a failed item."""

    item: str
    effect: EffectKind
    cap_pct: float | None = None


class FollowUp(Struct, frozen=True, kw_only=True):
    """A corrective action to open for a failed item that carries a follow_up rule."""

    item: str
    due_in_days: int
    title: Text
    evidence_required: bool
    critical: bool


class ScoreCard(Struct, frozen=True, kw_only=True):
    form_key: str
    form_version: int
    content_hash: str
    rules_version: str
    total_percent: float | None
    earned: float
    possible: float
    passed: bool
    sections: tuple[SectionScore, ...]
    items: tuple[ItemScore, ...]
    critical_effects: tuple[AppliedEffect, ...]
    flags: tuple[str, ...]
    failed_items: tuple[str, ...]
    follow_ups: tuple[FollowUp, ...]


class UnscorableAnswersError(ValueError):
    """The answers were not validated with ``validate_answers`` first."""


# ---------------------------------------------------------------------------------------------
# Applicability
# ---------------------------------------------------------------------------------------------


def same_value(a: object, b: object) -> bool:
    """Equality that keeps ``True`` and ``1`` apart (JSON true is not the scale value 1)."""
    return type(a) is type(b) and a == b


def condition_met(condition: Condition, answer: "Answer | None") -> bool:
    if answer is None or answer.na:
        return False
    return any(same_value(answer.value, accepted) for accepted in condition.accepted_values())


def applicable_item_keys(form: FormDocument, answers_by_key: Mapping[str, "Answer"]) -> frozenset[str]:
    """Keys of the items that apply given these answers.

    Conditions may only point at earlier items, so one pass in form order settles everything; an
    item whose condition item is itself inapplicable, unanswered or N/A does not apply either.
    """
    applicable: set[str] = set()
    for _, item in form.iter_items():
        condition = item.applies_when
        if condition is None or (
            condition.item in applicable and condition_met(condition, answers_by_key.get(condition.item))
        ):
            applicable.add(item.key)
    return frozenset(applicable)


# ---------------------------------------------------------------------------------------------
# Grading one item
# ---------------------------------------------------------------------------------------------


def grade(item: Item, answer: "Answer | None") -> float | None:
    """Credit ratio in [0, 1] for a non-N/A answer, or None for an unscored item.

    ``answer`` may be None only where leaving the item blank is meaningful (a scored photo item
    without photos fails); anything else raises ``UnscorableAnswersError``.
    """
    if not is_scored(item):
        return None
    if answer is None:
        if isinstance(item, PhotoItem):
            return 0.0
        raise UnscorableAnswersError(f"item {item.key!r} is applicable and scored but has no answer")
    value = answer.value
    if isinstance(item, ScaleItem) and (type(value) is not int or not item.min <= value <= item.max):
        # bool is an int subclass and an out-of-range int would still divide: refuse both.
        raise UnscorableAnswersError(f"item {item.key!r}: cannot score value {value!r}")
    try:
        match item:
            case YesNoItem():
                return 1.0 if value is item.pass_value else 0.0
            case ScaleItem(scoring="proportional"):
                return (value - item.min) / (item.max - item.min)
            case ScaleItem():
                scores = {point.value: point.score or 0.0 for point in item.points}
                return scores[value] / max(scores.values())
            case ChoiceItem():
                scores = {option.key: option.score for option in item.options}
                return scores[value] / max(scores.values())
            case ChecklistItem(rule="all"):
                checked = set(value)
                return 1.0 if all(option.key in checked for option in item.options) else 0.0
            case ChecklistItem(rule="at_least"):
                return 1.0 if len(set(value)) >= (item.at_least or 0) else 0.0
            case ChecklistItem():
                checked = set(value)
                # Summed in option order in both places so "all checked" is exactly 1.0.
                earned = sum(option.points for option in item.options if option.key in checked)
                return earned / sum(option.points for option in item.options)
            case NumberItem(target=target) if target is not None:
                above_min = target.min is None or value >= target.min
                below_max = target.max is None or value <= target.max
                return 1.0 if above_min and below_max else 0.0
            case PhotoItem():
                return 1.0 if len(answer.photos) >= max(1, item.photos.min_count) else 0.0
            case TextItem() | NumberItem():  # pragma: no cover - excluded by is_scored above
                return None
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        raise UnscorableAnswersError(f"item {item.key!r}: cannot score value {value!r}") from exc
    raise UnscorableAnswersError(f"item {item.key!r}: unknown item type")  # pragma: no cover


def status_of(ratio: float | None) -> ItemStatus:
    if ratio is None:
        return "unscored"
    if ratio >= 1.0:
        return "pass"
    return "fail" if ratio <= 0.0 else "partial"


# ---------------------------------------------------------------------------------------------
# The score card
# ---------------------------------------------------------------------------------------------


def _percent(earned: float, possible: float) -> float | None:
    return round(earned / possible * 100, PERCENT_DECIMALS) if possible > 0 else None


def _points(value: float) -> float:
    return round(value, POINTS_DECIMALS)


def _index_answers(answers: Sequence["Answer"]) -> dict[str, "Answer"]:
    by_key: dict[str, Answer] = {}
    for answer in answers:
        if answer.item in by_key:
            raise UnscorableAnswersError(f"item {answer.item!r} is answered more than once")
        by_key[answer.item] = answer
    return by_key


def _score_item(item: Item, answer: "Answer | None", applicable: bool) -> tuple[ItemStatus, float, float]:
    """(status, earned, possible) of one item, unrounded."""
    if not applicable:
        return "inapplicable", 0.0, 0.0
    if answer is not None and answer.na:
        return "na", 0.0, 0.0
    ratio = grade(item, answer)
    if ratio is None:
        return "unscored", 0.0, 0.0
    return status_of(ratio), item.weight * ratio, item.weight


def score(form: FormDocument, answers: Sequence["Answer"], *, form_version: int, content_hash: str) -> ScoreCard:
    """Score validated answers (see ``validate_answers``); the result depends on nothing else."""
    by_key = _index_answers(answers)
    applicable = applicable_item_keys(form, by_key)

    item_scores: list[ItemScore] = []
    section_scores: list[SectionScore] = []
    effects: list[AppliedEffect] = []
    follow_ups: list[FollowUp] = []
    total_earned = total_possible = 0.0
    for section in form.sections:
        section_earned = section_possible = 0.0
        for item in section.items:
            status, earned, possible = _score_item(item, by_key.get(item.key), item.key in applicable)
            section_earned += earned
            section_possible += possible
            item_scores.append(
                ItemScore(
                    key=item.key,
                    section=section.key,
                    status=status,
                    earned=_points(earned),
                    possible=_points(possible),
                )
            )
            if status != "fail":
                continue
            effect = item.critical_effect
            if effect is not None:
                effects.append(AppliedEffect(item=item.key, effect=effect.kind, cap_pct=effect.cap_pct))
            if item.follow_up is not None:
                rule = msgspec.structs.asdict(item.follow_up)
                follow_ups.append(FollowUp(item=item.key, critical=effect is not None, **rule))
        total_earned += section_earned
        total_possible += section_possible
        section_scores.append(
            SectionScore(
                key=section.key,
                earned=_points(section_earned),
                possible=_points(section_possible),
                percent=_percent(section_earned, section_possible),
            )
        )

    total = _percent(total_earned, total_possible)
    form_failed = any(effect.effect == "fail_form" for effect in effects)
    if total is not None:
        if form_failed:
            total = 0.0
        caps = [effect.cap_pct for effect in effects if effect.cap_pct is not None]
        if caps:
            total = min(total, *caps)
    meets_threshold = form.pass_threshold is None or (total is not None and total >= form.pass_threshold)

    return ScoreCard(
        form_key=form.key,
        form_version=form_version,
        content_hash=content_hash,
        rules_version=SCORING_RULES_VERSION,
        total_percent=total,
        earned=_points(total_earned),
        possible=_points(total_possible),
        passed=not form_failed and meets_threshold,
        sections=tuple(section_scores),
        items=tuple(item_scores),
        critical_effects=tuple(effects),
        flags=tuple(effect.item for effect in effects if effect.effect == "flag"),
        failed_items=tuple(item.key for item in item_scores if item.status == "fail"),
        follow_ups=tuple(follow_ups),
    )
