"""Exports downloaded are audited (#16): every CSV/xlsx export route (and the PDF reports) records who
downloaded which export with which filters; a refused export (bad filter, wrong role) records nothing."""

from __future__ import annotations

import asyncpg
from litestar.testing import AsyncTestClient

from tests.integration.factories import World, login_as
from tests.integration.fuel_visit import Fuel, fuel_fixture  # noqa: F401  (fixture)

FORM = "fuel-attendant"


async def test_every_export_download_is_audited_with_its_filters(
    client: AsyncTestClient, world: World, fuel: Fuel, db: asyncpg.Pool
) -> None:
    admin, manager = await login_as(client, world.a.admin), await login_as(client, world.a.manager)
    downloads = [
        (admin, "/exports/submissions.csv", {"form_key": FORM, "from": "2026-01-01", "branch_id": str(world.a.b11)},
         "submissions.csv", {"form_key": FORM, "date_from": "2026-01-01", "branch_id": str(world.a.b11)}),
        (manager, "/exports/actions.csv", {"status": "open"}, "actions.csv", {"status": "open"}),
        (admin, "/exports/submissions.xlsx", {"form_key": FORM, "region_id": str(world.a.r1)}, "submissions.xlsx",
         {"form_key": FORM, "region_id": str(world.a.r1)}),
        (manager, "/exports/actions.xlsx", {"status": "open"}, "actions.xlsx", {"status": "open"}),
        (admin, "/exports/rankings.csv", {"form_key": FORM, "period": "quarter"}, "rankings.csv",
         {"form_key": FORM, "period": "quarter"}),
        (admin, "/exports/rankings.xlsx", {"form_key": FORM}, "rankings.xlsx", {"form_key": FORM, "period": "month"}),
        (admin, "/audit.csv", {"action": "auth.login"}, "audit.csv", {"action": "auth.login"}),
    ]
    for headers, path, params, _, _ in downloads:
        response = await client.get(path, params=params, headers=headers)
        assert response.status_code == 200, (path, response.text)
    rows = await db.fetch("SELECT actor_id, actor_role, target_type, target_id, after, request_id FROM audit_log "
                          "WHERE action = 'export.downloaded' ORDER BY id")
    assert [r["target_id"] for r in rows] == [d[3] for d in downloads]
    for row, (_, path, _, _, expected) in zip(rows, downloads, strict=True):
        assert row["target_type"] == "export" and row["request_id"]
        assert expected.items() <= row["after"].items(), (path, row["after"])
    assert rows[1]["actor_id"] == world.a.manager.id and rows[1]["actor_role"] == "branch_manager"

    # Refused: a bad filter (422/400) or a role without the export: nothing recorded.
    before = len(rows)
    assert (await client.get("/exports/rankings.csv", params={"form_key": FORM, "on": "2101-01-01"},
                             headers=admin)).status_code in (400, 422)
    assert (await client.get("/audit.csv", headers=manager)).status_code == 403
    inspector = await login_as(client, world.a.inspector)
    assert (await client.get("/exports/actions.csv", headers=inspector)).status_code == 403
    assert (await client.get("/exports/submissions.xlsx", params={"form_key": "no-such-form"},
                             headers=admin)).status_code == 404
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'export.downloaded'") == before


async def test_a_pdf_report_download_is_audited(
    client: AsyncTestClient, world: World, fuel: Fuel, db: asyncpg.Pool
) -> None:
    from tests.integration.phone import answers_for, submission_body

    inspector, admin = await login_as(client, world.a.inspector), await login_as(client, world.a.admin)
    receipt = await client.post("/submissions", json=submission_body(answers_for(fuel.form),
                                                                      visit_id=str(fuel.visit_id)), headers=inspector)
    submission_id = receipt.json()["submission_id"]
    response = await client.get(f"/submissions/{submission_id}/report.pdf", params={"lang": "en"}, headers=admin)
    assert response.status_code == 200, response.text
    row = await db.fetchrow("SELECT actor_id, target_id, after FROM audit_log WHERE action = 'export.downloaded'")
    assert (row["actor_id"], row["target_id"]) == (world.a.admin.id, "submission-report.pdf")
    assert row["after"] == {"submission_id": submission_id, "lang": "en"}
    assert (await client.get(f"/submissions/{submission_id}/report.pdf", headers=await login_as(
        client, world.a.manager))).status_code == 404  # not released: not theirs to read, nothing recorded
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'export.downloaded'") == 1
