"""Retiring a form or one version (#17), through the API: results stay pinned to v1 (and its frozen
score card) after v2 is published; a retired version takes no new visit or first submission (422
naming the field) and leaves GET /forms; its versions list marks it; history, reports and exports keep
it; a catalogue form is retired for one org only; a form.retired event and an audit row are written;
admin only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
import msgspec
from litestar.testing import AsyncTestClient

from tests.integration.factories import World, future_window, login_as
from tests.integration.phone import answers_for, submission_body
from tests.integration.releases import FUEL, Catalogue, fuel_catalogue, local_noon, reference_month  # noqa: F401

KEY = "alpha-fuel"


def own_document(catalogue: Catalogue, title_en: str) -> dict[str, Any]:
    document = msgspec.to_builtins(catalogue.form)
    document["key"] = KEY
    document["title"] = {"zh": document["title"]["zh"], "en": title_en}
    return document


async def publish(client: AsyncTestClient, admin: dict[str, str], document: dict[str, Any]) -> dict[str, Any]:
    draft = await client.post(f"/forms/{KEY}/drafts", json=document, headers=admin)
    assert draft.status_code == 201, draft.text
    published = await client.post(f"/forms/{KEY}/versions/{draft.json()['version']}/publish", headers=admin)
    assert published.status_code == 200, published.text
    return published.json()


def adhoc(catalogue: Catalogue, branch: Any, version_id: str, day_offset: int = 2) -> dict[str, Any]:
    finished = local_noon(reference_month() + timedelta(days=day_offset))
    return submission_body(answers_for(catalogue.form, failing={"p1_greeting"}), branch_id=str(branch),
                           form_version_id=version_id, started_at=(finished - timedelta(minutes=20)).isoformat(),
                           finished_at=finished.isoformat())


def schedule(world: World, version_id: str) -> dict[str, Any]:
    start, end = future_window(days_ahead=40)
    return {"branch_id": str(world.a.b11), "form_version_id": version_id, "inspector_id": str(world.a.inspector.id),
            "window_start": start.isoformat(), "window_end": end.isoformat(), "mode": "announced"}


async def test_retiring_versions_and_forms_keeps_history_and_stops_new_work(
    client: AsyncTestClient, world: World, fuel_catalogue: Catalogue, db: asyncpg.Pool  # noqa: F811
) -> None:
    admin = await login_as(client, world.a.admin)
    inspector = await login_as(client, world.a.inspector)
    v1 = await publish(client, admin, own_document(fuel_catalogue, "Fuel v1"))

    receipt = await client.post("/submissions", json=adhoc(fuel_catalogue, world.a.b11, v1["form_version_id"]),
                                headers=inspector)
    assert receipt.status_code == 201, receipt.text
    submission_id = receipt.json()["submission_id"]
    for step in ("approve", "release"):
        assert (await client.post(f"/submissions/{submission_id}/{step}", headers=admin)).status_code == 200
    before = (await client.get(f"/submissions/{submission_id}", headers=admin)).json()

    # v2 is published: the result stays pinned to v1 with the same score card
    v2 = await publish(client, admin, own_document(fuel_catalogue, "Fuel v2"))
    assert v2["version"] == 2
    after = (await client.get(f"/submissions/{submission_id}", headers=admin)).json()
    assert after["form"] == before["form"] == {"key": KEY, "version": 1, "form_version_id": v1["form_version_id"]}
    assert after["score"] == before["score"] and after["score"]["form_version"] == 1

    # retire v1: no new visits or submissions against it; v2 still takes them
    retired = await client.post(f"/forms/{KEY}/versions/1/retire", json={"reason": "v2 replaces it"}, headers=admin)
    assert retired.status_code == 200, retired.text
    assert {v["version"]: v["retired"] for v in retired.json()["versions"]} == {1: True, 2: False}
    again = await client.post(f"/forms/{KEY}/versions/1/retire", json={}, headers=admin)
    assert again.status_code == 409
    refused = await client.post("/visits", json=schedule(world, v1["form_version_id"]), headers=admin)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "form_version_id", refused.text
    assert "retired" in refused.json()["errors"][0]["message"]
    late = await client.post("/submissions", json=adhoc(fuel_catalogue, world.a.b12, v1["form_version_id"]),
                             headers=inspector)
    assert late.status_code == 422 and late.json()["errors"][0]["field"] == "form_version_id", late.text
    assert (await client.post("/visits", json=schedule(world, v2["form_version_id"]), headers=admin)).status_code == 201

    listed = {(f["key"], f["version"]) for f in (await client.get("/forms", headers=inspector)).json()}
    assert (KEY, 2) in listed and (KEY, 1) not in listed
    versions = (await client.get(f"/forms/{KEY}/versions", headers=inspector)).json()
    assert [(v["version"], v["retired"]) for v in versions] == [(1, True), (2, False)]
    download = await client.get(f"/forms/{KEY}/versions/1", headers=inspector)  # phones and history still read it
    assert download.status_code == 200 and download.json()["version"] == 1

    # history, reports and exports keep the v1 result
    assert (await client.get(f"/submissions/{submission_id}", headers=admin)).json()["score"] == before["score"]
    report = await client.get(f"/submissions/{submission_id}/report.pdf", headers=admin)
    assert report.status_code == 200 and report.content.startswith(b"%PDF")
    export = await client.get("/exports/submissions.csv", params={"form_key": KEY}, headers=admin)
    assert export.status_code == 200 and submission_id in export.text

    # retire the whole form: it leaves GET /forms, v2 takes nothing new either
    whole = await client.post(f"/forms/{KEY}/retire", json={"reason": "programme ended"}, headers=admin)
    assert whole.status_code == 200 and whole.json()["version"] is None
    assert KEY not in {f["key"] for f in (await client.get("/forms", headers=inspector)).json()}
    refused = await client.post("/visits", json=schedule(world, v2["form_version_id"]), headers=admin)
    assert refused.status_code == 422
    assert (await client.post(f"/forms/{KEY}/versions/2/retire", json={}, headers=admin)).status_code == 409

    events = await db.fetch("SELECT type, payload FROM events WHERE type = 'form.retired' ORDER BY id")
    assert [(e["payload"]["key"], e["payload"]["version"]) for e in events] == [(KEY, 1), (KEY, None)]
    audit = await db.fetch("SELECT action, actor_id, after FROM audit_log WHERE action = 'form.retired' ORDER BY id")
    assert [(a["after"]["version"], a["actor_id"]) for a in audit] == [(1, world.a.admin.id), (None, world.a.admin.id)]
    assert audit[0]["after"]["reason"] == "v2 replaces it"


async def test_a_catalogue_form_is_retired_for_one_org_only_and_only_by_its_admin(
    client: AsyncTestClient, world: World, fuel_catalogue: Catalogue  # noqa: F811
) -> None:
    for who in (world.a.lead, world.a.reviewer, world.a.inspector, world.a.manager):
        refused = await client.post(f"/forms/{FUEL}/retire", json={}, headers=await login_as(client, who))
        assert refused.status_code == 403
    alpha, bravo = await login_as(client, world.a.admin), await login_as(client, world.b.admin)
    assert (await client.post(f"/forms/{FUEL}/retire", json={}, headers=alpha)).status_code == 200
    assert FUEL not in {f["key"] for f in (await client.get("/forms", headers=alpha)).json()}
    assert FUEL in {f["key"] for f in (await client.get("/forms", headers=bravo)).json()}
    version_id = str(fuel_catalogue.version_id)
    refused = await client.post("/visits", json=schedule(world, version_id), headers=alpha)
    assert refused.status_code == 422
    bravo_visit = schedule(world, version_id) | {"branch_id": str(world.b.b11),
                                                  "inspector_id": str(world.b.inspector.id)}
    assert (await client.post("/visits", json=bravo_visit, headers=bravo)).status_code == 201
    assert (await client.post("/forms/no-such-form/retire", json={}, headers=alpha)).status_code == 404
    assert (await client.post(f"/forms/{FUEL}/versions/99/retire", json={}, headers=alpha)).status_code == 404
