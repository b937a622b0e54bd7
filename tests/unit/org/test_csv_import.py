from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from inspect_api.org.csv_import import parse_branches_csv

HEADER = "code,name_zh,name_en,region_code,timezone,latitude,longitude,address,active\n"


def test_bom_and_blank_lines_and_flags() -> None:
    body = (
        "\ufeff" + HEADER + "A1,上海店,Shanghai,E,Asia/Shanghai,31.2,121.4,,否\n\nA2,杭州店,Hangzhou,E,UTC,,,x,\n"
    ).encode()
    rows, errors = parse_branches_csv(body)
    assert errors == []
    assert [(r.row, r.code, r.active) for r in rows] == [(2, "A1", False), (4, "A2", True)]
    assert rows[0].latitude == 31.2 and rows[1].latitude is None


def test_every_problem_is_reported_with_its_row_and_column() -> None:
    body = (HEADER + "A1,店,Shop,E,Asia/Shanghai,abc,121,,maybe\nA 2,店,Shop,,UTC,10,,,\n,,,,,,,,\n").encode()
    _, errors = parse_branches_csv(body)
    got = {(e.row, e.column) for e in errors}
    assert got == {(2, "latitude"), (2, "active"), (3, "code"), (3, "region_code"), (3, "longitude")}


def test_ragged_row_and_unknown_column() -> None:
    _, errors = parse_branches_csv((HEADER + "A1,店\n").encode())
    assert [(e.row, e.column) for e in errors] == [(2, None)]
    _, errors = parse_branches_csv(b"code,name_zh,name_en,region_code,timezone,colour\n")
    assert [(e.row, e.column) for e in errors] == [(1, "colour")]


names = st.text(
    alphabet=st.characters(categories=["Lo", "Ll", "Lu", "Nd", "Zs", "Po"]), min_size=1, max_size=30
).filter(lambda s: s.strip() != "")


@given(st.lists(st.tuples(names, names), min_size=1, max_size=20), st.booleans())
def test_any_names_survive_a_round_trip_through_csv(pairs: list[tuple[str, str]], bom: bool) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "name_zh", "name_en", "region_code", "timezone"])
    for i, (zh, en) in enumerate(pairs):
        writer.writerow([f"C{i}", zh, en, "R1", "Asia/Shanghai"])
    body = (("\ufeff" if bom else "") + out.getvalue()).encode()
    rows, errors = parse_branches_csv(body)
    assert errors == []
    assert [(r.name_zh, r.name_en) for r in rows] == [(zh.strip(), en.strip()) for zh, en in pairs]
