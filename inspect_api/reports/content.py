"""What a report says, as data: pure functions from the role-shaped views to a list of blocks that the
typst template (templates/report.typ) lays out. Every user-written text (comments, names, labels) travels
as a JSON string and is placed as plain text by the template, never as typst markup.

Blocks: {"kind": "title" | "heading", "lines"}, {"kind": "facts", "rows": [[caption, value]]},
{"kind": "table", "header", "rows", "widths"}, {"kind": "lines", "lines"},
{"kind": "item", "label", "answer", "status", "tone", "points", "comment", "photos", "note"}.
A cell or value is a string or a list of lines (one per language)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from inspect_api.actions.schemas import ActionOut
from inspect_api.forms.model import (
    ChecklistItem,
    ChoiceItem,
    FormDocument,
    Item,
    NumberItem,
    PhotoItem,
    ScaleItem,
    TextItem,
    YesNoItem,
)
from inspect_api.forms.scoring import AppliedEffect, ItemScore
from inspect_api.rankings.schemas import PeriodOut, RankingRow, TrendOut, WeaknessOut
from inspect_api.reports.words import Lang, Lines, inline, pick, status, word
from inspect_api.submissions.proof import ProofOfVisit
from inspect_api.submissions.schemas import BranchSubmissionView, SubmissionView

Block = dict[str, Any]
# Photos embedded in one report at most (each a bounded JPEG): a form may allow 20 per answer on 500
# items, which no PDF (nor a worker's memory) should hold.
MAX_REPORT_PHOTOS: Final = 40
MAX_WEAK_ITEMS: Final = 10
TONES: Final = {"pass": "good", "fail": "bad", "partial": "warn"}


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _number(value: float) -> str:
    return f"{value:g}"


def _points(earned: float, possible: float) -> str:
    return f"{_number(earned)} / {_number(possible)}"


def _time(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def photo_ids(view: SubmissionView | BranchSubmissionView, limit: int = MAX_REPORT_PHOTOS) -> list[str]:
    """The photos to embed, in form order, at most `limit` (the rest are counted, not shown)."""
    ids: list[str] = []
    for answer in view.answers:
        for photo in answer.get("photos") or []:
            if str(photo) not in ids:
                ids.append(str(photo))
    return ids[:limit]


def _all_photo_count(view: SubmissionView | BranchSubmissionView) -> int:
    return len({str(p) for a in view.answers for p in a.get("photos") or []})


def answer_text(item: Item, answer: Mapping[str, Any] | None, lang: Lang | None) -> Lines | str:
    """An answer in words: option labels for choices and checklists, Yes/No, scale points, units."""
    if answer is None:
        return word("no_answer", lang)
    if answer.get("na"):
        return word("na", lang)
    value = answer.get("value")
    match item:
        case PhotoItem():
            return word("photo_answer", lang)
        case _ if value is None:
            return word("no_answer", lang)
        case YesNoItem():
            return word("yes" if value is True else "no", lang)
        case ScaleItem():
            point = next((p for p in item.points if p.value == value), None)
            shown = f"{value} / {item.max}"
            return shown if point is None else [f"{shown} · {line}" for line in pick(point.label, lang)]
        case ChoiceItem():
            option = next((o for o in item.options if o.key == value), None)
            return str(value) if option is None else pick(option.label, lang)
        case ChecklistItem():
            chosen = [o for o in item.options if isinstance(value, list) and o.key in value]
            if not chosen:
                return word("none", lang)
            per_lang = [pick(o.label, lang) for o in chosen]
            return ["、".join(labels[i] for labels in per_lang) if i == 0 and lang != "en"
                    else ", ".join(labels[i] for labels in per_lang) for i in range(len(per_lang[0]))]
        case NumberItem():
            unit = "" if item.unit is None else " " + " / ".join(pick(item.unit, lang))
            return f"{_number(value)}{unit}" if isinstance(value, int | float) else str(value)
        case TextItem():
            return str(value)
    return str(value)


def effect_text(effect: AppliedEffect, labels: Mapping[str, Item], lang: Lang | None) -> str:
    """A critical effect explained in words, naming the item."""
    item = labels.get(effect.item)
    zh_item, en_item = (effect.item, effect.item) if item is None else (item.label.zh, item.label.en)
    match effect.effect:
        case "fail_form":
            pair = (f"「{zh_item}」不合格：整张检查表判定不合格，总分记为 0。",
                    f"“{en_item}” failed: the whole form fails and the total is set to 0.")
        case "cap_score":
            cap = _number(effect.cap_pct or 0.0)
            pair = (f"「{zh_item}」不合格：总分最高为 {cap}%。", f"“{en_item}” failed: the total is capped at {cap}%.")
        case _:
            pair = (f"「{zh_item}」不合格：已标记，供质检复核。", f"“{en_item}” failed: flagged for QA review.")
    return " ".join(pick(pair, lang))


def _header(view: SubmissionView | BranchSubmissionView, form: FormDocument, lang: Lang | None) -> list[Block]:
    branch = view.branch
    rows: list[list[Any]] = [
        [inline("branch", lang), [f"{branch.code} · {line}" for line in pick({"zh": branch.name_zh,
                                                                              "en": branch.name_en}, lang)]],
        [inline("form", lang), [f"{line} ({view.form.key}, {inline('version', lang)} {view.form.version})"
                                for line in pick(form.title, lang)]],
        [inline("visited_on", lang), view.visited_on.isoformat()],
    ]
    # Only the full view has these fields: a branch manager's view has no inspector, times or GPS at all.
    if isinstance(view, SubmissionView):
        rows += [
            [inline("mode", lang), status(view.mode, lang)],
            [inline("status", lang), status(view.status, lang)],
            [inline("inspector", lang), view.inspector.display_name],
            [inline("started_at", lang), _time(view.started_at)],
            [inline("finished_at", lang), _time(view.finished_at)],
            [inline("submitted_at", lang), _time(view.submitted_at)],
            [inline("revision", lang), str(view.revision)],
        ]
        if view.released_at is not None:
            rows.append([inline("released_at", lang), _time(view.released_at)])
        if view.gps is not None:
            rows.append([inline("gps", lang), f"{view.gps.latitude:.6f}, {view.gps.longitude:.6f} "
                                             f"(± {view.gps.accuracy_m:g} m)"])
        if view.comment:
            rows.append([inline("comment", lang), view.comment])
        if view.reject_reason:
            rows.append([inline("reject_reason", lang), view.reject_reason])
    return [{"kind": "title", "lines": word("inspection_report", lang)}, {"kind": "facts", "rows": rows}]


def _scores(view: SubmissionView | BranchSubmissionView, form: FormDocument, lang: Lang | None) -> list[Block]:
    score = view.score
    verdict = inline("passed" if score.passed else "not_passed", lang)
    total = _percent(score.total_percent) if score.total_percent is not None else inline("no_score", lang)
    titles = {s.key: s.title for s in form.sections}
    rows = [[pick(titles[s.key], lang) if s.key in titles else s.key, _points(s.earned, s.possible),
             _percent(s.percent)] for s in score.sections]
    items = form.items_by_key()
    effects = [effect_text(e, items, lang) for e in score.critical_effects]
    return [
        {"kind": "facts", "rows": [[inline("total", lang), f"{total} ({_points(score.earned, score.possible)})"],
                                   [inline("result", lang), verdict]]},
        {"kind": "heading", "lines": word("section_scores", lang)},
        {"kind": "table", "widths": [3, 1, 1], "header": [inline("section", lang), inline("points", lang),
                                                          inline("percent", lang)], "rows": rows},
        {"kind": "heading", "lines": word("critical", lang)},
        {"kind": "lines", "lines": effects or [inline("no_critical", lang)]},
    ]


def _items(view: SubmissionView | BranchSubmissionView, form: FormDocument, lang: Lang | None,
           photo_files: Mapping[str, str | None]) -> list[Block]:
    answers = {a.get("item"): a for a in view.answers}
    scores: dict[str, ItemScore] = {s.key: s for s in view.score.items}
    blocks: list[Block] = [{"kind": "heading", "lines": word("items", lang)}]
    for section in form.sections:
        blocks.append({"kind": "subheading", "lines": pick(section.title, lang)})
        for item in section.items:
            answer = answers.get(item.key)
            score = scores.get(item.key)
            wanted = [str(p) for p in (answer or {}).get("photos") or []]
            shown = [photo_files[p] for p in wanted if photo_files.get(p)]
            unavailable = sum(1 for p in wanted if p in photo_files and not photo_files[p])
            note = f"{unavailable} {inline('photos_missing', lang)}" if unavailable else None
            comment = (answer or {}).get("comment")
            blocks.append({
                "kind": "item",
                "label": pick(item.label, lang),
                "answer": answer_text(item, answer, lang),
                "status": "" if score is None else status(score.status, lang),
                "tone": "plain" if score is None else TONES.get(score.status, "plain"),
                "points": "" if score is None or score.possible == 0 else _points(score.earned, score.possible),
                "comment": comment if isinstance(comment, str) and comment else None,
                "photos": shown,
                "note": note,
            })
    left_out = _all_photo_count(view) - len(photo_files)
    if left_out > 0:
        blocks.append({"kind": "lines", "lines": [f"{left_out} {inline('photos_left_out', lang)}"]})
    return blocks


def _yes_no(value: bool | None, lang: Lang | None) -> str:
    return "—" if value is None else inline("yes" if value else "no", lang)


def _proof(proof: ProofOfVisit, lang: Lang | None) -> list[Block]:
    rows = [
        [inline("gps_distance", lang), "—" if proof.gps_distance_m is None else f"{proof.gps_distance_m:g} m"],
        [inline("gps_accuracy", lang), "—" if proof.gps_accuracy_m is None else f"{proof.gps_accuracy_m:g} m"],
        [inline("near_branch", lang), _yes_no(proof.near_branch, lang)],
        [inline("within_window", lang), _yes_no(proof.within_window, lang)],
    ]
    blocks: list[Block] = [{"kind": "heading", "lines": word("proof", lang)}, {"kind": "facts", "rows": rows}]
    if proof.warnings:
        blocks.append({"kind": "lines", "lines": [f"{inline('warnings', lang)}: {w}" for w in proof.warnings]})
    if proof.photos:
        blocks.append({"kind": "table", "widths": [3, 2, 1, 2],
                       "header": [inline("photo", lang), inline("taken_at", lang), inline("distance", lang),
                                  inline("reused", lang)],
                       "rows": [[p.photo_id, "—" if p.taken_at is None else _time(p.taken_at),
                                 "—" if p.distance_m is None else f"{p.distance_m:g} m",
                                 ", ".join(p.reused_from) or "—"] for p in proof.photos]})
    return blocks


def action_rows(actions: Sequence[ActionOut], lang: Lang | None) -> list[list[Any]]:
    return [[pick({"zh": a.title_zh, "en": a.title_en}, lang),
             a.due_on.isoformat() + (f" ({inline('overdue', lang)})" if a.overdue else ""),
             status(a.status, lang), status(a.priority, lang)] for a in actions]


def _actions(actions: Sequence[ActionOut] | None, lang: Lang | None) -> list[Block]:
    if actions is None:  # the caller may not read actions (inspectors)
        return []
    blocks: list[Block] = [{"kind": "heading", "lines": word("open_actions", lang)}]
    if not actions:
        return [*blocks, {"kind": "lines", "lines": [inline("no_open_actions", lang)]}]
    return [*blocks, {"kind": "table", "widths": [4, 2, 1, 1],
                      "header": [inline("action", lang), inline("due_on", lang), inline("status", lang),
                                 inline("priority", lang)], "rows": action_rows(actions, lang)}]


def submission_blocks(
    view: SubmissionView | BranchSubmissionView,
    form: FormDocument,
    *,
    lang: Lang | None,
    photo_files: Mapping[str, str | None],
    open_actions: Sequence[ActionOut] | None,
) -> list[Block]:
    """One inspection, from exactly the view the caller's JSON has: `photo_files` maps each embedded
    photo id to its file in the render folder (None: could not be shown)."""
    proof = view.proof if isinstance(view, SubmissionView) else None
    return [
        *_header(view, form, lang),
        *_scores(view, form, lang),
        *_items(view, form, lang, photo_files),
        *(_proof(proof, lang) if proof is not None else []),
        *_actions(open_actions, lang),
    ]


# ---- branch scorecard ------------------------------------------------------------------------------


def _period(period: PeriodOut, lang: Lang | None) -> str:
    return f"{period.first_day.isoformat()} – {period.last_day.isoformat()} ({inline(period.kind, lang)})"


def _interval(low: float | None, high: float | None) -> str:
    return "—" if low is None or high is None else f"{low:.1f} – {high:.1f}"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def action_counts(actions: Sequence[ActionOut], period: PeriodOut) -> dict[str, int]:
    """Actions opened by the period's visits (by visit date), how many of those are closed or still
    pending, and every action of the branch overdue now."""
    closed_states = ("resolved", "verified", "rechecked_ok")
    pending_states = ("open", "in_progress", "reopened")
    inside = [a for a in actions if period.first_day <= a.visited_on <= period.last_day]
    return {
        "opened": len(inside),
        "closed": sum(1 for a in inside if a.status in closed_states),
        "still_open": sum(1 for a in inside if a.status in pending_states),
        "overdue_now": sum(1 for a in actions if a.overdue),
    }


def scorecard_blocks(
    *,
    row: RankingRow | None,
    period: PeriodOut,
    min_visits: int,
    ranked_branches: int,
    trend: TrendOut,
    weakness: WeaknessOut,
    actions: Sequence[ActionOut],
    form_title: Mapping[str, str] | None,
    lang: Lang | None,
) -> list[Block]:
    branch = trend.branch
    title = pick(form_title, lang) if form_title else [trend.form_key]
    facts: list[list[Any]] = [
        [inline("branch", lang), [f"{branch.code} · {line}" for line in pick({"zh": branch.name_zh,
                                                                              "en": branch.name_en}, lang)]],
        [inline("form", lang), [f"{line} ({trend.form_key})" for line in title]],
        [inline("period", lang), _period(period, lang)],
    ]
    current = None if row is None else row.current
    if current is None or current.visits == 0:
        facts.append([inline("visits", lang), "0"])
    else:
        rank = (inline("rank_of", lang, rank=current.rank, ranked=ranked_branches) if current.ranked
                else inline("unranked", lang, n=min_visits))
        facts += [
            [inline("score", lang), "—" if current.mean is None else f"{current.mean:.1f}"],
            [inline("interval", lang), _interval(current.ci_low, current.ci_high)],
            [inline("visits", lang), str(current.visits)],
            [inline("pass_rate", lang), _rate(current.pass_rate)],
            [inline("rank", lang), rank],
        ]
        if row is not None and row.delta_mean is not None:
            facts.append([inline("delta", lang), f"{row.delta_mean:+.1f}"])
    trend_rows = [[_period(p.period, lang), str(p.visits), "—" if p.mean is None else f"{p.mean:.1f}",
                   _interval(p.ci_low, p.ci_high), _rate(p.pass_rate)] for p in trend.points]
    weak = [w for w in weakness.items if w.failures > 0][:MAX_WEAK_ITEMS]
    weak_rows = [[pick({"zh": w.label.zh, "en": w.label.en}, lang) if w.label else w.item_key,
                  f"{w.failures} / {w.applicable}", _rate(w.failure_rate),
                  inline("yes" if w.recurring else "no", lang)] for w in weak]
    counts = action_counts(actions, period)
    blocks: list[Block] = [
        {"kind": "title", "lines": word("branch_scorecard", lang)},
        {"kind": "facts", "rows": facts},
        {"kind": "heading", "lines": word("trend", lang)},
        {"kind": "table", "widths": [3, 1, 1, 2, 1],
         "header": [inline("period", lang), inline("visits", lang), inline("score", lang), inline("interval", lang),
                    inline("pass_rate", lang)], "rows": trend_rows},
        {"kind": "heading", "lines": word("weakest", lang)},
    ]
    if weak_rows:
        blocks.append({"kind": "table", "widths": [4, 1, 1, 1],
                       "header": [inline("item", lang), inline("failures", lang), inline("failure_rate", lang),
                                  inline("recurring", lang)], "rows": weak_rows})
    else:
        blocks.append({"kind": "lines", "lines": [inline("no_weak", lang)]})
    blocks += [
        {"kind": "heading", "lines": word("actions_summary", lang)},
        {"kind": "facts", "rows": [[inline(key, lang), str(value)] for key, value in counts.items()]},
    ]
    overdue = [a for a in actions if a.overdue]
    if overdue:
        blocks.append({"kind": "table", "widths": [4, 2, 1, 1],
                       "header": [inline("action", lang), inline("due_on", lang), inline("status", lang),
                                  inline("priority", lang)], "rows": action_rows(overdue, lang)})
    return blocks

