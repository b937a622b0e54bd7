"""Released score cards are frozen; unreleased ones are re-scored only by an explicit admin operation
(POST /submissions/rescore, #18), through the HTTP API on real Postgres."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from inspect_api.forms import scoring
from inspect_api.forms.loader import load_form_file
from inspect_api.forms.model import FormDocument
from inspect_api.submissions import rescore as rescore_module
from tests.integration.factories import World, login_as, make_visit
from tests.integration.phone import answers_for, submission_body

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_forms"
KEY = "alpha-rescore"


def org_form(**changes: Any) -> dict[str, Any]:
    document = msgspec.json.decode(msgspec.json.encode(load_form_file(SEED_DIR / "fuel-attendant.yaml")))
    return document | {"key": KEY} | changes


async def publish(client: AsyncTestClient, admin: dict[str, str], document: dict[str, Any], version: int) -> None:
    draft = await client.post(f"/forms/{KEY}/drafts", json=document, headers=admin)
    assert draft.status_code == 201, draft.text
    published = await client.post(f"/forms/{KEY}/versions/{version}/publish", headers=admin)
    assert published.status_code == 200, published.text


async def version_id(db: asyncpg.Pool, world: World, version: int) -> UUID:
    return await db.fetchval(
        "SELECT v.id FROM form_versions v JOIN forms f ON f.id = v.form_id WHERE f.org_id = $1 AND f.key = $2 "
        "AND v.version = $3", world.a.id, KEY, version)


async def submitted(client: AsyncTestClient, db: asyncpg.Pool, world: World, form: FormDocument,
                    form_version_id: UUID, *, failing: set[str]) -> str:
    visit = await make_visit(db, world.a.id, world.a.b11, world.a.inspector.id, form_version_id, world.a.admin.id,
                             mode="mystery", days_ahead=-0.1)
    body = submission_body(answers_for(form, failing=failing), visit_id=str(visit))
    response = await client.post("/submissions", json=body, headers=await login_as(client, world.a.inspector))
    assert response.status_code == 201, response.text
    return response.json()["submission_id"]


async def stored_card(db: asyncpg.Pool, submission_id: str) -> str:
    """The current revision's card exactly as stored (jsonb text)."""
    return await db.fetchval(
        "SELECT r.score_card::text FROM submission_revisions r JOIN submissions s ON s.id = r.submission_id "
        "AND r.revision = s.current_revision WHERE s.id = $1", UUID(submission_id))


def harsher(real: Any) -> Any:
    """Scoring code as if its rules had changed: every total 7 points lower, nothing passes."""

    def changed(*args: Any, **kwargs: Any) -> scoring.ScoreCard:
        card = real(*args, **kwargs)
        total = None if card.total_percent is None else round(card.total_percent - 7, 2)
        return msgspec.structs.replace(card, rules_version="test-3", total_percent=total, passed=False)

    return changed


async def test_a_released_card_is_never_recomputed(
    client: AsyncTestClient, world: World, db: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await login_as(client, world.a.admin)
    await publish(client, admin, org_form(), 1)
    form = msgspec.convert(org_form(), FormDocument)
    v1 = await version_id(db, world, 1)
    released = await submitted(client, db, world, form, v1, failing={"p1_greeting"})
    approved = await submitted(client, db, world, form, v1, failing={"p2_needs"})
    waiting = await submitted(client, db, world, form, v1, failing=set())
    for step in ("approve", "release"):
        assert (await client.post(f"/submissions/{released}/{step}", headers=admin)).status_code == 200
    assert (await client.post(f"/submissions/{approved}/approve", headers=admin)).status_code == 200
    manager = await login_as(client, world.a.manager)
    frozen = {
        "stored": await stored_card(db, released),
        "admin": (await client.get(f"/submissions/{released}", headers=admin)).json()["score"],
        "manager": (await client.get(f"/submissions/{released}", headers=manager)).content,
        "total": await db.fetchval("SELECT total_percent FROM submissions WHERE id = $1", UUID(released)),
    }

    # A new version of the form is published, and the scoring code changes.
    await publish(client, admin, org_form(title={"zh": "新版", "en": "New edition"}), 2)
    monkeypatch.setattr(rescore_module, "score", harsher(scoring.score))

    report = await client.post("/submissions/rescore", json={
        "form_key": KEY, "statuses": ["submitted", "approved", "rejected"], "dry_run": False}, headers=admin)
    assert report.status_code == 200, report.text
    body = report.json()
    assert sorted(r["submission_id"] for r in body["results"]) == sorted([approved, waiting])
    assert body["written"] == body["changed"] == 2 and body["rules_version"] == scoring.SCORING_RULES_VERSION
    for result in body["results"]:
        assert result["change"]["rules_after"] == "test-3" and result["change"]["passed_after"] is False
        assert result["form_version"] == 1  # scored against the pinned version, not the new one

    named = await client.post("/submissions/rescore", json={"submission_ids": [released], "dry_run": False},
                              headers=admin)
    assert named.status_code == 200, named.text
    assert named.json()["results"] == []
    assert named.json()["skipped"] == [{"submission_id": released, "reason": "released: its score card is frozen"}]

    assert await stored_card(db, released) == frozen["stored"]
    assert (await client.get(f"/submissions/{released}", headers=admin)).json()["score"] == frozen["admin"]
    assert (await client.get(f"/submissions/{released}", headers=manager)).content == frozen["manager"]
    assert await db.fetchval("SELECT total_percent FROM submissions WHERE id = $1", UUID(released)) == frozen["total"]
    assert await db.fetchval("SELECT count(*) FROM score_rescores WHERE submission_id = $1", UUID(released)) == 0
    # Nor can anything else rewrite it: the database refuses.
    with pytest.raises(asyncpg.ObjectNotInPrerequisiteStateError, match="frozen"):
        await db.execute(
            "UPDATE submission_revisions SET score_card = score_card || '{\"total_percent\": 100}' "
            "WHERE submission_id = $1", UUID(released))
    # An unreleased card may change (what the re-score above did), and other columns of a released one too.
    await db.execute("UPDATE submission_revisions SET comment = comment WHERE submission_id = $1", UUID(released))


async def test_an_explicit_rescore_reports_then_writes_with_history_and_audit(
    client: AsyncTestClient, world: World, db: asyncpg.Pool
) -> None:
    admin = await login_as(client, world.a.admin)
    await publish(client, admin, org_form(), 1)
    form = msgspec.convert(org_form(), FormDocument)
    submission_id = await submitted(client, db, world, form, await version_id(db, world, 1), failing={"p1_greeting"})
    current = msgspec.json.decode(await stored_card(db, submission_id))
    # A card from older scoring rules: another total, p1 a pass, no follow-up, no explanations.
    stale = current | {
        "rules_version": "1", "total_percent": 50.0, "passed": False, "follow_ups": [], "explanations": [],
        "uncapped_percent": None,
        "items": [item | {"status": "pass"} if item["key"] == "p1_greeting" else item for item in current["items"]],
    }
    await db.execute("UPDATE submission_revisions SET score_card = $2 WHERE submission_id = $1", UUID(submission_id),
                     stale)
    await db.execute("UPDATE submissions SET total_percent = 50 WHERE id = $1", UUID(submission_id))

    dry = await client.post("/submissions/rescore", json={"submission_ids": [submission_id]}, headers=admin)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert (report["dry_run"], report["examined"], report["changed"], report["written"]) == (True, 1, 1, 0)
    (result,) = report["results"]
    assert result["card_differs"] is True and result["written"] is False and result["status"] == "submitted"
    change = result["change"]
    assert (change["rules_before"], change["rules_after"]) == ("1", scoring.SCORING_RULES_VERSION)
    assert (change["total_before"], change["total_after"]) == (50.0, current["total_percent"])
    assert change["items"] == [{"item": "p1_greeting", "before": "pass", "after": "fail"}]
    assert change["follow_ups_opened"] == ["p1_greeting"] and change["changed"] is True
    assert msgspec.json.decode(await stored_card(db, submission_id)) == stale  # a dry run writes nothing
    assert await db.fetchval("SELECT count(*) FROM score_rescores") == 0
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'submission.rescored'") == 0

    wet = await client.post("/submissions/rescore", json={"submission_ids": [submission_id], "dry_run": False},
                            headers=admin)
    assert wet.status_code == 200, wet.text
    assert (wet.json()["written"], wet.json()["results"][0]["change"]) == (1, change)
    assert msgspec.json.decode(await stored_card(db, submission_id)) == current
    row = await db.fetchrow("SELECT total_percent::float8 AS total, passed FROM submissions WHERE id = $1",
                            UUID(submission_id))
    assert (row["total"], row["passed"]) == (current["total_percent"], current["passed"])
    history = await db.fetchrow("SELECT card_before, card_after, change, rescored_by FROM score_rescores")
    assert (history["card_before"], history["card_after"]) == (stale, current)
    assert history["change"] == change and history["rescored_by"] == world.a.admin.id
    audit = (await client.get("/audit", params={"action": "submission.rescored"}, headers=admin)).json()
    (entry,) = audit if isinstance(audit, list) else audit["entries"]
    assert (entry["actor_id"], entry["target_id"]) == (str(world.a.admin.id), submission_id)
    assert entry["before"] == {"total_percent": 50.0, "passed": False, "rules_version": "1"}
    assert entry["after"]["change"] == change and entry["after"]["total_percent"] == current["total_percent"]
    # The QA view shows the re-scored card.
    assert (await client.get(f"/submissions/{submission_id}", headers=admin)).json()["score"] == current

    again = (await client.post("/submissions/rescore", json={"form_key": KEY, "dry_run": False},
                               headers=admin)).json()
    assert (again["examined"], again["changed"], again["written"]) == (1, 0, 0)
    assert again["results"][0]["card_differs"] is False and again["next_after"] is None
    assert await db.fetchval("SELECT count(*) FROM score_rescores") == 1


async def test_rescore_pages_and_names_what_it_left_alone(
    client: AsyncTestClient, world: World, db: asyncpg.Pool
) -> None:
    admin = await login_as(client, world.a.admin)
    await publish(client, admin, org_form(), 1)
    form = msgspec.convert(org_form(), FormDocument)
    v1 = await version_id(db, world, 1)
    ids = sorted([await submitted(client, db, world, form, v1, failing=set()) for _ in range(3)])
    assert (await client.post(f"/submissions/{ids[2]}/reject", json={"reason": "blurry photos"},
                              headers=admin)).status_code == 200
    first = (await client.post("/submissions/rescore", json={"form_key": KEY, "limit": 1}, headers=admin)).json()
    assert [r["submission_id"] for r in first["results"]] == ids[:1] and first["next_after"] == ids[0]
    second = (await client.post("/submissions/rescore", json={"form_key": KEY, "limit": 1, "after": ids[0]},
                                headers=admin)).json()
    assert [r["submission_id"] for r in second["results"]] == ids[1:2]
    unknown = "00000000-0000-4000-8000-000000000000"
    named = (await client.post("/submissions/rescore", json={"submission_ids": [ids[2], unknown]},
                               headers=admin)).json()
    assert named["results"] == []
    assert {s["submission_id"]: s["reason"] for s in named["skipped"]} == {
        ids[2]: "rejected: not among the statuses chosen", unknown: "not found"}


@pytest.mark.parametrize(("body", "status", "field"), [
    ({}, 422, "submission_ids"),
    ({"form_version": 2}, 422, "form_version"),
    ({"form_key": KEY, "statuses": ["released"]}, 400, None),
    ({"form_key": KEY, "limit": 0}, 400, None),
    ({"form_key": KEY, "recompute": True}, 400, None),
    ({"submission_ids": []}, 400, None),
])
async def test_bad_requests_name_the_field_and_write_nothing(
    client: AsyncTestClient, world: World, db: asyncpg.Pool, body: dict[str, Any], status: int, field: str | None
) -> None:
    response = await client.post("/submissions/rescore", json=body, headers=await login_as(client, world.a.admin))
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["errors"]
    if field is not None:
        assert field in {e["field"] for e in problem["errors"]}
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'submission.rescored'") == 0


@pytest.mark.parametrize("role", ["regional_lead", "branch_manager", "inspector"])
async def test_only_admins_rescore(client: AsyncTestClient, world: World, role: str) -> None:
    headers = await login_as(client, world.a.user(role))
    response = await client.post("/submissions/rescore", json={"form_key": KEY}, headers=headers)
    assert response.status_code == 403
