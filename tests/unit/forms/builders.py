"""Small builders for form documents in tests: plain dicts, decoded through the real loader."""

import math
import uuid
from typing import Any

import msgspec

from inspect_api.forms.answers import Answer
from inspect_api.forms.loader import parse_form_json
from inspect_api.forms.model import (
    ChecklistItem,
    ChoiceItem,
    FormDocument,
    Item,
    NumberItem,
    NumberTarget,
    PhotoItem,
    ScaleItem,
    Section,
    TextItem,
    YesNoItem,
)


def text(value: str) -> dict[str, str]:
    return {"zh": f"{value}(中)", "en": value}


def item(type_: str, key: str, **fields: Any) -> dict[str, Any]:
    return {"type": type_, "key": key, "label": text(key), **fields}


def yes_no(key: str, **fields: Any) -> dict[str, Any]:
    return item("yes_no", key, **fields)


def scale(key: str, low: int = 1, high: int = 5, **fields: Any) -> dict[str, Any]:
    points = [{"value": low, "label": text("low")}, {"value": high, "label": text("high")}]
    return item("scale", key, min=low, max=high, points=fields.pop("points", points), **fields)


def choice(key: str, scores: dict[str, float], **fields: Any) -> dict[str, Any]:
    options = [{"key": k, "label": text(k), "score": s} for k, s in scores.items()]
    return item("choice", key, options=options, **fields)


def checklist(key: str, points: dict[str, float], **fields: Any) -> dict[str, Any]:
    options = [{"key": k, "label": text(k), "points": p} for k, p in points.items()]
    return item("checklist", key, options=options, **fields)


def section(key: str, *items: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"key": key, "title": text(key), "items": list(items), **fields}


def document(*sections: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "key": fields.pop("key", "test-form"),
        "title": text("Test form"),
        "description": text("A form for tests"),
        "sections": list(sections),
        **fields,
    }


def form(*sections: dict[str, Any], **fields: Any) -> FormDocument:
    """Decode and validate through the real JSON loader (raises FormDocumentError)."""
    return parse_form_json(msgspec.json.encode(document(*sections, **fields)), "test")


def answer(item_key: str, value: Any = None, **fields: Any) -> Answer:
    return Answer(item=item_key, value=value, **fields)


def replace_item(form: FormDocument, key: str, **changes: Any) -> FormDocument:
    """A copy of ``form`` with one item's fields replaced (frozen Structs all the way down)."""

    def swap(item: Item) -> Item:
        return msgspec.structs.replace(item, **changes) if item.key == key else item

    sections: list[Section] = [msgspec.structs.replace(s, items=tuple(swap(i) for i in s.items)) for s in form.sections]
    return msgspec.structs.replace(form, sections=tuple(sections))


# -- canned answers -------------------------------------------------------------------------------


def photo_ids(count: int) -> list[uuid.UUID]:
    return [uuid.UUID(int=n + 1) for n in range(count)]


def best_value(item: Item) -> Any:
    """A value that earns full credit (or a plausible value for unscored items)."""
    match item:
        case YesNoItem():
            return item.pass_value if item.scored else True
        case ScaleItem(scoring="per_point"):
            return max(item.points, key=lambda point: point.score or 0.0).value
        case ScaleItem():
            return item.max
        case ChoiceItem():
            return max(item.options, key=lambda option: option.score).key
        case ChecklistItem():
            return [option.key for option in item.options]
        case NumberItem(target=NumberTarget(min=low, max=high)):
            return low if low is not None else high
        case NumberItem():
            return item.min if item.min is not None else (item.max if item.max is not None else 0)
        case TextItem():
            return "ok"
        case PhotoItem():
            return None


def best_answer(item: Item) -> Answer:
    if isinstance(item, PhotoItem):
        return Answer(item=item.key, photos=photo_ids(max(1, item.photos.min_count)))
    count = item.photos.min_count if item.photos.mode == "required" else 0
    return Answer(item=item.key, value=best_value(item), photos=photo_ids(count))


def fail_value(item: Item) -> tuple[bool, Any]:
    """(found, value) of an answer that earns nothing; found is False when none exists."""
    match item:
        case YesNoItem(scored=True):
            return True, not item.pass_value
        case ScaleItem(scored=True, scoring="proportional"):
            return True, item.min
        case ScaleItem(scored=True):
            zero = [point.value for point in item.points if not point.score]
            return bool(zero), zero[0] if zero else None
        case ChoiceItem(scored=True):
            zero = [option.key for option in item.options if option.score == 0]
            return bool(zero), zero[0] if zero else None
        case ChecklistItem(scored=True):
            return True, []
        case NumberItem(target=NumberTarget() as target):
            below = None if target.min is None else math.floor(target.min - 1)
            above = None if target.max is None else math.ceil(target.max + 1)
            for candidate in (below, above):
                if candidate is None:
                    continue
                if (item.min is None or candidate >= item.min) and (item.max is None or candidate <= item.max):
                    return True, candidate
            return False, None
        case PhotoItem(scored=True):
            return True, None
    return False, None


def fail_answer(item: Item) -> Answer | None:
    found, value = fail_value(item)
    if not found:
        return None
    count = item.photos.min_count if item.photos.mode in ("required", "required_on_fail") else 0
    if isinstance(item, PhotoItem):
        count = 0
    return Answer(item=item.key, value=value, photos=photo_ids(count))
