"""The follow-up action state machine (pure).

    open ──start──> in_progress ──resolve──> resolved ──verify──> verified
      ^                                        │  │                  │
    reopened <──────────reopen─────────────────┘  └──────────────────┘ (reopen)
    (reopened ──start──> in_progress)

People move actions with the routes below; the system moves them on the next released visit of the
same branch and form: an item that passes again closes the action as `rechecked_ok`, an item that
fails again makes it `reopened` (recurrence_count + 1) and marks the new visit's own action for the
item `merged` into it. `rechecked_ok` and `merged` are final.

    start    open | reopened -> in_progress   branch manager
    resolve  in_progress -> resolved          branch manager (note; evidence photo if required)
    verify   resolved -> verified             regional lead, admin
    reopen   resolved | verified -> reopened  regional lead, admin (note)
"""

from __future__ import annotations

from typing import Final, Literal

from inspect_api.errors import Conflict

ActionStatus = Literal["open", "in_progress", "resolved", "verified", "reopened", "rechecked_ok", "merged"]
Move = Literal["in_progress", "resolved", "verified", "reopened"]

# to_status -> the statuses it may come from (by a person)
MOVES: Final[dict[Move, tuple[ActionStatus, ...]]] = {
    "in_progress": ("open", "reopened"),
    "resolved": ("in_progress",),
    "verified": ("resolved",),
    "reopened": ("resolved", "verified"),
}
# Statuses a later visit rechecks (everything a person may still act on, and verified work).
RECHECKABLE: Final[tuple[ActionStatus, ...]] = ("open", "in_progress", "resolved", "verified", "reopened")
# Statuses whose due date still binds the branch.
PENDING: Final[tuple[ActionStatus, ...]] = ("open", "in_progress", "reopened")


def allowed_moves(status: str) -> list[Move]:
    """The statuses a person may move an action to from `status`, in lifecycle order."""
    return [to for to, sources in MOVES.items() if status in sources]


def check_move(action_id: object, status: str, to: Move) -> None:
    """Raise Conflict (409) naming the allowed moves when `status -> to` is not one."""
    if status in MOVES[to]:
        return
    allowed = allowed_moves(status)
    options = " or ".join(allowed) if allowed else "nothing: it is final"
    raise Conflict(
        f"action {action_id} is {status}; it cannot become {to}. From {status} it can become {options}",
        extra={"action_status": status, "allowed": allowed},  # `status` is the HTTP status
    )
