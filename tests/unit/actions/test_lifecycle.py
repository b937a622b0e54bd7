"""The follow-up action state machine and the recheck decision (pure)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from inspect_api.actions.lifecycle import MOVES, allowed_moves, check_move
from inspect_api.actions.loop import decide
from inspect_api.actions.queries import OwnAction, RecheckCandidate
from inspect_api.errors import Conflict

ALL = ("open", "in_progress", "resolved", "verified", "reopened", "rechecked_ok", "merged")


def test_allowed_moves_follow_the_lifecycle() -> None:
    assert allowed_moves("open") == ["in_progress"]
    assert allowed_moves("reopened") == ["in_progress"]
    assert allowed_moves("in_progress") == ["resolved"]
    assert allowed_moves("resolved") == ["verified", "reopened"]
    assert allowed_moves("verified") == ["reopened"]
    assert allowed_moves("rechecked_ok") == [] and allowed_moves("merged") == []


@pytest.mark.parametrize("status", ALL)
@pytest.mark.parametrize("to", list(MOVES))
def test_an_illegal_move_is_a_conflict_naming_the_allowed_ones(status: str, to: str) -> None:
    if to in allowed_moves(status):
        check_move("x", status, to)  # type: ignore[arg-type]
        return
    with pytest.raises(Conflict) as caught:
        check_move("x", status, to)  # type: ignore[arg-type]
    assert caught.value.extra["allowed"] == allowed_moves(status)
    for allowed in allowed_moves(status):
        assert allowed in caught.value.detail
    if not allowed_moves(status):
        assert "final" in caught.value.detail


def test_recheck_closes_passes_reopens_failures_and_merges_the_new_duplicate() -> None:
    old_p1, older_p1, old_p2, old_p3 = uuid4(), uuid4(), uuid4(), uuid4()
    new_p1 = uuid4()
    candidates = [
        RecheckCandidate(id=old_p1, item_key="p1", status="verified", item_status="fail"),
        RecheckCandidate(id=older_p1, item_key="p1", status="open", item_status="fail"),
        RecheckCandidate(id=old_p2, item_key="p2", status="resolved", item_status="pass"),
        RecheckCandidate(id=old_p3, item_key="p3", status="in_progress", item_status="fail"),
    ]
    own = [OwnAction(id=new_p1, item_key="p1", status="open", due_on=date(2026, 12, 7), priority="high")]
    outcome = decide(candidates, own, date(2026, 11, 23))
    assert outcome.rechecked_ok == [old_p2]
    assert outcome.reopened == [(old_p1, date(2026, 12, 7), "high"), (older_p1, date(2026, 12, 7), "high"),
                                (old_p3, None, None)]
    assert outcome.merged == [(new_p1, old_p1)]  # into the newest earlier action of the item
    kinds = sorted((e[0] == new_p1, e[1], e[3]) for e in outcome.events)
    assert kinds == [(False, "recheck", "rechecked_ok"), (False, "recheck", "reopened"),
                     (False, "recheck", "reopened"), (False, "recheck", "reopened"), (True, "merged", "merged")]
