"""What an inspector's phone does, for tests: ask for upload slots, upload straight to S3, build answers."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
from litestar.testing import AsyncTestClient

from inspect_api.forms.model import (
    ChecklistItem,
    ChoiceItem,
    FormDocument,
    NumberItem,
    PhotoItem,
    ScaleItem,
    TextItem,
    YesNoItem,
)


async def get_slots(
    client: AsyncTestClient, headers: dict[str, str], *types: str, purpose: str = "submission", **extra: Any
) -> list[dict[str, Any]]:
    body = {"purpose": purpose, "files": [{"content_type": t} for t in types], **extra}
    response = await client.post("/uploads", json=body, headers=headers)
    assert response.status_code == 201, response.text
    slots = response.json()["slots"]
    assert len(slots) == len(types)
    return slots


async def upload(
    http: httpx.AsyncClient, slot: dict[str, Any], data: bytes, *, content_type: str | None = None
) -> httpx.Response:
    """Multipart POST of the presigned fields, then the file, straight to S3."""
    fields = dict(slot["fields"])
    if content_type is not None:
        fields["Content-Type"] = content_type
    return await http.post(slot["url"], data=fields, files={"file": ("photo", data, fields["Content-Type"])})


def _value(item: Any, passing: bool) -> Any:
    match item:
        case YesNoItem():
            return item.pass_value if passing else not item.pass_value
        case ScaleItem():
            return item.max if passing else item.min
        case ChoiceItem():
            ranked = sorted(item.options, key=lambda o: o.score)
            return (ranked[-1] if passing else ranked[0]).key
        case ChecklistItem():
            return [o.key for o in item.options] if passing else []
        case NumberItem():
            target = item.target
            if target is None:
                return item.min if item.min is not None else 0
            if passing:
                return target.min if target.min is not None else target.max
            return (target.max + 1) if target.max is not None else (target.min - 1)
        case TextItem():
            return "ok"
        case PhotoItem():
            return None
    raise AssertionError(f"unknown item {item!r}")


def answers_for(
    form: FormDocument,
    *,
    failing: Collection[str] = (),
    photos: Mapping[str, list[UUID]] | None = None,
    values: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """An answer for every item: passing unless listed in `failing`; `values` overrides any value."""
    photos = photos or {}
    values = values or {}
    answers = []
    for _, item in form.iter_items():
        answer: dict[str, Any] = {"item": item.key}
        value = values[item.key] if item.key in values else _value(item, item.key not in failing)
        if value is not None:
            answer["value"] = value
        if item.key in photos:
            answer["photos"] = [str(p) for p in photos[item.key]]
        answers.append(answer)
    return answers


def submission_body(answers: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    finished = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    return {
        "client_id": str(uuid4()),
        "answers": answers,
        "started_at": (finished - timedelta(minutes=20)).isoformat(),
        "finished_at": finished.isoformat(),
        "gps": {"latitude": 31.2301, "longitude": 121.4702, "accuracy_m": 12.0},  # near the factory branches
        "comment": "Visited at lunch time.",
        **fields,
    }
