"""bench/scale_bench.py's pure helpers: sizes from the command line, percentiles, ratios; and that
bench/generate.py restricts the rankings bench's statements to the step's new submissions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench import generate
from bench.scale_bench import parse_size, parse_sizes, percentiles, ratio, size_label


@pytest.mark.parametrize(("text", "n"), [("10k", 10_000), ("100K", 100_000), ("1m", 1_000_000), ("2500", 2500),
                                         ("1.5m", 1_500_000), (" 20k ", 20_000)])
def test_parse_size(text: str, n: int) -> None:
    assert parse_size(text) == n


@pytest.mark.parametrize("text", ["", "k", "10x", "-5", "0", "1.5", "10kk", "1e6"])
def test_parse_size_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


def test_parse_sizes_sorted_distinct() -> None:
    assert parse_sizes("1m,10k,100k,10k") == [10_000, 100_000, 1_000_000]
    with pytest.raises(ValueError):
        parse_sizes(" , ")


@given(st.integers(min_value=1, max_value=10**9))
def test_size_label_round_trips(n: int) -> None:
    assert parse_size(size_label(n)) == n


def test_percentiles_nearest_rank() -> None:
    samples = [i / 1000 for i in range(1, 101)]  # 1..100 ms
    p = percentiles(samples)
    assert p["p95_ms"] == pytest.approx(95.0)
    assert p["p50_ms"] == pytest.approx(50.5)
    assert p["max_ms"] == pytest.approx(100.0)
    assert p["runs"] == 100
    assert percentiles([0.002])["p95_ms"] == pytest.approx(2.0)
    with pytest.raises(ValueError):
        percentiles([])


@given(st.lists(st.floats(min_value=0, max_value=10, allow_nan=False), min_size=1, max_size=200))
def test_percentiles_ordered(samples: list[float]) -> None:
    p = percentiles(samples)
    assert min(samples) * 1000 <= p["p50_ms"] <= p["p95_ms"] <= p["max_ms"] == max(samples) * 1000


def test_ratio() -> None:
    assert ratio(12.0, 10.0) == pytest.approx(1.2)
    assert ratio(1.0, 0.0) is None


def test_step_statements_only_touch_new_submissions() -> None:
    assert generate.STEP_REVISIONS.startswith(generate.LOAD_REVISIONS.rstrip())
    assert generate.STEP_REVISIONS.rstrip().endswith("IN (SELECT id FROM new_subs)")
    assert generate.STEP_ITEMS.rstrip().endswith("r.submission_id IN (SELECT id FROM new_subs)")
    for sql in (generate.STEP_PHOTOS, generate.STEP_ACTIONS, generate.STEP_EVENTS, generate.STEP_VISITS):
        assert "FROM new_subs n" in sql


def _fake(size: int, scale: float) -> dict[str, object]:
    read = {"p50_ms": 3.0 * scale, "p95_ms": 5.0 * scale, "max_ms": 6.0, "runs": 40}
    return {
        "size": size, "counts": {"submissions": size, "branches": 2001}, "load_timings_s": {"submissions": 1.0},
        "phase_s": {"load": 2.0, "intake": 3.0}, "load_average": [1.0, 1.1],
        "seal": {"seal_ms_median": 10.0 * scale, "rows_examined_median": 1, "buffers_median": 12037,
                 "search_ms_median": 8.0,
                 "after_load": {"seal_ms_median": 30.0 * scale, "search_ms_median": 20.0, "buffers_read_median": 600}},
        "intake": {"cpu_ms_total": 4.0 * scale,
                   "cpu_ms": {"server": 2.0, "postgres": 2.5 * scale, "postgres_clients": 2.0 * scale,
                              "postgres_background": 0.5 * scale},
                   "prepare_cpu_ms_per_photo": {"server": 50.0, "postgres": 5.0, "postgres_clients": 5.0, "s3": 1.0},
                   "requests": 150,
                   "rounds": [{"cpu_ms_total": 3.9 * scale}, {"cpu_ms_total": 4.0 * scale},
                              {"cpu_ms_total": 4.4 * scale}]},
        "reads": {"GET /rankings": read},
        "export": {"rows": size, "seconds": 1.0, "rows_per_s": size, "rss_peak_sampled_mb": 120.0, "vmhwm_mb": 121.0},
    }


def test_report_names_goals_and_ratios() -> None:
    from datetime import UTC, datetime

    from bench.scale_bench import HEADING, report

    text = report([_fake(10_000, 1.0), _fake(1_000_000, 1.5)], "cmd", datetime.now(UTC), 60.0)
    assert text.startswith(HEADING)
    assert "| intake CPU ms / request, server + Postgres backends (median of rounds) | 4.00 | 6.00 | 1.50x |" in text
    assert "| seal statement ms, first pass after the load | 30.00 | 45.00 | 1.50x |" in text
    assert "intake CPU 1.50x of 10k (not met" in text
    assert "seal statement 1.50x (not met" in text
    assert "slowest read p95 7.5 ms (GET /rankings; met" in text
    assert "peak RSS 121 MB (met" in text


@pytest.mark.parametrize(("title", "client"), [
    ("postgres: postgres inspect_live_1 127.0.0.1(43210) idle", True),
    ("postgres: postgres inspect_live_1 127.0.0.1(43210) INSERT", True),
    ("postgres: 15/main: postgres postgres 127.0.0.1(44728) SELECT", True),  # with cluster_name
    ("postgres: app db [local] idle in transaction", True),
    ("postgres: checkpointer ", False),
    ("postgres: background writer ", False),
    ("postgres: 15/main: background writer", False),
    ("postgres: autovacuum worker inspect_live_1", False),
    ("postgres: walwriter", False),
    ("/opt/pg/bin/postgres -D /tmp/pgdata -p 5432", False),
])
def test_postgres_processes_split_into_client_backends_and_background(title: str, client: bool) -> None:
    """bench/cpu_split.py counts intake's statements on the client backends, apart from the checkpoint
    and autovacuum work a bulk load leaves behind (bench/scale_bench.py)."""
    from bench.cpu_split import is_client_title

    assert is_client_title(title) is client
