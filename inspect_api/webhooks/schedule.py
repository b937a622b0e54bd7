"""When a failed delivery is tried again: a Svix-like schedule spread over about three days."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Final

# Delay before attempt 2, 3, ...; the sum is ~71.6 hours. After the last, the delivery is given up.
RETRY_DELAYS: Final[tuple[timedelta, ...]] = (
    timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=5),
    timedelta(hours=10), timedelta(hours=10), timedelta(hours=10), timedelta(hours=10), timedelta(hours=12),
    timedelta(hours=12),
)
JITTER: Final = 0.2  # +-20 %: endpoints that failed together do not all come back at once


def next_delay(
    attempts_made: int, delays: tuple[timedelta, ...] = RETRY_DELAYS, rng: random.Random | None = None
) -> timedelta | None:
    """The wait after `attempts_made` failed attempts, jittered; None: give up."""
    if attempts_made < 1:
        raise ValueError("attempts_made counts the attempts so far: at least 1")
    if attempts_made > len(delays):
        return None
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)
    return delays[attempts_made - 1] * factor
