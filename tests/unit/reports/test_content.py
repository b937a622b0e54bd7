"""The reports' pure parts: answers and critical effects in words, language picking, the photo bound,
action counts, and the role shapes (a branch manager's view yields no inspector, time or GPS block)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from inspect_api.actions.schemas import ActionOut
from inspect_api.actions.schemas import BranchRef as ActionBranch
from inspect_api.forms.loader import load_seed_dir
from inspect_api.forms.scoring import AppliedEffect, ItemScore, ScoreCard, SectionScore
from inspect_api.rankings.schemas import PeriodOut
from inspect_api.reports import content
from inspect_api.reports.words import inline, pick
from inspect_api.submissions.schemas import (
    BranchRef,
    BranchSubmissionView,
    FormRef,
    GpsFix,
    InspectorRef,
    SubmissionView,
)

SEED_DIR = Path(__file__).resolve().parents[3] / "seed_forms"
FUEL = {f.key: f for f in load_seed_dir(SEED_DIR)}["fuel-attendant"]
ITEMS = FUEL.items_by_key()


def test_pick_prints_one_language_or_both_zh_first() -> None:
    label = ITEMS["p1_greeting"].label
    assert pick(label, "zh") == [label.zh]
    assert pick(label, "en") == [label.en]
    assert pick(label, None) == [label.zh, label.en]
    assert pick(("同", "同"), None) == ["同"]
    assert inline("total", None) == "总分 / Total score"


@pytest.mark.parametrize(("key", "answer", "lang", "expected"), [
    ("p1_greeting", {"value": True}, "en", ["Yes"]),
    ("p1_greeting", {"value": False}, "zh", ["否"]),
    ("p1_greeting", {"na": True}, "en", ["N/A"]),
    ("p1_greeting", None, "en", ["no answer"]),
])
def test_answers_in_words(key: str, answer: dict[str, Any] | None, lang: Any, expected: list[str]) -> None:
    assert content.answer_text(ITEMS[key], answer, lang) == expected


def test_choice_checklist_and_scale_answers_use_the_form_labels() -> None:
    choice = ITEMS["unsafe_behaviour"]
    option = choice.options[1]
    assert content.answer_text(choice, {"value": option.key}, "en") == [option.label.en]
    checklist = ITEMS["p8_six_voices"]
    first, second = checklist.options[:2]
    both = content.answer_text(checklist, {"value": [first.key, second.key]}, None)
    assert both == [f"{first.label.zh}、{second.label.zh}", f"{first.label.en}, {second.label.en}"]
    assert content.answer_text(checklist, {"value": []}, "en") == ["none"]
    scale = ITEMS["p2_needs"]
    point = scale.points[-1]
    shown = content.answer_text(scale, {"value": point.value}, "en")
    assert shown == [f"{point.value} / {scale.max} · {point.label.en}"]


def test_critical_effects_are_explained_naming_the_item() -> None:
    label = ITEMS["p5_safety_intervention"].label
    fail = content.effect_text(AppliedEffect(item="p5_safety_intervention", effect="fail_form"), ITEMS, "en")
    assert fail == f"“{label.en}” failed: the whole form fails and the total is set to 0."
    cap = content.effect_text(AppliedEffect(item="p7_no_argument", effect="cap_score", cap_pct=50.0), ITEMS, "zh")
    assert "总分最高为 50%" in cap and ITEMS["p7_no_argument"].label.zh in cap
    both = content.effect_text(AppliedEffect(item="gone", effect="flag"), ITEMS, None)
    assert "「gone」" in both and "flagged for QA review" in both


def _answers(photos: int = 0) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = []
    for _, item in FUEL.iter_items():
        answer: dict[str, Any] = {"item": item.key, "value": True} if item.key.startswith("p1") else {"item": item.key}
        answers.append(answer)
    answers[0]["photos"] = [str(uuid4()) for _ in range(photos)]
    answers[0]["comment"] = "#panic()"
    return answers


def _score() -> ScoreCard:
    sections = tuple(SectionScore(key=s.key, earned=1, possible=2, percent=50.0) for s in FUEL.sections)
    items = tuple(ItemScore(key=i.key, section=s.key, status="fail", earned=0, possible=1)
                  for s, i in FUEL.iter_items())
    return ScoreCard(form_key=FUEL.key, form_version=1, content_hash="x", rules_version="1", total_percent=50.0,
                     earned=1, possible=2, passed=False, sections=sections, items=items, critical_effects=(),
                     flags=(), failed_items=(), follow_ups=())


def _views(photos: int = 0) -> tuple[SubmissionView, BranchSubmissionView]:
    common: dict[str, Any] = {
        "id": uuid4(), "branch": BranchRef(id=uuid4(), code="B11", name_zh="一号站", name_en="Station one"),
        "form": FormRef(key=FUEL.key, version=1, form_version_id=uuid4()), "visited_on": date(2026, 3, 4),
        "total_percent": 50.0, "passed": False, "answers": _answers(photos), "score": _score(),
    }
    moment = datetime(2026, 3, 4, 11, 37, tzinfo=UTC)
    full = SubmissionView(**common, mode="mystery", status="released", visit_id=None,
                          inspector=InspectorRef(id=uuid4(), display_name="Qiu Mingyue"), revision=1, client_id=uuid4(),
                          submitted_at=moment, started_at=moment, finished_at=moment,
                          gps=GpsFix(latitude=31.230417, longitude=121.470253, accuracy_m=8), comment="",
                          reject_reason=None, released_at=moment, revisions=[], proof=None)
    return full, BranchSubmissionView(**common)


def _all_text(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(_all_text(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(_all_text(v) for v in value)
    return str(value)


def test_a_branch_managers_blocks_have_no_inspector_time_or_gps_which_the_full_view_has() -> None:
    full, branch = _views()
    full_text = _all_text(content.submission_blocks(full, FUEL, lang="en", photo_files={}, open_actions=[]))
    branch_text = _all_text(content.submission_blocks(branch, FUEL, lang="en", photo_files={}, open_actions=[]))
    for secret in ("Qiu Mingyue", "31.230417", "11:37", "Inspector"):
        assert secret in full_text  # the control: the full view prints them
        assert secret not in branch_text
    assert "2026-03-04" in branch_text and "#panic()" in branch_text


def test_photos_embedded_are_bounded_and_the_rest_counted() -> None:
    _, view = _views(photos=content.MAX_REPORT_PHOTOS + 3)
    ids = content.photo_ids(view)
    assert len(ids) == content.MAX_REPORT_PHOTOS
    files: dict[str, str | None] = {pid: f"photo-{n}.jpg" for n, pid in enumerate(ids)}
    files[ids[0]] = None  # could not be shown
    blocks = content.submission_blocks(view, FUEL, lang="en", photo_files=files, open_actions=None)
    first = next(b for b in blocks if b["kind"] == "item")
    assert len(first["photos"]) == content.MAX_REPORT_PHOTOS - 1 and first["note"].startswith("1 ")
    assert any("3 more photo(s) left out" in line for b in blocks if b["kind"] == "lines" for line in b["lines"])
    assert not any(b["kind"] == "heading" and "Open follow-up actions" in b["lines"] for b in blocks)


def _action(visited: date, status: Any, overdue: bool) -> ActionOut:
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    return ActionOut(
        id=uuid4(), branch=ActionBranch(id=uuid4(), code="B", name_zh="b", name_en="b", region_id=uuid4()),
        submission_id=uuid4(), visited_on=visited, form_key="f", item_key="i", title_zh="t", title_en="t",
        priority="normal", evidence_required=False, due_on=visited, status=status, recurrence_count=0,
        overdue=overdue, merged_into=None, assignees=[], allowed_moves=[], created_at=moment, updated_at=moment,
    )


def test_action_counts_by_the_period_of_the_visit_and_overdue_now() -> None:
    march = PeriodOut(kind="month", first_day=date(2026, 3, 1), last_day=date(2026, 3, 31))
    actions = [
        _action(date(2026, 3, 1), "open", True),
        _action(date(2026, 3, 31), "verified", False),
        _action(date(2026, 3, 15), "in_progress", False),
        _action(date(2026, 2, 28), "reopened", True),  # an earlier period's, still overdue
        _action(date(2026, 4, 1), "resolved", False),
    ]
    assert content.action_counts(actions, march) == {"opened": 3, "closed": 1, "still_open": 2, "overdue_now": 2}
