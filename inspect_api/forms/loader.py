"""Parse and validate form documents (YAML seed files, JSON bodies) and hash their content.

Decoding (msgspec) stops at the first shape error; the semantic checks in ``validate_form`` then
report every problem at once. Both end up in one ``FormDocumentError`` whose problems carry the
path of the offending field, e.g. ``sections[1].items[3].weight``.
"""

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import msgspec
import msgspec.yaml
import yaml

from inspect_api.forms.model import (
    CRITICAL_PATTERN,
    FORM_KEY_PATTERN,
    ITEM_TYPES,
    KEY_PATTERN,
    MAX_SCALE_SPAN,
    ChecklistItem,
    ChoiceItem,
    Condition,
    FormDocument,
    Item,
    NumberItem,
    PhotoItem,
    ScaleItem,
    TextItem,
    YesNoItem,
    is_scored,
)

ROOT_PATH: Final = "(document)"
YAML_SUFFIXES: Final = frozenset({".yaml", ".yml"})
JSON_SUFFIXES: Final = frozenset({".json"})

# msgspec reports a failed pattern by quoting the regex; say what it means instead.
_PATTERN_MEANINGS: Final = {
    FORM_KEY_PATTERN: "a form key: 2-63 characters, lowercase letters, digits and '-'",
    KEY_PATTERN: "a key: 1-64 characters, lowercase letters, digits, '_' and '-'",
    CRITICAL_PATTERN: "one of fail_form, flag, cap_score:<percent below 100> (e.g. cap_score:50)",
}
_MSGSPEC_ERROR = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_ITEM_TYPE_PATH = re.compile(r"items\[\d+\]\.type$")


class Problem(msgspec.Struct, frozen=True):
    path: str
    message: str

    def describe(self) -> str:
        return f"{self.path}: {self.message}"


class FormDocumentError(ValueError):
    """A form document that cannot be used, with every problem found and where it is."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = "\n".join(f"  - {problem.describe()}" for problem in self.problems)
        return f"{self.source}: invalid form document ({len(self.problems)} problem(s))\n{lines}"


# ---------------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------------


def _decode_problem(error: msgspec.MsgspecError) -> Problem:
    """Turn msgspec's "<message> - at `$.a.b`" into a Problem with a readable message."""
    match = _MSGSPEC_ERROR.match(str(error))
    assert match is not None  # the pattern accepts any string
    # YAML syntax errors span several lines ("while parsing ... line 2, column 1"); keep one.
    message = " ".join(match["message"].split())
    path = (match["path"] or "").removeprefix(".")
    if field := re.fullmatch(r"Object contains unknown field `(.+)`", message):
        return Problem(_join(path, field[1]), "unknown field")
    if field := re.fullmatch(r"Object missing required field `(.+)`", message):
        return Problem(_join(path, field[1]), "required field is missing")
    if (value := re.fullmatch(r"Invalid value (.+)", message)) and _ITEM_TYPE_PATH.search(path):
        return Problem(path, f"unknown item type {value[1]}; expected one of: {', '.join(ITEM_TYPES)}")
    if regex := re.fullmatch(r"Expected `str` matching regex '(.+)'", message):
        meaning = _PATTERN_MEANINGS.get(regex[1].replace("\\\\", "\\"))  # msgspec shows repr()
        if meaning is not None:
            return Problem(path or ROOT_PATH, f"expected {meaning}")
    return Problem(path or ROOT_PATH, message)


def _join(path: str, field: str) -> str:
    return f"{path}.{field}" if path else field


def _yaml_duplicate_keys(data: bytes) -> list[Problem]:
    """PyYAML silently keeps the last of two equal mapping keys; in a form file that hides typos."""
    try:
        root = yaml.compose(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return []  # syntax errors are reported by the decoder with line and column
    problems: list[Problem] = []

    def walk(node: yaml.Node | None, path: str) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if key in seen:
                    line = key_node.start_mark.line + 1
                    problems.append(Problem(_join(path, key), f"duplicate key on line {line}"))
                seen.add(key)
                walk(value_node, _join(path, key))
        elif isinstance(node, yaml.SequenceNode):
            for index, child in enumerate(node.value):
                walk(child, f"{path}[{index}]")

    walk(root, "")
    return problems


def parse_form_yaml(data: bytes, source: str, *, require_sources: bool = False) -> FormDocument:
    """Decode and validate a YAML form document; raise FormDocumentError on any problem."""
    duplicates = _yaml_duplicate_keys(data)
    if duplicates:
        raise FormDocumentError(source, duplicates)
    try:
        form = msgspec.yaml.decode(data, type=FormDocument)
    except msgspec.MsgspecError as error:
        raise FormDocumentError(source, [_decode_problem(error)]) from None
    return _checked(form, source, require_sources=require_sources)


def parse_form_json(data: bytes, source: str, *, require_sources: bool = False) -> FormDocument:
    """Decode and validate a JSON form document; raise FormDocumentError on any problem."""
    try:
        form = msgspec.json.decode(data, type=FormDocument)
    except msgspec.MsgspecError as error:
        raise FormDocumentError(source, [_decode_problem(error)]) from None
    return _checked(form, source, require_sources=require_sources)


def _checked(form: FormDocument, source: str, *, require_sources: bool) -> FormDocument:
    problems = validate_form(form, require_sources=require_sources)
    if problems:
        raise FormDocumentError(source, problems)
    return form


def load_form_file(path: str | Path, *, require_sources: bool = False) -> FormDocument:
    """Read a .yaml/.yml/.json form file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in YAML_SUFFIXES:
        return parse_form_yaml(path.read_bytes(), str(path), require_sources=require_sources)
    if suffix in JSON_SUFFIXES:
        return parse_form_json(path.read_bytes(), str(path), require_sources=require_sources)
    raise FormDocumentError(str(path), [Problem(ROOT_PATH, "expected a .yaml, .yml or .json file")])


def load_seed_dir(path: str | Path) -> list[FormDocument]:
    """Every seed form in a directory, sorted by file name.

    Seed forms must cite a source for every item, and the file name must be ``<form key>.yaml``
    so the seed command can be reasoned about from a directory listing.
    """
    directory = Path(path)
    files = sorted(p for p in directory.iterdir() if p.suffix.lower() in YAML_SUFFIXES)
    forms: list[FormDocument] = []
    first_file: dict[str, Path] = {}
    for file in files:
        form = load_form_file(file, require_sources=True)
        if form.key != file.stem:
            raise FormDocumentError(
                str(file), [Problem("key", f"form key {form.key!r} does not match file name {file.name!r}")]
            )
        if form.key in first_file:
            raise FormDocumentError(
                str(file), [Problem("key", f"form key {form.key!r} is also used by {first_file[form.key]}")]
            )
        first_file[form.key] = file
        forms.append(form)
    return forms


def canonical_json(form: FormDocument) -> bytes:
    """The canonical encoding: every field explicit, mapping keys sorted."""
    return msgspec.json.encode(form, order="deterministic")


def content_hash(form: FormDocument) -> str:
    """sha256 hex of the canonical encoding; equal for documents that decode to the same form."""
    return hashlib.sha256(canonical_json(form)).hexdigest()


# ---------------------------------------------------------------------------------------------
# Semantic validation
# ---------------------------------------------------------------------------------------------

CONDITION_TARGET_TYPES: Final = "yes_no, scale or choice"


def validate_form(form: FormDocument, *, require_sources: bool = False) -> list[Problem]:
    """Every rule the decoder cannot express: unique keys, references, ranges, coherent scoring."""
    problems, positions = _key_problems(form, require_sources=require_sources)
    problems.extend(_section_weight_problems(form))
    items = form.items_by_key()
    for order, (path, item) in enumerate(_item_paths(form)):
        problems.extend(_item_problems(item, path))
        if item.applies_when is not None:
            problems.extend(
                _condition_problems(item, item.applies_when, f"{path}.applies_when", order, items, positions)
            )
    return problems


def _section_weight_problems(form: FormDocument) -> list[Problem]:
    """Section weights on every section or on none, and only where something can be scored.

    A half-weighted form has no sensible total (what share do the others get?), and a weighted
    section without a scored item would claim a share of the total it can never fill.
    """
    weighted = [section.weight is not None for section in form.sections]
    if not any(weighted):
        return []
    problems: list[Problem] = []
    for s, section in enumerate(form.sections):
        if section.weight is None:
            problems.append(Problem(f"sections[{s}].weight", "give every section a weight, or none"))
        elif not any(is_scored(item) for item in section.items):
            problems.append(Problem(f"sections[{s}].weight", "a section without scored items cannot carry a weight"))
    return problems


def _item_paths(form: FormDocument) -> Iterator[tuple[str, Item]]:
    for s, section in enumerate(form.sections):
        for i, item in enumerate(section.items):
            yield f"sections[{s}].items[{i}]", item


def _key_problems(form: FormDocument, *, require_sources: bool) -> tuple[list[Problem], dict[str, tuple[int, str]]]:
    """Duplicate section/item keys and missing sources; also where each item key is first used.

    Item keys are unique across the whole form (answers and conditions refer to them alone).
    """
    problems: list[Problem] = []
    first_section: dict[str, str] = {}
    for s, section in enumerate(form.sections):
        path = f"sections[{s}].key"
        if section.key in first_section:
            problems.append(Problem(path, f"duplicate section key {section.key!r} (also {first_section[section.key]})"))
        else:
            first_section[section.key] = path
    positions: dict[str, tuple[int, str]] = {}  # item key -> (position in form order, path of its key)
    for order, (path, item) in enumerate(_item_paths(form)):
        if item.key in positions:
            first_use = positions[item.key][1]
            problems.append(Problem(f"{path}.key", f"duplicate item key {item.key!r} (first used at {first_use})"))
        else:
            positions[item.key] = (order, f"{path}.key")
        if require_sources and item.source is None:
            problems.append(Problem(f"{path}.source", "seed form items must cite their source"))
    return problems, positions


def _duplicates(keys: list[str], path: str, field: str) -> Iterator[Problem]:
    first: dict[str, int] = {}
    for index, key in enumerate(keys):
        if key in first:
            yield Problem(f"{path}[{index}].{field}", f"duplicate {key!r} (also at index {first[key]})")
        else:
            first[key] = index


def _item_problems(item: Item, path: str) -> list[Problem]:
    problems = _type_problems(item, path)
    scored = is_scored(item)
    if item.na_when is not None and not item.na_allowed:
        problems.append(Problem(f"{path}.na_when", "only meaningful with na_allowed: true"))
    rule = item.photos
    if rule.mode in ("required", "required_on_fail") and rule.min_count < 1:
        problems.append(Problem(f"{path}.photos.min_count", f"must be at least 1 when mode is {rule.mode}"))
    if rule.mode != "none" and rule.max_count < max(1, rule.min_count):
        problems.append(Problem(f"{path}.photos.max_count", f"must be at least {max(1, rule.min_count)}"))
    if not scored:
        # An unscored item can never fail, so these would silently never fire.
        if item.critical is not None:
            problems.append(Problem(f"{path}.critical", "has no effect on an unscored item"))
        if item.follow_up is not None:
            problems.append(Problem(f"{path}.follow_up", "has no effect on an unscored item"))
        if rule.mode == "required_on_fail":
            problems.append(Problem(f"{path}.photos.mode", "an unscored item never fails; use required"))
    return problems


def _type_problems(item: Item, path: str) -> list[Problem]:
    """Checks specific to each item type."""
    problems: list[Problem] = []
    match item:
        case ScaleItem():
            problems.extend(_scale_problems(item, path))
        case ChoiceItem():
            problems.extend(_duplicates([o.key for o in item.options], f"{path}.options", "key"))
            if item.scored and max(o.score for o in item.options) <= 0:
                problems.append(
                    Problem(
                        f"{path}.options",
                        "a scored choice needs an option with score > 0 (or set scored: false)",
                    )
                )
        case ChecklistItem():
            problems.extend(_duplicates([o.key for o in item.options], f"{path}.options", "key"))
            if item.rule == "at_least":
                if item.at_least is None:
                    problems.append(Problem(f"{path}.at_least", "required when rule is at_least"))
                elif item.at_least > len(item.options):
                    problems.append(
                        Problem(
                            f"{path}.at_least",
                            f"{item.at_least} is more than the {len(item.options)} option(s)",
                        )
                    )
            elif item.at_least is not None:
                problems.append(Problem(f"{path}.at_least", f"only used with rule at_least (rule is {item.rule})"))
        case NumberItem():
            problems.extend(_number_problems(item, path))
        case PhotoItem():
            if item.photos.mode == "none":
                problems.append(Problem(f"{path}.photos.mode", "a photo item must take photos"))
            elif item.scored and item.photos.mode != "optional":
                problems.append(
                    Problem(
                        f"{path}.photos.mode",
                        "a scored photo item fails when photos are missing, so its mode must be optional",
                    )
                )
        case YesNoItem() | TextItem():
            pass
    return problems


def _scale_problems(item: ScaleItem, path: str) -> list[Problem]:
    if item.min >= item.max:
        return [Problem(f"{path}.min", f"min ({item.min}) must be less than max ({item.max})")]
    if item.max - item.min > MAX_SCALE_SPAN:
        return [Problem(f"{path}.max", f"a scale may span at most {MAX_SCALE_SPAN} steps")]
    problems = list(_duplicates([str(p.value) for p in item.points], f"{path}.points", "value"))
    for index, point in enumerate(item.points):
        if not item.min <= point.value <= item.max:
            problems.append(
                Problem(f"{path}.points[{index}].value", f"{point.value} is outside {item.min}..{item.max}")
            )
        if item.scoring == "proportional" and point.score is not None:
            problems.append(Problem(f"{path}.points[{index}].score", "only used with scoring per_point"))
        if item.scoring == "per_point" and point.score is None:
            problems.append(Problem(f"{path}.points[{index}].score", "required with scoring per_point"))
    labelled = {point.value for point in item.points}
    if item.scoring == "per_point":
        missing = [value for value in range(item.min, item.max + 1) if value not in labelled]
        if missing:
            problems.append(
                Problem(f"{path}.points", f"per_point scoring needs a point for every value; missing {missing}")
            )
        if item.scored and max((p.score or 0.0) for p in item.points) <= 0:
            problems.append(Problem(f"{path}.points", "a scored scale needs a point with score > 0"))
    elif not {item.min, item.max} <= labelled:
        problems.append(Problem(f"{path}.points", f"label both ends of the scale ({item.min} and {item.max})"))
    return problems


def _number_problems(item: NumberItem, path: str) -> list[Problem]:
    problems: list[Problem] = []
    if item.min is not None and item.max is not None and item.min > item.max:
        problems.append(Problem(f"{path}.min", f"min ({item.min:g}) is above max ({item.max:g})"))
    target = item.target
    if target is None:
        return problems
    if target.min is None and target.max is None:
        problems.append(Problem(f"{path}.target", "give min and/or max"))
    elif target.min is not None and target.max is not None and target.min > target.max:
        problems.append(Problem(f"{path}.target.min", f"min ({target.min:g}) is above max ({target.max:g})"))
    for bound in ("min", "max"):
        value = getattr(target, bound)
        if value is None:
            continue
        if (item.min is not None and value < item.min) or (item.max is not None and value > item.max):
            problems.append(Problem(f"{path}.target.{bound}", f"{value:g} lies outside the allowed range"))
    return problems


def _condition_problems(
    item: Item,
    condition: Condition,
    path: str,
    order: int,
    items: dict[str, Item],
    positions: dict[str, tuple[int, str]],
) -> list[Problem]:
    if (condition.equals is None) == (condition.any_of is None):
        return [Problem(path, "give exactly one of equals or any_of")]
    if condition.any_of is not None and not condition.any_of:
        return [Problem(f"{path}.any_of", "must list at least one value")]
    if condition.item == item.key:
        return [Problem(f"{path}.item", "an item cannot depend on itself")]
    target = items.get(condition.item)
    if target is None:
        return [Problem(f"{path}.item", f"unknown item {condition.item!r}")]
    target_order, target_path = positions[condition.item]
    if target_order > order:
        return [
            Problem(
                f"{path}.item",
                f"item {condition.item!r} comes later in the form ({target_path.removesuffix('.key')}); "
                "conditions may only refer to earlier items",
            )
        ]
    if not isinstance(target, YesNoItem | ScaleItem | ChoiceItem):
        return [
            Problem(
                f"{path}.item",
                f"item {condition.item!r} is a {target.__struct_config__.tag}; "
                f"conditions can only refer to {CONDITION_TARGET_TYPES} items",
            )
        ]
    if condition.any_of is not None:
        value_paths = [(f"{path}.any_of[{index}]", value) for index, value in enumerate(condition.any_of)]
    else:
        value_paths = [(f"{path}.equals", condition.equals)]
    problems: list[Problem] = []
    for value_path, value in value_paths:
        reason = _impossible_value(target, value)
        if reason is not None:
            problems.append(Problem(value_path, f"item {condition.item!r} can never be {value!r}: {reason}"))
    return problems


def _impossible_value(target: YesNoItem | ScaleItem | ChoiceItem, value: object) -> str | None:
    match target:
        case YesNoItem():
            return None if isinstance(value, bool) else "a yes_no answer is true or false"
        case ScaleItem():
            if isinstance(value, int) and not isinstance(value, bool) and target.min <= value <= target.max:
                return None
            return f"its answers are whole numbers {target.min}..{target.max}"
        case ChoiceItem():
            keys = [option.key for option in target.options]
            return None if value in keys and isinstance(value, str) else f"its options are {', '.join(keys)}"
