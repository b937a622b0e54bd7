"""The form document: what an inspector fills in and what the server scores.

Every Struct here is both the wire shape (YAML seed files, JSON bodies) and the immutable domain
value: decoding is strict (``kw_only``, ``forbid_unknown_fields``) and instances are ``frozen`` with
tuples instead of lists, so a published form version cannot be mutated in memory.

Shape rules that need the whole document (unique keys, condition references, ...) live in
``loader.validate_form``; this module only declares types and small pure helpers.
"""

from collections.abc import Iterator
from functools import lru_cache
from typing import Annotated, Final, Literal

from msgspec import Meta, Struct

# ---------------------------------------------------------------------------------------------
# Named constraints
# ---------------------------------------------------------------------------------------------

# `$(?!\n)`: in Python (msgspec) a bare `$` also matches before a final newline, in JSON Schema not.
FORM_KEY_PATTERN: Final = r"^[a-z0-9][a-z0-9-]{1,62}$(?!\n)"
KEY_PATTERN: Final = r"^[a-z0-9][a-z0-9_-]{0,63}$(?!\n)"
CRITICAL_PATTERN: Final = r"^(fail_form|flag|cap_score:[0-9]{1,2}(\.[0-9]{1,2})?)$(?!\n)"
MAX_PHOTOS_PER_ANSWER: Final = 20
MAX_TEXT_LENGTH: Final = 10_000
MAX_SCALE_SPAN: Final = 100  # keeps per-point tables and client widgets small

FormKey = Annotated[str, Meta(pattern=FORM_KEY_PATTERN, description="stable slug of a form")]
Key = Annotated[str, Meta(pattern=KEY_PATTERN, description="section, item or option key")]
NonEmptyStr = Annotated[str, Meta(min_length=1)]
Weight = Annotated[float, Meta(gt=0)]
Percent = Annotated[float, Meta(ge=0, le=100)]
# A share of an item's points: 1.0 means "anything short of full marks".
Share = Annotated[float, Meta(gt=0, le=1)]
Points = Annotated[float, Meta(ge=0)]
PositivePoints = Annotated[float, Meta(gt=0)]
PhotoCount = Annotated[int, Meta(ge=0, le=MAX_PHOTOS_PER_ANSWER)]
PositiveCount = Annotated[int, Meta(ge=1)]
DueInDays = Annotated[int, Meta(ge=1, le=365)]
TextLength = Annotated[int, Meta(ge=1, le=MAX_TEXT_LENGTH)]
# Written as a string in form files ("fail_form", "flag", "cap_score:50"); read it through
# ``Item.critical_effect`` which parses it into a typed ``CriticalEffect``.
CriticalSpec = Annotated[str, Meta(pattern=CRITICAL_PATTERN)]

PhotoMode = Literal["none", "optional", "required", "required_on_fail"]
ScaleScoring = Literal["proportional", "per_point"]
ChecklistRule = Literal["all", "at_least", "each"]
EffectKind = Literal["fail_form", "cap_score", "flag"]
# A condition compares against a yes_no (bool), scale (int) or choice (option key) answer.
ConditionValue = bool | int | str


class _Doc(Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """Base for every form-document Struct: strict to decode, immutable once decoded.

    ``kw_only`` only covers the fields a class declares itself, so subclasses repeat it.
    """


# ---------------------------------------------------------------------------------------------
# Small building blocks
# ---------------------------------------------------------------------------------------------


class Text(_Doc, kw_only=True):
    """A bilingual string; both languages are mandatory."""

    zh: NonEmptyStr
    en: NonEmptyStr


class SourceRef(_Doc, kw_only=True):
    """Where a section or item came from: seed file name, its heading and optionally a quote."""

    file: NonEmptyStr
    heading: NonEmptyStr
    passage: NonEmptyStr | None = None


class Condition(_Doc, kw_only=True):
    """The item applies only when an earlier item's answer equals / is one of these values."""

    item: Key
    equals: ConditionValue | None = None
    any_of: tuple[ConditionValue, ...] | None = None

    def accepted_values(self) -> tuple[ConditionValue, ...]:
        if self.any_of is not None:
            return self.any_of
        return () if self.equals is None else (self.equals,)


class PhotoRule(_Doc, kw_only=True):
    """Evidence photos an answer may or must carry. ``min_count`` only matters when required."""

    mode: PhotoMode = "optional"
    min_count: PhotoCount = 1
    max_count: PhotoCount = 10


class FollowUpRule(_Doc, kw_only=True):
    """Open a corrective action when the item fails, or scores below ``open_below`` of its points.

    Without ``open_below`` only a failed item (no points at all) opens one; ``open_below: 0.6``
    opens one for a checklist with half its cues missing or a 2-of-5 scale too.
    """

    due_in_days: DueInDays
    title: Text
    evidence_required: bool = False
    open_below: Share | None = None


class CriticalEffect(Struct, frozen=True):
    """Parsed form of ``Item.critical``."""

    kind: EffectKind
    cap_pct: float | None = None


@lru_cache(maxsize=64)
def parse_critical(spec: str) -> CriticalEffect:
    """``"fail_form" | "flag" | "cap_score:<pct>"`` -> CriticalEffect (spec already pattern-checked)."""
    if spec.startswith("cap_score:"):
        return CriticalEffect(kind="cap_score", cap_pct=float(spec.removeprefix("cap_score:")))
    if spec in ("fail_form", "flag"):
        return CriticalEffect(kind=spec)
    raise ValueError(f"unknown critical effect {spec!r}")


# ---------------------------------------------------------------------------------------------
# Items: a tagged union on the ``type`` field
# ---------------------------------------------------------------------------------------------


class _ItemBase(_Doc, tag_field="type", kw_only=True):
    key: Key
    label: Text
    guidance: Text | None = None
    weight: Weight = 1.0  # ignored by unscored items
    critical: CriticalSpec | None = None
    na_allowed: bool = False
    # When an inspector may answer N/A (e.g. "medicines are kept behind the counter"); shown on the
    # score card as the reason an N/A item dropped out. Only meaningful with na_allowed.
    na_when: Text | None = None
    applies_when: Condition | None = None
    photos: PhotoRule = PhotoRule()
    follow_up: FollowUpRule | None = None
    source: SourceRef | None = None

    @property
    def critical_effect(self) -> CriticalEffect | None:
        return None if self.critical is None else parse_critical(self.critical)


class YesNoItem(_ItemBase, tag="yes_no", kw_only=True):
    """Pass when the answer equals ``pass_value``. ``scored: false`` makes it a plain question."""

    scored: bool = True
    pass_value: bool = True


class ScalePoint(_Doc, kw_only=True):
    value: int
    label: Text
    score: Points | None = None  # only with scoring: per_point


class ScaleItem(_ItemBase, tag="scale", kw_only=True):
    """Integer rating ``min..max``; proportional credit or a score per labelled point."""

    min: int
    max: int
    points: Annotated[tuple[ScalePoint, ...], Meta(min_length=2)]
    scoring: ScaleScoring = "proportional"
    scored: bool = True


class ChoiceOption(_Doc, kw_only=True):
    key: Key
    label: Text
    score: Points = 0.0


class ChoiceItem(_ItemBase, tag="choice", kw_only=True):
    """Single choice; credit = option score / best option score."""

    options: Annotated[tuple[ChoiceOption, ...], Meta(min_length=2)]
    scored: bool = True


class ChecklistOption(_Doc, kw_only=True):
    key: Key
    label: Text
    points: PositivePoints = 1.0  # only used by rule: each


class ChecklistItem(_ItemBase, tag="checklist", kw_only=True):
    """Multi-select of observed cues. all: every option; at_least: N options; each: points per option."""

    options: Annotated[tuple[ChecklistOption, ...], Meta(min_length=1)]
    rule: ChecklistRule = "each"
    at_least: PositiveCount | None = None
    scored: bool = True


class NumberTarget(_Doc, kw_only=True):
    """Inclusive range that counts as a pass; one bound may be open."""

    min: float | None = None
    max: float | None = None


class NumberItem(_ItemBase, tag="number", kw_only=True):
    """A measured number; scored (pass/fail) only when a ``target`` is given."""

    min: float | None = None
    max: float | None = None
    integer: bool = False
    unit: Text | None = None
    target: NumberTarget | None = None


class TextItem(_ItemBase, tag="text", kw_only=True):
    """Free text, never scored."""

    required: bool = False
    max_length: TextLength = 2000


class PhotoItem(_ItemBase, tag="photo", kw_only=True):
    """Photo-only evidence. Unscored by default; ``scored: true`` passes when photos are provided."""

    photos: PhotoRule = PhotoRule(mode="required")
    scored: bool = False


Item = YesNoItem | ScaleItem | ChoiceItem | ChecklistItem | NumberItem | TextItem | PhotoItem
ITEM_TYPES: Final[tuple[str, ...]] = ("yes_no", "scale", "choice", "checklist", "number", "text", "photo")


def is_scored(item: Item) -> bool:
    """Whether the item contributes to the score (and therefore can fail)."""
    match item:
        case YesNoItem() | ScaleItem() | ChoiceItem() | ChecklistItem() | PhotoItem():
            return item.scored
        case NumberItem():
            return item.target is not None
        case TextItem():
            return False


def answer_required(item: Item) -> bool:
    """Whether an applicable item must be answered (N/A counts as an answer)."""
    match item:
        case TextItem():
            return item.required
        case PhotoItem():
            return item.photos.mode == "required"
        case _:
            return True


# ---------------------------------------------------------------------------------------------
# Sections and the document
# ---------------------------------------------------------------------------------------------


class Section(_Doc, kw_only=True):
    """``weight`` is the section's share of the total (relative to the other sections' weights).

    Give it on every section or on none: without section weights the total pools item points.
    """

    key: Key
    title: Text
    weight: Weight | None = None
    source: SourceRef | None = None
    items: Annotated[tuple[Item, ...], Meta(min_length=1)]


class FormDocument(_Doc, kw_only=True):
    key: FormKey
    title: Text
    description: Text
    notes: str | None = None  # free text for authors, e.g. why a source list was reshaped
    pass_threshold: Percent | None = None
    sections: Annotated[tuple[Section, ...], Meta(min_length=1)]

    def iter_items(self) -> Iterator[tuple[Section, Item]]:
        """Every item with its section, in form order."""
        for section in self.sections:
            for item in section.items:
                yield section, item

    def items_by_key(self) -> dict[str, Item]:
        return {item.key: item for _, item in self.iter_items()}
