"""The typst template: any text is printed as written (never read as markup), zh and en glyphs come from the
packaged font, and renders take bounded turns off the event loop."""

from __future__ import annotations

import asyncio
import io
import re
import tempfile
import threading
from pathlib import Path

import pypdf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspect_api.reports import render

MARKUP = "#*_$`[]{}()<>@=\\/-+:;\"'~"


def _text(body: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)


def _squashed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _compile(comment: str) -> bytes:
    blocks = [{"kind": "title", "lines": ["检查报告", "Inspection report"]},
              {"kind": "item", "label": ["问候", "Greeting"], "answer": comment, "status": "", "tone": "plain",
               "points": "", "comment": comment, "photos": [], "note": None},
              {"kind": "facts", "rows": [[comment, [comment, comment]]]},
              {"kind": "table", "widths": [1, 1], "header": [comment, "b"], "rows": [[comment, [comment]]]},
              {"kind": "lines", "lines": [comment]}]
    with tempfile.TemporaryDirectory() as folder:
        return render.compile_pdf(Path(folder), comment, "zh", blocks)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(MARKUP + "ab中文 "), min_size=1, max_size=40).filter(lambda s: s.strip()))
def test_any_text_is_printed_as_written(comment: str) -> None:
    body = _compile(comment)
    # Printed in every place it was put (five blocks; the facts row and table hold it more than once).
    assert _squashed(_text(body)).count(_squashed(comment)) >= 5


def test_typst_code_in_a_comment_does_not_run() -> None:
    text = _text(_compile('#panic("boom") #read("/etc/passwd") #image("/etc/hostname")'))
    assert 'panic("boom")' in text and "root:" not in text


def test_chinese_and_english_glyphs_come_from_the_packaged_cjk_font() -> None:
    body = _compile("油枪未归位 nozzle left out")
    pages = pypdf.PdfReader(io.BytesIO(body)).pages
    names = {str(ref.get_object()["/BaseFont"]) for page in pages for ref in page["/Resources"]["/Font"].values()}
    assert names and all("NotoSansCJK" in name for name in names), names  # nothing from elsewhere
    assert "油枪未归位" in _text(body) and "nozzle left out" in _text(body)
    assert [f.family for f in render.fonts().fonts() if f.path and "noto_cjk_sans_otc" in f.path]


async def test_renders_take_bounded_turns_and_compile_off_the_event_loop() -> None:
    inside = peak = 0
    threads: set[int] = set()

    async def one() -> None:
        nonlocal inside, peak
        async with render.render_turn() as folder:
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.01)
            await render.in_thread(lambda: threads.add(threading.get_ident()))
            assert folder.is_dir()
            inside -= 1
        assert not folder.exists()  # the scratch folder is removed

    await asyncio.gather(*(one() for _ in range(6)))
    assert peak == render.RENDER_CONCURRENCY
    assert threading.get_ident() not in threads
