"""Closing the loop: what a newly released visit does to the branch's earlier actions of the same form.

`on_release` is actions' release hook (registered at app start, see submissions/hooks.py). It runs in
the releasing transaction, with the series (branch x form key) lock held. First it opens the visit's own
follow-up actions (and their `created` events), dated at the release: nothing of them exists before, and
the receive time would tell the branch when the shopper was there. Then it rechecks:
* an earlier action (released before this visit in series order, status open, in_progress, resolved,
  verified or reopened) whose item PASSES now becomes `rechecked_ok`;
* one whose item FAILS again becomes `reopened` with recurrence_count + 1, and takes the new visit's
  due date and (if higher) priority when the new visit opened its own action for the item;
* that own action is not deleted but marked `merged` with merged_into = the reopened action (so the
  visit's receipt and the history stay true, and action lists show one row per problem). With several
  earlier actions for the item, all are reopened and the newest absorbs the merge.
* partial, N/A and inapplicable items leave earlier actions alone.
Every change writes an action_events row (actor NULL = the system, submission_id = this visit), and
action.opened / action.rechecked events (actions/outbox.py) in the same transaction.

`on_correction` is actions' correction hook (#17: an accepted appeal corrects a released result by a
new revision, same series lock). The previous revision's actions whose item the corrected result still
follows up move to the new revision, history and status kept; those it no longer follows up and that
are still open to work become `rechecked_ok` (a `recheck` event saying the corrected result cleared
it); the new revision's other follow-ups open as at a release, dated at the correction. Earlier
actions are rechecked only for items whose status the correction changed (an unchanged item was
judged at the release already, and judging it twice would count a recurrence twice), and only when no
later visit of the series is released (that one's verdict on them stands).
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.actions import outbox, queries
from inspect_api.actions.lifecycle import RECHECKABLE
from inspect_api.actions.queries import OwnAction, RecheckCandidate
from inspect_api.submissions.hooks import Corrected, Released


class LoopOutcome(msgspec.Struct, frozen=True, kw_only=True):
    rechecked_ok: list[UUID]
    reopened: list[tuple[UUID, date | None, str | None]]  # id, new due date, new visit's priority
    merged: list[tuple[UUID, UUID]]  # own action id, merged into
    events: list[tuple[UUID, str, str, str, str]]  # action id, kind, from, to, note


def decide(candidates: list[RecheckCandidate], own: list[OwnAction], visited_on: date) -> LoopOutcome:
    """Pure: candidates come newest first per item (see SELECT_RECHECK_CANDIDATES)."""
    own_by_item = {a.item_key: a for a in own if a.status == "open"}
    rechecked_ok: list[UUID] = []
    reopened: list[tuple[UUID, date | None, str | None]] = []
    merged: list[tuple[UUID, UUID]] = []
    events: list[tuple[UUID, str, str, str, str]] = []
    merge_target: dict[str, UUID] = {}
    for c in candidates:
        if c.item_status == "pass":
            rechecked_ok.append(c.id)
            events.append((c.id, "recheck", c.status, "rechecked_ok", f"passed at the visit on {visited_on}"))
            continue
        mine = own_by_item.get(c.item_key)
        reopened.append((c.id, mine.due_on if mine else None, mine.priority if mine else None))
        events.append((c.id, "recheck", c.status, "reopened", f"failed again at the visit on {visited_on}"))
        merge_target.setdefault(c.item_key, c.id)  # the newest earlier action of the item
    for item_key, target in merge_target.items():
        mine = own_by_item.get(item_key)
        if mine is not None:
            merged.append((mine.id, target))
            events.append((mine.id, "merged", mine.status, "merged", f"recurring: merged into action {target}"))
    return LoopOutcome(rechecked_ok=rechecked_ok, reopened=reopened, merged=merged, events=events)


async def on_release(conn: asyncpg.Connection, released: Released) -> None:
    """Actions' release hook: open the visit's follow-up actions, then recheck the earlier ones."""
    opened = await queries.open_at_release(conn, released.org_id, released.visited_on, released.revision_id,
                                           released.form_key, released.released_at)
    outcome = await recheck_on_release(conn, released)
    await outbox.emit_release_changes(conn, released.org_id, released.id, opened, outcome.events, outcome.merged)


async def recheck_on_release(conn: asyncpg.Connection, facts: Released) -> LoopOutcome:
    candidates = await queries.recheck_candidates(
        conn, facts.org_id, facts.branch_id, facts.form_key, facts.visited_on, facts.released_at,
        facts.revision_id, facts.id,
    )
    if not candidates:
        return LoopOutcome(rechecked_ok=[], reopened=[], merged=[], events=[])
    outcome = decide(candidates, await queries.own_actions(conn, facts.org_id, facts.revision_id), facts.visited_on)
    await _apply(conn, facts.org_id, outcome)
    await queries.insert_system_events(conn, facts.org_id, facts.id, outcome.events)
    return outcome


async def _apply(conn: asyncpg.Connection, org_id: UUID, outcome: LoopOutcome) -> None:
    """Write what a recheck decided (its history rows are the caller's)."""
    if outcome.rechecked_ok:
        await queries.mark_rechecked_ok(conn, org_id, outcome.rechecked_ok)
    if outcome.reopened:
        await queries.reopen_recurring(conn, org_id, outcome.reopened)
    if outcome.merged:
        await queries.mark_merged(conn, org_id, outcome.merged)


async def on_correction(conn: asyncpg.Connection, corrected: Corrected) -> LoopOutcome:
    """Actions' correction hook: carry, clear and open the visit's follow-ups, then recheck earlier
    actions for the items the correction changed."""
    old, new = corrected.previous, corrected.current
    followed = {f.item for f in new.score_card.follow_ups}
    own = await queries.own_actions(conn, old.org_id, old.revision_id)
    carried = [a for a in own if a.item_key in followed]
    cleared = [a for a in own if a.item_key not in followed and a.status in RECHECKABLE]
    events: list[tuple[UUID, str, str, str, str]] = []
    if carried:
        await queries.move_to_revision(conn, new.org_id, [a.id for a in carried], new.revision_id)
    if cleared:
        await queries.mark_rechecked_ok(conn, new.org_id, [a.id for a in cleared])
        events.extend((a.id, "recheck", a.status, "rechecked_ok",
                       f"the corrected result no longer fails {a.item_key}") for a in cleared)
    opened = await queries.open_at_release(conn, new.org_id, new.visited_on, new.revision_id, new.form_key,
                                           corrected.corrected_at)
    before = {i.key: i.status for i in old.score_card.items}
    changed = {i.key for i in new.score_card.items if before.get(i.key) != i.status}
    candidates = []
    if changed and not await queries.later_released_exists(conn, new.org_id, new.branch_id, new.form_key,
                                                           new.visited_on, new.released_at, new.id):
        candidates = [c for c in await queries.recheck_candidates(
            conn, new.org_id, new.branch_id, new.form_key, new.visited_on, new.released_at, new.revision_id,
            new.id,
        ) if c.item_key in changed]
    outcome = LoopOutcome(rechecked_ok=[], reopened=[], merged=[], events=[])
    if candidates:
        outcome = decide(candidates, await queries.own_actions(conn, new.org_id, new.revision_id), new.visited_on)
        await _apply(conn, new.org_id, outcome)
    events.extend(outcome.events)
    if events:
        await queries.insert_system_events(conn, new.org_id, new.id, events)
    await outbox.emit_release_changes(conn, new.org_id, new.id, opened, events, outcome.merged)
    return outcome
