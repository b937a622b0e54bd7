"""POST /branches/import: all rows or none, errors by row and column, UTF-8 with or without BOM."""

from __future__ import annotations

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from tests.integration.factories import World, login_as

GOOD = """code,name_zh,name_en,region_code,timezone,latitude,longitude,address
SZ-F10,深圳南山加油站,Shenzhen Nanshan Fuel Station,R2,Asia/Shanghai,22.5330,113.9300,"深圳市南山区科技园, 南区 8 号"
SZ-P11,深圳罗湖同仁大药房,Shenzhen Luohu Tongren Pharmacy,R2,Asia/Shanghai,22.5480,114.1310,
HK-H12,香港尖沙咀酒店,Hong Kong Tsim Sha Tsui Hotel,R1,Asia/Hong_Kong,,,
"""


def post_csv(client: AsyncTestClient, body: bytes, headers: dict[str, str]):
    return client.post("/branches/import", content=body, headers=headers | {"Content-Type": "text/csv"})


async def branch_count(db: asyncpg.Pool) -> int:
    return await db.fetchval("SELECT count(*) FROM branches")


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["no-bom", "bom"])
async def test_good_file_with_chinese_names_imports(
    client: AsyncTestClient, world: World, db: asyncpg.Pool, bom: bytes
) -> None:
    headers = await login_as(client, world.a.admin)
    response = await post_csv(client, bom + GOOD.encode(), headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 3, "updated": 0, "codes": ["SZ-F10", "SZ-P11", "HK-H12"]}

    branches = {b["code"]: b for b in (await client.get("/branches", headers=headers)).json()}
    assert branches["SZ-F10"]["name_zh"] == "深圳南山加油站"
    assert branches["SZ-F10"]["address"] == "深圳市南山区科技园, 南区 8 号"
    assert branches["SZ-F10"]["region_code"] == "R2"
    assert branches["HK-H12"]["latitude"] is None and branches["HK-H12"]["timezone"] == "Asia/Hong_Kong"
    # The other org never sees them.
    bravo = await login_as(client, world.b.admin)
    assert "SZ-F10" not in {b["code"] for b in (await client.get("/branches", headers=bravo)).json()}


async def test_reimport_updates_by_code(client: AsyncTestClient, world: World, db: asyncpg.Pool) -> None:
    headers = await login_as(client, world.a.admin)
    assert (await post_csv(client, GOOD.encode(), headers)).status_code == 200
    before = await branch_count(db)
    changed = GOOD.replace("深圳南山加油站", "深圳南山中心加油站") + "B11,一号店,Branch One,R1,UTC,,,,\n".replace(
        ",,,,", ",,,"
    )
    response = await post_csv(client, changed.encode(), headers)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 0 and response.json()["updated"] == 4
    assert await branch_count(db) == before
    name = await db.fetchval("SELECT name_zh FROM branches WHERE code = 'SZ-F10' AND org_id = $1", world.a.id)
    assert name == "深圳南山中心加油站"


async def test_one_bad_row_imports_nothing_and_names_row_and_column(
    client: AsyncTestClient, world: World, db: asyncpg.Pool
) -> None:
    headers = await login_as(client, world.a.admin)
    before = await branch_count(db)
    bad = GOOD + "GZ-X13,广州坏行,Bad Row,R9,Asia/Shanghai,23.1,113.3,\nGZ-X14,,No Name,R1,Mars/Base,95,113.3,\n"
    response = await post_csv(client, bad.encode(), headers)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "nothing was imported" in response.json()["detail"]
    errors = {(e["row"], e["column"]) for e in response.json()["errors"]}
    assert errors == {(5, "region_code"), (6, "name_zh"), (6, "timezone"), (6, "latitude")}
    assert await branch_count(db) == before


async def test_file_level_problems(client: AsyncTestClient, world: World, db: asyncpg.Pool) -> None:
    headers = await login_as(client, world.a.admin)
    missing = await post_csv(client, b"code,name_zh,region_code\nA,B,R1\n", headers)
    assert missing.status_code == 422
    assert {(e["row"], e["column"]) for e in missing.json()["errors"]} == {(1, "name_en"), (1, "timezone")}
    gbk = "code,name_zh,name_en,region_code,timezone\nA1,上海店,Shanghai,R1,Asia/Shanghai\n".encode("gbk")
    not_utf8 = await post_csv(client, gbk, headers)
    assert not_utf8.status_code == 422 and "UTF-8" in not_utf8.json()["errors"][0]["message"]
    empty = await post_csv(client, b"", headers)
    assert empty.status_code == 422
    duplicate = GOOD + "SZ-F10,重复,Duplicate,R1,Asia/Shanghai,,,\n"
    dup = await post_csv(client, duplicate.encode(), headers)
    assert [(e["row"], e["column"]) for e in dup.json()["errors"]] == [(5, "code")]
    assert "row 2" in dup.json()["errors"][0]["message"]
