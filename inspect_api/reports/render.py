"""typst renders the reports, off the event loop, a bounded number at a time per worker.

Fonts: Noto Sans CJK (SC, with Latin) from the `noto-cjk-sans-otc` wheel (SIL OFL 1.1) plus typst's own
embedded fonts; system fonts are ignored, so a report looks the same on every machine and nothing is
fetched. The data goes in as a JSON file beside the template (templates/report.typ reads it with
`json(...)`), never spliced into markup. Photos are files in the same scratch folder (typst reads only
inside its root)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

import msgspec
import noto_cjk_sans_otc
import typst

# Reports compiled at once per worker (all requests together); the others wait their turn. Each turn also
# holds its report's photos (on disk, not in memory), so the bound caps the scratch space too.
RENDER_CONCURRENCY: Final = 2
TEMPLATE: Final = "report.typ"

_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


@cache
def fonts() -> typst.Fonts:
    """Searched once per process: the CJK collection is ~19 MB."""
    folder = Path(str(noto_cjk_sans_otc.FONT_PATH)).parent
    return typst.Fonts(include_system_fonts=False, include_embedded_fonts=True, font_paths=[str(folder)])


@cache
def template() -> bytes:
    return resources.files("inspect_api.reports").joinpath("templates", TEMPLATE).read_bytes()


@contextlib.asynccontextmanager
async def render_turn() -> AsyncIterator[Path]:
    """One of the worker's RENDER_CONCURRENCY turns, with a scratch folder removed afterwards."""
    loop = asyncio.get_running_loop()
    turn = _turns.get(loop)
    if turn is None:
        turn = _turns[loop] = asyncio.Semaphore(RENDER_CONCURRENCY)
    async with turn:
        folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="report-"))
        try:
            yield folder
        finally:
            await asyncio.to_thread(shutil.rmtree, folder, True)


def compile_pdf(folder: Path, title: str, lang: str, blocks: Sequence[dict[str, Any]],
                comment_caption: str = "Comment") -> bytes:
    """Blocking: write data.json into `folder` and compile the template there."""
    data = {"title": title, "lang": lang, "comment_caption": comment_caption, "blocks": blocks}
    (folder / "data.json").write_bytes(msgspec.json.encode(data))
    pdf = typst.compile(template(), root=str(folder), font_paths=fonts(), format="pdf")
    assert isinstance(pdf, bytes)
    return pdf


def write_file(path: Path, data: bytes) -> None:
    path.write_bytes(data)


async def in_thread(function: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.to_thread(function, *args)
