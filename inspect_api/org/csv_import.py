"""Parse and check a branches CSV (pure: no database). The service adds the checks that need rows
(region codes) and writes everything in one statement, or nothing.

Format: UTF-8 with or without a BOM, comma-separated, a header row, one branch per row.
    code,name_zh,name_en,region_code,timezone,latitude,longitude,address,active,format
Required columns: code, name_zh, name_en, region_code, timezone. Optional: latitude + longitude
(both or neither), address, active (true/false/1/0/yes/no/是/否; empty = true), format (the branch's
peer group in rankings, a lower-case slug; empty = none).
Rows are numbered like a spreadsheet: the header is row 1, the first branch row 2.
"""

from __future__ import annotations

import csv
import io
from typing import Any, Final

import msgspec

from inspect_api.org.rules import coordinates_problem, timezone_problem
from inspect_api.org.schemas import (
    Address,
    BranchFormat,
    Code,
    ImportRowError,
    Latitude,
    Longitude,
    NameEn,
    NameZh,
    Timezone,
)

REQUIRED_COLUMNS: Final = ("code", "name_zh", "name_en", "region_code", "timezone")
OPTIONAL_COLUMNS: Final = ("latitude", "longitude", "address", "active", "format")
MAX_ROWS: Final = 5000
_TRUE: Final = frozenset({"", "true", "1", "yes", "y", "是"})
_FALSE: Final = frozenset({"false", "0", "no", "n", "否"})
_TEXT_TYPES: Final[dict[str, Any]] = {
    "code": Code,
    "name_zh": NameZh,
    "name_en": NameEn,
    "region_code": Code,
    "timezone": Timezone,
    "address": Address,
}


class CsvBranch(msgspec.Struct, frozen=True, kw_only=True):
    row: int
    code: str
    name_zh: str
    name_en: str
    region_code: str
    timezone: str
    latitude: float | None
    longitude: float | None
    address: str
    active: bool
    format: str | None = None


def _constraint_message(exc: msgspec.ValidationError) -> str:
    return str(exc).removesuffix(" - at `$`").removesuffix(" - at `$`")


def _check(type_: Any, value: Any) -> tuple[Any, str | None]:
    try:
        return msgspec.convert(value, type_), None
    except msgspec.ValidationError as exc:
        return None, _constraint_message(exc)


def _number(type_: Any, raw: str) -> tuple[float | None, str | None]:
    if raw == "":
        return None, None
    try:
        value = float(raw)
    except ValueError:
        return None, f"{raw!r} is not a number"
    return _check(type_, value)


def _decode(body: bytes) -> tuple[str | None, ImportRowError | None]:
    try:
        return body.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        row = body[: exc.start].count(b"\n") + 1
        return None, ImportRowError(row=row, column=None, message="not UTF-8 text: save the sheet as CSV UTF-8")


def _header_errors(header: list[str]) -> list[ImportRowError]:
    errors = [
        ImportRowError(row=1, column=name, message="required column is missing")
        for name in REQUIRED_COLUMNS
        if name not in header
    ]
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    seen: set[str] = set()
    for name in header:
        if name not in known:
            errors.append(ImportRowError(row=1, column=name or None, message="unknown column"))
        elif name in seen:
            errors.append(ImportRowError(row=1, column=name, message="column appears twice"))
        seen.add(name)
    return errors


def _parse_row(row_number: int, cells: dict[str, str]) -> tuple[CsvBranch | None, list[ImportRowError]]:
    errors: list[ImportRowError] = []

    def fail(column: str, message: str) -> None:
        errors.append(ImportRowError(row=row_number, column=column, message=message))

    values: dict[str, Any] = {}
    for column, type_ in _TEXT_TYPES.items():
        value, problem = _check(type_, cells.get(column, ""))
        if problem:
            fail(column, "required" if cells.get(column, "") == "" and column != "address" else problem)
        values[column] = value
    if values["timezone"] is not None and (problem := timezone_problem(values["timezone"])):
        fail("timezone", problem)
    values["latitude"], problem = _number(Latitude, cells.get("latitude", ""))
    if problem:
        fail("latitude", problem)
    values["longitude"], problem = _number(Longitude, cells.get("longitude", ""))
    if problem:
        fail("longitude", problem)
    if not any(e.column in ("latitude", "longitude") for e in errors) and (
        problem := coordinates_problem(values["latitude"], values["longitude"])
    ):
        fail("latitude" if values["latitude"] is None else "longitude", problem)
    active = cells.get("active", "").lower()
    if active not in _TRUE | _FALSE:
        fail("active", f"{cells['active']!r} is not true or false")
    values["active"] = active in _TRUE
    values["format"] = None
    if cells.get("format", "") != "":
        values["format"], problem = _check(BranchFormat, cells["format"])
        if problem:
            fail("format", problem)
    if errors:
        return None, errors
    return CsvBranch(row=row_number, **values), []


def parse_branches_csv(body: bytes) -> tuple[list[CsvBranch], list[ImportRowError]]:
    """All rows, or every problem found (then the row list is not to be used)."""
    text, problem = _decode(body)
    if text is None:
        return [], [problem] if problem else []
    reader = csv.reader(io.StringIO(text, newline=""))
    header_cells = next(reader, None)
    if header_cells is None:
        return [], [ImportRowError(row=1, column=None, message="the file is empty")]
    header = [cell.strip().lower() for cell in header_cells]
    errors = _header_errors(header)
    if errors:
        return [], errors
    branches: list[CsvBranch] = []
    first_row_of_code: dict[str, int] = {}
    try:
        for cells in reader:
            row_number = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # blank line
            if len(cells) != len(header):
                errors.append(
                    ImportRowError(
                        row=row_number, column=None, message=f"{len(cells)} cells, the header has {len(header)}"
                    )
                )
                continue
            branch, row_errors = _parse_row(row_number, {h: c.strip() for h, c in zip(header, cells, strict=True)})
            errors += row_errors
            if branch is None:
                continue
            if branch.code in first_row_of_code:
                errors.append(
                    ImportRowError(
                        row=row_number, column="code", message=f"code repeats row {first_row_of_code[branch.code]}"
                    )
                )
            first_row_of_code.setdefault(branch.code, row_number)
            branches.append(branch)
            if len(branches) > MAX_ROWS:
                errors.append(ImportRowError(row=row_number, column=None, message=f"more than {MAX_ROWS} rows"))
                break
    except csv.Error as exc:
        errors.append(ImportRowError(row=reader.line_num, column=None, message=f"malformed CSV: {exc}"))
    if not branches and not errors:
        errors.append(ImportRowError(row=1, column=None, message="the file has a header but no branches"))
    return branches, errors
