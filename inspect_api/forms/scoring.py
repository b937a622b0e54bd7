"""Pure, deterministic scoring of one set of answers against one form version.

The maths, in short (bump ``SCORING_RULES_VERSION`` whenever any of it changes):

* Every scored item yields a ratio in [0, 1] (see ``grade``); it earns ``weight * ratio`` out of
  ``weight``. Status: ratio 1 -> pass, 0 -> fail, otherwise partial.
* N/A answers and items whose ``applies_when`` is not met are left out of the denominator.
* Section percent = earned / possible * 100, rounded to 2 decimals; ``None`` when nothing in it
  was scorable.
* Total percent: without section weights, all item points pooled (earned / possible * 100). With
  section weights (every section has one), the weighted mean of the section percentages over the
  sections that had something scorable (their weights renormalised). ``earned``/``possible`` on the
  card stay the pooled item points either way.
* Critical effects trigger on a *failed* item only (not partial): ``fail_form`` forces the total
  to 0 and ``passed`` to False, ``cap_score:p`` caps the total at p, ``flag`` only records.
  ``uncapped_percent`` is the total before any of them.
* A follow-up opens for an item with a ``follow_up`` rule when its share of its points is below
  ``open_below``, or, without ``open_below``, when it failed (share 0).
* ``explanations`` name, in zh and en, every critical effect, every N/A scored item and every
  scored item that did not apply, with why.

Score cards are stored as computed and never recomputed in place: a card carries the
``rules_version`` it was made with, and ``compare_cards`` reports what a deliberate re-score changed.
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
    Section,
    Text,
    TextItem,
    YesNoItem,
    is_scored,
)

if TYPE_CHECKING:
    # answers.py imports this module at runtime (it grades items to enforce required_on_fail
    # photos), so the dependency back to it is for type checking only.
    from inspect_api.forms.answers import Answer

SCORING_RULES_VERSION: Final = "2"  # 2: section weights, follow-up thresholds, explanations
PERCENT_DECIMALS: Final = 2
POINTS_DECIMALS: Final = 4  # earned/possible are reported rounded so float noise never leaks out

ItemStatus = Literal["pass", "fail", "partial", "na", "inapplicable", "unscored"]
ExplanationKind = Literal["critical", "na", "inapplicable"]


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
    reason: Text | None = None  # None only on cards scored before rules version 2


class FollowUp(Struct, frozen=True, kw_only=True):
    """A corrective action to open for a failed item that carries a follow_up rule."""

    item: str
    due_in_days: int
    title: Text
    evidence_required: bool
    critical: bool  # the item failed and carries a critical effect
    share: float | None = None  # the item's share of its points (None on cards before rules version 2)


class Explanation(Struct, frozen=True, kw_only=True):
    """Why the card looks as it does for one item, in both languages."""

    kind: ExplanationKind
    item: str
    text: Text


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
    # Added in rules version 2; defaults keep older stored cards decodable.
    uncapped_percent: float | None = None
    section_weighted: bool = False
    explanations: tuple[Explanation, ...] = ()


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
    items = form.items_by_key()

    item_scores: list[ItemScore] = []
    section_scores: list[SectionScore] = []
    effects: list[AppliedEffect] = []
    follow_ups: list[FollowUp] = []
    explanations: list[Explanation] = []
    total_earned = total_possible = 0.0
    weighted_sum = weight_sum = 0.0
    section_weighted = all(section.weight is not None for section in form.sections)
    for section in form.sections:
        section_earned = section_possible = 0.0
        for item in section.items:
            answer = by_key.get(item.key)
            status, earned, possible = _score_item(item, answer, item.key in applicable)
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
            if status in ("na", "inapplicable"):
                if is_scored(item):
                    explanations.append(_dropped_out(item, status, answer, items))
                continue
            if possible <= 0:
                continue
            share = earned / possible
            effect = item.critical_effect
            triggered = effect is not None and status == "fail"
            if effect is not None and triggered:
                reason = _effect_reason(item, effect.kind, effect.cap_pct)
                effects.append(AppliedEffect(item=item.key, effect=effect.kind, cap_pct=effect.cap_pct, reason=reason))
                explanations.append(Explanation(kind="critical", item=item.key, text=reason))
            rule = item.follow_up
            if rule is not None and follows_up(rule.open_below, share):
                follow_ups.append(
                    FollowUp(
                        item=item.key,
                        due_in_days=rule.due_in_days,
                        title=rule.title,
                        evidence_required=rule.evidence_required,
                        critical=triggered,
                        share=_points(share),
                    )
                )
        total_earned += section_earned
        total_possible += section_possible
        if section_weighted and section_possible > 0:
            weighted_sum += _section_weight(section) * section_earned / section_possible
            weight_sum += _section_weight(section)
        section_scores.append(
            SectionScore(
                key=section.key,
                earned=_points(section_earned),
                possible=_points(section_possible),
                percent=_percent(section_earned, section_possible),
            )
        )

    if section_weighted:
        uncapped = round(weighted_sum / weight_sum * 100, PERCENT_DECIMALS) if weight_sum > 0 else None
    else:
        uncapped = _percent(total_earned, total_possible)
    total = uncapped
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
        uncapped_percent=uncapped,
        section_weighted=section_weighted,
        explanations=tuple(explanations),
    )


def follows_up(open_below: float | None, share: float) -> bool:
    """Whether an item with this share of its points opens its follow-up action."""
    return share <= 0.0 if open_below is None else share < open_below


def _section_weight(section: Section) -> float:
    assert section.weight is not None  # only called when every section is weighted
    return section.weight


def _name(item: Item, lang: Literal["zh", "en"]) -> str:
    return f"{item.key} {getattr(item.label, lang)}"


def _effect_reason(item: Item, kind: EffectKind, cap_pct: float | None) -> Text:
    match kind:
        case "fail_form":
            zh, en = "整张表计 0 分", "the whole form scores 0"
        case "cap_score":
            zh, en = f"总分最高 {cap_pct:g}%", f"the total is capped at {cap_pct:g} %"
        case "flag":
            zh, en = "已标记，供质检复核", "flagged for QA review"
    return Text(zh=f"未通过 {_name(item, 'zh')}：{zh}", en=f"failed {_name(item, 'en')}: {en}")


def _dropped_out(item: Item, status: ItemStatus, answer: "Answer | None", items: Mapping[str, Item]) -> Explanation:
    if status == "na":
        zh_why = en_why = ""
        if item.na_when is not None:
            zh_why, en_why = f"（{item.na_when.zh}）", f" ({item.na_when.en})"
        return Explanation(
            kind="na",
            item=item.key,
            text=Text(
                zh=f"{_name(item, 'zh')} 记为不适用{zh_why}：不计入得分",
                en=f"{_name(item, 'en')} was answered N/A{en_why}: left out of the score",
            ),
        )
    condition = item.applies_when
    assert condition is not None  # only conditional items are inapplicable
    target = items[condition.item]
    values = ", ".join(msgspec.json.encode(value).decode() for value in condition.accepted_values())
    return Explanation(
        kind="inapplicable",
        item=item.key,
        text=Text(
            zh=f"{_name(item, 'zh')} 不适用（仅当 {_name(target, 'zh')} 为 {values}）：不计入得分",
            en=f"{_name(item, 'en')} did not apply (only when {_name(target, 'en')} is {values}): "
            "left out of the score",
        ),
    )


# ---------------------------------------------------------------------------------------------
# Re-scoring: an explicit operation that reports what it would change
# ---------------------------------------------------------------------------------------------


class ItemChange(Struct, frozen=True, kw_only=True):
    item: str
    before: ItemStatus | None  # None: the item is not on the earlier card
    after: ItemStatus | None


class ScoreChange(Struct, frozen=True, kw_only=True):
    """What re-scoring one result changes; ``changed`` is False when the cards score alike."""

    rules_before: str
    rules_after: str
    total_before: float | None
    total_after: float | None
    passed_before: bool
    passed_after: bool
    items: tuple[ItemChange, ...]
    follow_ups_opened: tuple[str, ...]
    follow_ups_dropped: tuple[str, ...]
    changed: bool


def compare_cards(before: ScoreCard, after: ScoreCard) -> ScoreChange:
    """The report of a re-score: totals, pass/fail, item statuses and follow-ups that differ."""
    old = {item.key: item.status for item in before.items}
    new = {item.key: item.status for item in after.items}
    keys = list(old) + [key for key in new if key not in old]
    items = tuple(
        ItemChange(item=key, before=old.get(key), after=new.get(key)) for key in keys if old.get(key) != new.get(key)
    )
    old_follow = [f.item for f in before.follow_ups]
    new_follow = [f.item for f in after.follow_ups]
    opened = tuple(key for key in new_follow if key not in old_follow)
    dropped = tuple(key for key in old_follow if key not in new_follow)
    changed = bool(
        items or opened or dropped or before.total_percent != after.total_percent or before.passed != after.passed
    )
    return ScoreChange(
        rules_before=before.rules_version,
        rules_after=after.rules_version,
        total_before=before.total_percent,
        total_after=after.total_percent,
        passed_before=before.passed,
        passed_after=after.passed,
        items=items,
        follow_ups_opened=opened,
        follow_ups_dropped=dropped,
        changed=changed,
    )
