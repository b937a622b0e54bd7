"""Hypothesis strategies: random valid forms and random valid answers for them."""

import itertools
import uuid
from typing import Any

import msgspec
from hypothesis import strategies as st

from inspect_api.forms.answers import Answer
from inspect_api.forms.model import (
    ITEM_TYPES,
    ChecklistItem,
    ChecklistOption,
    ChoiceItem,
    ChoiceOption,
    Condition,
    FollowUpRule,
    FormDocument,
    Item,
    NumberItem,
    NumberTarget,
    PhotoItem,
    PhotoRule,
    ScaleItem,
    ScalePoint,
    Section,
    Text,
    TextItem,
    YesNoItem,
    answer_required,
    is_scored,
)

LABEL = Text(zh="标签", en="label")
# Scored items carry most properties, so they are drawn three times as often as unscored ones.
mostly_scored = st.sampled_from([True, True, True, False])
FOLLOW_UP = FollowUpRule(due_in_days=7, title=Text(zh="整改", en="fix"))
NUMBER_LIMIT = 1000

weights = st.one_of(
    st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0]),
    st.floats(min_value=0.01, max_value=100, allow_nan=False, allow_infinity=False, allow_subnormal=False),
)
scores = st.one_of(st.sampled_from([0.0, 1.0, 2.0, 4.0]), st.floats(min_value=0, max_value=10, allow_subnormal=False))


def _condition_values(item: Item) -> st.SearchStrategy[Any]:
    match item:
        case YesNoItem():
            return st.booleans()
        case ScaleItem():
            return st.integers(item.min, item.max)
        case ChoiceItem():
            return st.sampled_from([o.key for o in item.options])
    raise AssertionError(item)


@st.composite
def conditions(draw: st.DrawFn, earlier: list[Item]) -> Condition | None:
    targets = [i for i in earlier if isinstance(i, YesNoItem | ScaleItem | ChoiceItem)]
    if not targets or draw(st.integers(0, 2)) == 0:
        return None
    target = draw(st.sampled_from(targets))
    values = _condition_values(target)
    if draw(st.booleans()):
        return Condition(item=target.key, equals=draw(values))
    return Condition(item=target.key, any_of=tuple(draw(st.lists(values, min_size=1, max_size=3, unique=True))))


@st.composite
def _typed_item(draw: st.DrawFn, key: str) -> Item:
    kind = draw(st.sampled_from(ITEM_TYPES))
    common: dict[str, Any] = {"key": key, "label": LABEL}
    match kind:
        case "yes_no":
            return YesNoItem(**common, scored=draw(mostly_scored), pass_value=draw(st.booleans()))
        case "scale":
            low = draw(st.integers(-3, 3))
            high = low + draw(st.integers(1, 6))
            if draw(st.booleans()):
                point_scores = draw(st.lists(scores, min_size=high - low + 1, max_size=high - low + 1))
                points = tuple(
                    ScalePoint(value=v, label=LABEL, score=s)
                    for v, s in zip(range(low, high + 1), point_scores, strict=True)
                )
                scored = max(point_scores) > 0 and draw(mostly_scored)
                return ScaleItem(**common, min=low, max=high, points=points, scoring="per_point", scored=scored)
            inner = draw(st.sets(st.integers(low + 1, high - 1))) if high - low > 1 else set()
            points = tuple(ScalePoint(value=v, label=LABEL) for v in sorted({low, high, *inner}))
            return ScaleItem(**common, min=low, max=high, points=points, scored=draw(mostly_scored))
        case "choice":
            option_scores = draw(st.lists(scores, min_size=2, max_size=4))
            options = tuple(ChoiceOption(key=f"o{n}", label=LABEL, score=s) for n, s in enumerate(option_scores))
            return ChoiceItem(**common, options=options, scored=max(option_scores) > 0 and draw(mostly_scored))
        case "checklist":
            points = draw(st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.0]), min_size=1, max_size=5))
            options = tuple(ChecklistOption(key=f"o{n}", label=LABEL, points=p) for n, p in enumerate(points))
            rule = draw(st.sampled_from(["all", "at_least", "each"]))
            at_least = draw(st.integers(1, len(options))) if rule == "at_least" else None
            return ChecklistItem(**common, options=options, rule=rule, at_least=at_least, scored=draw(mostly_scored))
        case "number":
            integer = draw(st.booleans())
            low = draw(st.none() | st.integers(-50, 50))
            high = None if draw(st.booleans()) else (low if low is not None else 0) + draw(st.integers(0, 100))
            target = None
            if draw(mostly_scored):
                floor = low if low is not None else -NUMBER_LIMIT
                ceiling = high if high is not None else NUMBER_LIMIT
                first, second = sorted(draw(st.lists(st.integers(floor, ceiling), min_size=2, max_size=2)))
                open_side = draw(st.sampled_from(["none", "min", "max"]))
                target = NumberTarget(
                    min=None if open_side == "min" else float(first),
                    max=None if open_side == "max" else float(second),
                )
            return NumberItem(
                **common,
                min=None if low is None else float(low),
                max=None if high is None else float(high),
                integer=integer,
                target=target,
            )
        case "text":
            return TextItem(**common, required=draw(st.booleans()), max_length=20)
        case _:
            return PhotoItem(**common, scored=draw(st.booleans()))


@st.composite
def items(draw: st.DrawFn, key: str, earlier: list[Item]) -> Item:
    item = draw(_typed_item(key))
    scored = is_scored(item)
    if isinstance(item, PhotoItem):
        modes = ["optional"] if scored else ["optional", "required"]
    else:
        modes = ["none", "optional", "required", *(["required_on_fail"] if scored else [])]
    min_count = draw(st.integers(1, 3))
    changes: dict[str, Any] = {
        "weight": draw(weights),
        "na_allowed": draw(st.booleans()),
        "applies_when": draw(conditions(earlier)),
        "photos": PhotoRule(mode=draw(st.sampled_from(modes)), min_count=min_count, max_count=min_count + 2),
    }
    if scored:
        changes["critical"] = draw(
            st.sampled_from([None, None, "flag", "fail_form"]) | st.integers(0, 99).map(lambda p: f"cap_score:{p}")
        )
        changes["follow_up"] = draw(
            st.sampled_from([None, FOLLOW_UP])
            | st.floats(min_value=0.01, max_value=1.0).map(
                lambda share: msgspec.structs.replace(FOLLOW_UP, open_below=share)
            )
        )
    return msgspec.structs.replace(item, **changes)


@st.composite
def forms(draw: st.DrawFn) -> FormDocument:
    counter = itertools.count()
    earlier: list[Item] = []
    sections: list[Section] = []
    for s in range(draw(st.integers(1, 3))):
        section_items: list[Item] = []
        for _ in range(draw(st.integers(1, 4))):
            item = draw(items(f"i{next(counter)}", earlier))
            earlier.append(item)
            section_items.append(item)
        sections.append(Section(key=f"s{s}", title=LABEL, items=tuple(section_items)))
    # Section weights go on every section or none, and only where each section can score.
    if all(any(is_scored(i) for i in section.items) for section in sections) and draw(st.booleans()):
        sections = [msgspec.structs.replace(section, weight=draw(weights)) for section in sections]
    threshold = draw(st.none() | st.floats(min_value=0, max_value=100))
    return FormDocument(
        key="prop-form", title=LABEL, description=LABEL, pass_threshold=threshold, sections=tuple(sections)
    )


# -- answers --------------------------------------------------------------------------------------


def values_for(item: Item) -> st.SearchStrategy[Any]:
    match item:
        case YesNoItem():
            return st.booleans()
        case ScaleItem():
            return st.integers(item.min, item.max)
        case ChoiceItem():
            return st.sampled_from([o.key for o in item.options])
        case ChecklistItem():
            return st.lists(st.sampled_from([o.key for o in item.options]), unique=True)
        case NumberItem():
            low = item.min if item.min is not None else -NUMBER_LIMIT
            high = item.max if item.max is not None else NUMBER_LIMIT
            hints = [b for t in [item.target] if t is not None for b in (t.min, t.max) if b is not None]
            if item.integer:
                return st.integers(int(low), int(high)) | st.sampled_from([int(h) for h in hints] or [int(low)])
            return (
                st.floats(low, high, allow_nan=False)
                | st.integers(int(low), int(high))
                | st.sampled_from(hints or [low])
            )
        case TextItem():
            if item.required:
                return st.text(min_size=1, max_size=item.max_length).filter(str.strip)
            return st.text(max_size=item.max_length)
        case PhotoItem():
            return st.none()
    raise AssertionError(item)


def _met(condition: Condition, answer: Answer | None) -> bool:
    # Written independently of scoring.applicable_item_keys on purpose.
    if answer is None or answer.na:
        return False
    return any(type(answer.value) is type(v) and answer.value == v for v in condition.accepted_values())


@st.composite
def answers_for(draw: st.DrawFn, form: FormDocument) -> list[Answer]:
    """Valid answers: every applicable required item answered, photo counts within the rules."""
    photo_numbers = itertools.count(1)
    answers: dict[str, Answer] = {}
    applicable: set[str] = set()

    def photos(count: int) -> list[uuid.UUID]:
        return [uuid.UUID(int=next(photo_numbers)) for _ in range(count)]

    for _, item in form.iter_items():
        condition = item.applies_when
        applies = condition is None or (condition.item in applicable and _met(condition, answers.get(condition.item)))
        rule = item.photos
        if applies:
            applicable.add(item.key)
            if item.na_allowed and draw(st.integers(0, 3)) == 0:
                answers[item.key] = Answer(item=item.key, na=True)
                continue
            if not answer_required(item) and draw(st.booleans()):
                continue
            low = rule.min_count if rule.mode in ("required", "required_on_fail") else 0
        elif draw(st.booleans()):
            continue  # an inapplicable item is usually left alone, sometimes answered anyway
        else:
            low = 0
        count = 0 if rule.mode == "none" else draw(st.integers(low, rule.max_count))
        answers[item.key] = Answer(item=item.key, value=draw(values_for(item)), photos=photos(count))
    return list(answers.values())
