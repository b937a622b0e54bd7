"""The demo inspections' plan and answers (pure): what intake and the visits rules would refuse never
gets planned."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspect_api.forms.answers import Answer, validate_answers
from inspect_api.forms.loader import load_seed_dir
from inspect_api.forms.scoring import score
from inspect_api.org.demo_inspections import (
    FORM_BY_KIND,
    REVIEW_QUEUE,
    REVISIT_DAYS,
    _windows_clash,
    plan_answers,
    plan_inspections,
)

FORMS = {f.key: f for f in load_seed_dir(Path(__file__).resolve().parents[3] / "seed_forms")}
SHOPPERS = ("s1@demo", "s2@demo", "s3@demo")
NOWS = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))


@settings(max_examples=25, deadline=None)
@given(now=NOWS, shoppers=st.integers(0, 3))
def test_the_plan_keeps_the_revisit_rule_and_lies_in_the_past(now: datetime, shoppers: int) -> None:
    planned = plan_inspections(now, SHOPPERS[:shoppers], "auditor@demo")
    assert len({p.key for p in planned}) == len(planned)
    for p in planned:
        assert p.window_start <= p.started_at < p.finished_at <= now
        assert p.finished_at <= p.window_end
        assert p.release or p.window_end > now  # the review queue is scheduled through the service
    for a in planned:
        for b in planned:
            if a is not b and (a.inspector, a.branch) == (b.inspector, b.branch) and _windows_clash(a, b, REVISIT_DAYS):
                assert a.mode == b.mode == "announced", (a.key, b.key)
    assert sum(not p.release for p in planned) == len(REVIEW_QUEUE)


def test_the_plan_has_mystery_visits_when_there_are_shoppers() -> None:
    planned = plan_inspections(datetime(2026, 12, 1, 21, tzinfo=UTC), SHOPPERS, "auditor@demo")
    assert sum(p.mode == "mystery" for p in planned) > len(planned) // 3


@pytest.mark.parametrize("form_key", sorted(set(FORM_BY_KIND.values())))
@pytest.mark.parametrize("seed", range(20))
def test_planned_answers_are_valid_and_fail_as_planned(form_key: str, seed: int) -> None:
    form = FORMS[form_key]
    rng = random.Random(seed)
    critical = seed % 4 == 0
    planned = plan_answers(form, 0.2, rng, critical_failure=critical, min_failures=seed % 3)
    photo_ids = iter(uuid.uuid4() for _ in range(100))
    answers = [msgspec.convert(p.answer | {"photos": [str(next(photo_ids)) for _ in range(p.photos)]}, Answer)
               for p in planned]
    assert validate_answers(form, answers) == []
    card = score(form, answers, form_version=1, content_hash="x")
    assert bool(card.critical_effects) == critical
    assert len(card.failed_items) >= seed % 3
