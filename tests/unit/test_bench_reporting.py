"""bench/reporting.py: a bench replaces only its own section of RESULTS.md, and a refusal exits 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.reporting import replace_section, report_refusal
from bench.validity import RefusedRun

DOC = "# Results\n\n## A\nold a\n\n## B (issue 2)\nold b\nmore b\n\n## C\nold c\n"


def test_replaces_the_section_up_to_the_next_heading(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text(DOC, encoding="utf-8")
    replace_section("## B (issue 2)", "## B (issue 2)\nnew b\n", results)
    assert results.read_text(encoding="utf-8") == "# Results\n\n## A\nold a\n\n## B (issue 2)\nnew b\n\n## C\nold c\n"


def test_appends_a_missing_section(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text(DOC, encoding="utf-8")
    replace_section("## D", "## D\nnew d", results)
    assert results.read_text(encoding="utf-8") == DOC.rstrip("\n") + "\n\n## D\nnew d\n"


def test_a_refusal_prints_every_reason_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert report_refusal(RefusedRun(("bodies ran out", "3 answers were 500"))) == 1
    err = capsys.readouterr().err
    assert "reports no figures" in err and "bodies ran out" in err and "3 answers were 500" in err
