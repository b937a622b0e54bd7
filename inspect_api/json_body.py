"""JSON request bodies: nesting depth checked before decoding, then decoded strictly into the handler's type.

Litestar decodes a JSON body with msgspec into plain objects and converts them to the handler's `data`
type with `strict=False`, which let `"active": 0` pass as a boolean and `"5"` as a number. Decoding
recursed once per nesting level, so a body nested ~1,000 levels deep raised RecursionError: a 500
without a problem document, reachable without a token on /auth/login. `DepthCheckedRequest.json()`
runs on every JSON route, before any handler code, and answers both with a 400 problem.
"""

from __future__ import annotations

import re
from array import array
from itertools import accumulate
from typing import Any, Final

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.types import Empty

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


_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}  # per handler function: a Decoder is costly to build


def _decoder_for(request: Request[Any, Any, Any]) -> msgspec.json.Decoder[Any]:
    handler_fn = request.route_handler.fn
    decoder = _decoders.get(handler_fn)
    if decoder is None:
        try:
            decoder = msgspec.json.Decoder(_data_type(request), strict=True)
        except TypeError:  # a type msgspec cannot decode into: plain JSON, Litestar converts it
            decoder = msgspec.json.Decoder()
        _decoders[handler_fn] = decoder
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
