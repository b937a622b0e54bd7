"""JSON request bodies: nesting depth checked before decoding, then decoded strictly into the handler's type.

Litestar decodes a JSON body with msgspec into plain objects and converts them to the handler's `data`
type with `strict=False`, which let `"active": 0` pass as a boolean and `"5"` as a number. Decoding
recursed once per nesting level, so a body nested ~1,000 levels deep raised RecursionError: a 500
without a problem document, reachable without a token on /auth/login. `DepthCheckedRequest.json()`
runs on every JSON route, before any handler code, and answers both with a 400 problem.

Dates and date-times in a body lie in params.DAY_RANGE too (a 422 naming the member otherwise): a visit
window ending 9999-12-31T23:59-14:00 is year 10000 in UTC, which Postgres stores and Python cannot read
back (a 500).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator
from datetime import date, datetime
from itertools import accumulate
from typing import Any, Final

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.types import Empty

from inspect_api.errors import InvalidInput
from inspect_api.params import DAY_RANGE, MAX_DAY, MIN_DAY

MAX_JSON_DEPTH: Final = 64  # objects/arrays inside each other; documented in the OpenAPI description
# A JSON string, escapes included (unrolled so the regex engine does not backtrack on long strings).
_JSON_STRING: Final = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_OPENING: Final = b"[{"
_CLOSING: Final = b"]}"
_NOT_A_BRACKET: Final = bytes(b for b in range(256) if b not in _OPENING + _CLOSING)
# Opening brackets become 1 and closing ones 255 (-1 as a signed byte): a running sum is the depth.
_AS_STEPS: Final = bytes.maketrans(_OPENING + _CLOSING, b"\x01\x01\xff\xff")
_MISSING_FIELD: Final = re.compile(r"^Object missing required field `(.+)`$")
_UNKNOWN_FIELD: Final = re.compile(r"^Object contains unknown field `(.+)`$")
_AT_PATH: Final = re.compile(r"^(.*) - at `\$(.*)`$", re.DOTALL)


def nested_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects in `body` nest deeper than `limit` (brackets inside strings do not count).

    Linear in the body's size and run in C (regex, translate, accumulate); for bodies with few brackets
    (most of them) a count answers without scanning. Malformed JSON may give either answer: the decoder
    refuses it anyway."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_A_BRACKET)
    return max(accumulate(array("b", brackets.translate(_AS_STEPS))), default=0) > limit


def body_error(message: str, field: str = "body") -> ValidationException:
    """A 400 in Litestar's own validation shape, which errors.py maps to `errors: [{field, message}]`."""
    return ValidationException(detail=f"invalid JSON body: {message}",
                               extra=[{"message": message, "key": field, "source": "body"}])


def validation_error_field(error: msgspec.ValidationError) -> tuple[str, str]:
    """(field, message) from msgspec's text, e.g. "Expected `bool`, got `int` - at `$.active`" ->
    ("active", "Expected `bool`, got `int`"); a missing or unknown member names that member."""
    text = str(error)
    path = ""
    if matched := _AT_PATH.match(text):
        text, path = matched.group(1), matched.group(2)
    for member in (_MISSING_FIELD, _UNKNOWN_FIELD):
        if named := member.match(text):
            path = f"{path}.{named.group(1)}"
    field = path.removeprefix(".")
    return field or "body", text


def _data_type(request: Request[Any, Any, Any]) -> Any:
    field = request.route_handler.parsed_fn_signature.parameters.get("data")
    return Any if field is None else field.annotation


Path = tuple[str | None, ...]  # member names; None steps into every item of a collection
_COLLECTIONS: Final = (msgspec.inspect.ListType, msgspec.inspect.SetType, msgspec.inspect.FrozenSetType,
                       msgspec.inspect.VarTupleType)


def dated_paths(info: msgspec.inspect.Type, seen: frozenset[type] = frozenset()) -> list[Path]:
    """Where a value of this type holds dates or date-times (through Structs, collections, unions)."""
    if isinstance(info, msgspec.inspect.Metadata):
        return dated_paths(info.type, seen)
    if isinstance(info, msgspec.inspect.DateTimeType | msgspec.inspect.DateType):
        return [()]
    if isinstance(info, msgspec.inspect.UnionType):
        return list(dict.fromkeys(p for member in info.types for p in dated_paths(member, seen)))
    if isinstance(info, _COLLECTIONS):
        return [(None, *p) for p in dated_paths(info.item_type, seen)]
    if isinstance(info, msgspec.inspect.StructType) and info.cls not in seen:
        return [(f.name, *p) for f in info.fields for p in dated_paths(f.type, seen | {info.cls})]
    return []


def _out_of_range(value: Any, path: Path, shown: str) -> Iterator[str]:
    if not path:
        if isinstance(value, date | datetime):
            day = value.date() if isinstance(value, datetime) else value  # the local date, before any offset
            if not MIN_DAY <= day <= MAX_DAY:
                yield shown
        return
    step, rest = path[0], path[1:]
    if step is None:
        if isinstance(value, list | tuple | set | frozenset):
            for index, item in enumerate(value):
                yield from _out_of_range(item, rest, f"{shown}[{index}]")
    elif isinstance(value, msgspec.Struct):
        yield from _out_of_range(getattr(value, step, None), rest, f"{shown}.{step}" if shown else step)


# "Expected `int`, got `float`", also for unions: "Expected `int | null`, got `float`".
_FLOAT_FOR_INT: Final = re.compile(r"^Expected `(?:[^`]* \| )?int(?: \|[^`]*)?`, got `float`")


def integral_floats_as_ints(value: Any) -> Any:
    """`value` (plain JSON) with every finite float without a fraction (36.0, 1e2) as an int."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, list):
        return [integral_floats_as_ints(item) for item in value]
    if isinstance(value, dict):
        return {key: integral_floats_as_ints(item) for key, item in value.items()}
    return value


class _BodyDecoder:
    """A handler's strict decoder and where its type holds dates."""

    def __init__(self, data_type: Any) -> None:
        self.data_type = data_type
        try:
            self.decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(data_type, strict=True)
            self.dated = dated_paths(msgspec.inspect.type_info(data_type))
        except TypeError:  # a type msgspec cannot decode into: plain JSON, Litestar converts it
            self.decoder, self.dated = msgspec.json.Decoder(), []

    def decode(self, body: bytes) -> Any:
        try:
            value = self.decoder.decode(body)
        except msgspec.ValidationError as exc:
            if not _FLOAT_FOR_INT.match(str(exc)):
                raise
            # JSON has one number type: `36.0` is the integer 36 (JSON Schema's `integer` admits it), but
            # msgspec's strict decoder wants an integer literal. Only then: integral floats become ints and
            # the value is converted, as strictly; `36.5`, `"36"` and `true` are still refused.
            value = msgspec.convert(integral_floats_as_ints(msgspec.json.decode(body)), self.data_type, strict=True)
        if fields := [f for path in self.dated for f in _out_of_range(value, path, "")]:
            raise InvalidInput(f"{', '.join(fields)}: outside {DAY_RANGE}", extra={"errors": [
                {"field": f, "message": f"must be within {DAY_RANGE}", "source": "body"} for f in fields]})
        return value


_decoders: dict[Any, _BodyDecoder] = {}  # per handler function: a Decoder is costly to build


def _decoder_for(request: Request[Any, Any, Any]) -> _BodyDecoder:
    handler_fn = request.route_handler.fn
    decoder = _decoders.get(handler_fn)
    if decoder is None:
        decoder = _decoders[handler_fn] = _BodyDecoder(_data_type(request))
    return decoder


class DepthCheckedRequest(Request[Any, Any, Any]):
    """Litestar's Request whose `json()` refuses deep nesting and decodes strictly into the `data` type.

    The value returned is already of the handler's type; Litestar's later lax conversion passes an
    instance of the target type through unchanged."""

    async def json(self) -> Any:
        if self._json is Empty:
            if (decoded := self._connection_state.json) is not Empty:
                self._json = decoded
            else:
                self._json = self._connection_state.json = self._decode(await self.body() or b"null")
        return self._json

    def _decode(self, body: bytes) -> Any:
        if nested_too_deep(body):
            raise body_error(f"nested deeper than {MAX_JSON_DEPTH} arrays/objects")
        try:
            return _decoder_for(self).decode(body)
        except msgspec.ValidationError as exc:
            field, message = validation_error_field(exc)
            raise body_error(message, field) from None
        except msgspec.DecodeError as exc:
            raise body_error(f"not valid JSON: {exc}") from None
        except RecursionError:  # cannot happen under MAX_JSON_DEPTH; kept so it can never be a 500
            raise body_error("nested too deeply") from None
