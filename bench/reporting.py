"""What every bench does with its figures: print why a run was refused, and replace its own section of
bench/RESULTS.md (from its heading to the next `## ` heading) with the new run's text."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Final

from bench.validity import RefusedRun

RESULTS: Final = Path(__file__).resolve().parent / "RESULTS.md"


def report_refusal(refused: RefusedRun, *, withheld: str = "figures") -> int:
    """Print the reasons on stderr; the exit status of a refused run."""
    print(f"\nREFUSED: this bench run is not valid, so it reports no {withheld}:", file=sys.stderr)
    for problem in refused.problems:
        print(f"  {problem}", file=sys.stderr)
    return 1


def replace_section(heading: str, text: str, results: Path = RESULTS) -> None:
    current = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        updated = pattern.sub(lambda _: text + "\n", current)
    else:
        updated = current.rstrip("\n") + "\n\n" + text + "\n"
    results.write_text(updated, encoding="utf-8")
