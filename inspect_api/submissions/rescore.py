"""Re-scoring unreleased results: an explicit admin operation (#18), never a side effect.

Score cards are stored as computed (forms/scoring.py). A change to the scoring code or rules does not
touch any stored card; a released card never changes at all (the trigger in
sql/frozen_score_cards.sql refuses it, whoever tries). For results not yet released, an admin may
ask for a re-score (POST /submissions/rescore): each chosen result's current revision is scored
again from its stored answers against its pinned form version (never a newer version: the answers
were given to that one) with the scoring code running now, and the report says, per result, what
`compare_cards` finds changed (totals, pass/fail, item statuses, follow-ups).

Written in place: the current revision keeps the inspector's answers and takes the new card; the
submission's total and pass take the new ones; the card it replaced is kept in `score_rescores`
(with the change) and an audit row `submission.rescored` names the admin. A new revision was not
chosen: revisions are what the inspector sent (their client_id, request hash, times), and an admin's
re-score sent nothing. A retry of the inspector's request answers the current (re-scored) card. Only
cards that differ are written; a dry run (the default) writes nothing. The status stays as it was
(an approval stands; QA has the report). Releases of the chosen results wait for the re-score's
transaction; nothing derived exists before a release, so nothing else needs redoing.
"""

from __future__ import annotations

import asyncio
from typing import Final
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.audit.service import record
from inspect_api.auth.principal import Principal
from inspect_api.errors import InvalidInput, NotFound
from inspect_api.forms.answers import Answer
from inspect_api.forms.queries import VersionWithDocument
from inspect_api.forms.scoring import SCORING_RULES_VERSION, ScoreCard, compare_cards, score
from inspect_api.forms.service import published_version
from inspect_api.submissions import queries
from inspect_api.submissions.queries import Rescored, RescoreRow
from inspect_api.submissions.schemas import RescoreIn, RescoreReport, RescoreResult, RescoreSkipped

AUDIT_ACTION: Final = "submission.rescored"


def _check(data: RescoreIn) -> None:
    errors = []
    if data.submission_ids is None and data.form_key is None:
        errors.append({"field": "submission_ids", "message": "name submission_ids or a form_key"})
    if data.form_version is not None and data.form_key is None:
        errors.append({"field": "form_version", "message": "needs form_key"})
    if errors:
        raise InvalidInput("say which results to re-score", extra={"errors": errors})


def rescored_card(version: VersionWithDocument, row: RescoreRow) -> ScoreCard:
    """The card the scoring code running now gives the row's stored answers (pure)."""
    answers = msgspec.convert(row.answers, list[Answer])
    return score(version.document, answers, form_version=version.version, content_hash=version.content_hash)


def _score_all(jobs: list[tuple[VersionWithDocument, RescoreRow]]) -> list[ScoreCard | str]:
    out: list[ScoreCard | str] = []
    for version, row in jobs:
        try:
            out.append(rescored_card(version, row))
        except (ValueError, msgspec.ValidationError) as exc:  # answers the code no longer scores
            out.append(f"cannot be scored now: {exc}")
    return out


def _skipped(asked: list[UUID], statuses: dict[UUID, str], chosen: list[str]) -> list[RescoreSkipped]:
    skipped = []
    for submission_id in asked:
        status = statuses.get(submission_id)
        if status is None:
            reason = "not found"
        elif status == "released":
            reason = "released: its score card is frozen"
        elif status not in chosen:
            reason = f"{status}: not among the statuses chosen"
        else:
            continue
        skipped.append(RescoreSkipped(submission_id=submission_id, reason=reason))
    return skipped


async def rescore(pool: asyncpg.Pool, principal: Principal, data: RescoreIn) -> RescoreReport:
    _check(data)
    ids = None if data.submission_ids is None else sorted(set(data.submission_ids), key=str)
    statuses = sorted(set(data.statuses))
    async with pool.acquire() as conn, conn.transaction():
        rows = await queries.rescore_batch(
            conn, principal.org_id, ids=ids, form_key=data.form_key, form_version=data.form_version,
            statuses=statuses, after=data.after, limit=data.limit)
        versions: dict[UUID, VersionWithDocument] = {}
        skipped: list[RescoreSkipped] = []
        jobs: list[tuple[VersionWithDocument, RescoreRow]] = []
        for row in rows:
            if row.form_version_id not in versions:
                try:
                    versions[row.form_version_id] = await published_version(conn, principal.org_id,
                                                                            row.form_version_id)
                except NotFound:
                    skipped.append(RescoreSkipped(submission_id=row.submission_id,
                                                  reason="its form version is not published"))
                    continue
            jobs.append((versions[row.form_version_id], row))
        cards = await asyncio.to_thread(_score_all, jobs)  # pure CPU work, off the event loop
        results: list[RescoreResult] = []
        to_write: list[Rescored] = []
        for (_, row), card in zip(jobs, cards, strict=True):
            if isinstance(card, str):
                skipped.append(RescoreSkipped(submission_id=row.submission_id, reason=card))
                continue
            change = compare_cards(row.score_card, card)
            differs = card != row.score_card
            written = differs and not data.dry_run
            if written:
                to_write.append(Rescored(submission_id=row.submission_id, revision_id=row.revision_id,
                                         card_before=row.score_card, card_after=card, change=change))
            results.append(RescoreResult(
                submission_id=row.submission_id, status=row.status,  # type: ignore[arg-type]
                revision=row.revision, form_key=row.form_key, form_version=row.form_version, change=change,
                card_differs=differs, written=written))
        if to_write:
            await queries.write_rescores(conn, principal.org_id, principal.user_id, to_write)
            for item in to_write:
                await record(conn, principal, AUDIT_ACTION, target_type="submission", target_id=item.submission_id,
                             before=_audit_side(item.card_before),
                             after=_audit_side(item.card_after) | {"change": item.change})
        if ids is not None:
            found = {row.id: row.status for row in await queries.statuses_of(conn, principal.org_id, ids)}
            skipped.extend(_skipped(ids, found, statuses))
    return RescoreReport(
        dry_run=data.dry_run, rules_version=SCORING_RULES_VERSION, examined=len(results),
        changed=sum(r.change.changed for r in results), written=len(to_write), results=results,
        skipped=sorted(skipped, key=lambda s: str(s.submission_id)),
        next_after=rows[-1].submission_id if len(rows) == data.limit else None,
    )


def _audit_side(card: ScoreCard) -> dict[str, object]:
    return {"total_percent": card.total_percent, "passed": card.passed, "rules_version": card.rules_version}
