"""Form downloads for phones: the encoded body and ETag of a version, kept in memory once published.

A published version never changes, so its encoded JSON (per language) is computed once per process;
repeat downloads and If-None-Match checks then cost a dictionary lookup instead of two queries, a
jsonb decode, a walk over the document and an encode.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Final
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.forms import service
from inspect_api.forms.schemas import Lang, full_version

CACHE_SIZE: Final = 1024

CacheKey = tuple[UUID, str, int, Lang | None]


class FormDownload(msgspec.Struct, frozen=True):
    etag: str
    body: bytes  # the encoded FormVersionOut
    published: bool


_cache: OrderedDict[CacheKey, FormDownload] = OrderedDict()


def etag_for(content_hash: str, lang: Lang | None) -> str:
    return f'"{content_hash[:40]}-{lang or "zh+en"}"'


async def form_download(
    pool: asyncpg.Pool, org_id: UUID, key: str, version: int, lang: Lang | None, *, include_drafts: bool
) -> FormDownload:
    cache_key = (org_id, key, version, lang)
    hit = _cache.get(cache_key)
    if hit is not None:
        _cache.move_to_end(cache_key)
        return hit
    row = await service.get_version(pool, org_id, key, version, include_drafts=include_drafts)
    download = FormDownload(
        etag=etag_for(row.content_hash, lang),
        body=msgspec.json.encode(full_version(row, lang)),
        published=row.status == "published",
    )
    if download.published:  # drafts change; only immutable versions are kept
        _cache[cache_key] = download
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return download
