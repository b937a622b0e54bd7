"""The fixed words of the reports in both languages, and picking the language(s) to print.

`lang=None` prints both (the forms' labels are bilingual): Chinese first, English beneath."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal, Protocol

Lang = Literal["zh", "en"]
Lines = list[str]  # one line per language printed

WORDS: Final[dict[str, tuple[str, str]]] = {
    "inspection_report": ("检查报告", "Inspection report"),
    "branch_scorecard": ("门店期间成绩单", "Branch scorecard"),
    "branch": ("门店", "Branch"),
    "form": ("检查表", "Form"),
    "version": ("版本", "version"),
    "visited_on": ("检查日期", "Visit date"),
    "mode": ("检查方式", "Mode"),
    "status": ("状态", "Status"),
    "inspector": ("检查员", "Inspector"),
    "started_at": ("开始时间", "Started"),
    "finished_at": ("结束时间", "Finished"),
    "submitted_at": ("提交时间", "Submitted"),
    "released_at": ("发布时间", "Released"),
    "revision": ("修订", "Revision"),
    "gps": ("定位", "GPS"),
    "comment": ("备注", "Comment"),
    "reject_reason": ("退回原因", "Rejected because"),
    "total": ("总分", "Total score"),
    "result": ("结果", "Result"),
    "passed": ("合格", "Passed"),
    "not_passed": ("不合格", "Not passed"),
    "no_score": ("无可计分项", "nothing scorable"),
    "section_scores": ("分项得分", "Section scores"),
    "section": ("分项", "Section"),
    "points": ("得分", "Points"),
    "percent": ("得分率", "Percent"),
    "critical": ("关键项影响", "Critical effects"),
    "no_critical": ("无关键项失分。", "No critical item failed."),
    "items": ("逐项结果", "Item by item"),
    "answer": ("回答", "Answer"),
    "photos_missing": ("张照片无法显示", "photo(s) cannot be shown"),
    "photos_left_out": ("张照片未放入报告（上限已到）", "more photo(s) left out of the report (limit reached)"),
    "proof": ("到访证明（仅质检可见）", "Proof of visit (QA only)"),
    "gps_distance": ("定位距门店", "GPS distance to branch"),
    "gps_accuracy": ("定位精度", "GPS accuracy"),
    "near_branch": ("在门店附近", "Near the branch"),
    "within_window": ("在检查时段内", "Within the visit window"),
    "warnings": ("提示", "Warnings"),
    "photo_evidence": ("照片证据", "Photo evidence"),
    "photo": ("照片", "Photo"),
    "taken_at": ("拍摄时间", "Taken"),
    "distance": ("距离", "Distance"),
    "reused": ("疑似重复使用", "Resembles photos of"),
    "open_actions": ("未完成的整改任务", "Open follow-up actions"),
    "no_open_actions": ("无未完成的整改任务。", "No open follow-up actions."),
    "action": ("整改任务", "Action"),
    "due_on": ("截止日期", "Due"),
    "priority": ("优先级", "Priority"),
    "overdue": ("已逾期", "overdue"),
    "period": ("期间", "Period"),
    "score": ("平均分", "Mean score"),
    "interval": ("95% 置信区间", "95% interval"),
    "visits": ("检查次数", "Visits"),
    "pass_rate": ("合格率", "Pass rate"),
    "rank": ("排名", "Rank"),
    "unranked": ("未排名（检查次数不足 {n} 次）", "unranked (fewer than {n} visits)"),
    "rank_of": ("第 {rank} 名 / 共 {ranked} 家", "{rank} of {ranked}"),
    "delta": ("较上期", "Change on previous period"),
    "trend": ("趋势", "Trend"),
    "weakest": ("最薄弱的检查项", "Weakest items"),
    "no_weak": ("本期无失分项。", "No item failed in the period."),
    "item": ("检查项", "Item"),
    "failures": ("失分次数", "Failures"),
    "failure_rate": ("失分率", "Failure rate"),
    "recurring": ("连续失分", "Recurring"),
    "actions_summary": ("整改任务", "Follow-up actions"),
    "opened": ("本期检查产生", "Opened by the period's visits"),
    "closed": ("其中已关闭", "of those closed"),
    "still_open": ("其中未完成", "of those still open"),
    "overdue_now": ("门店当前逾期", "Overdue at the branch now"),
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    "none": ("无", "none"),
    "na": ("不适用", "N/A"),
    "no_answer": ("未作答", "no answer"),
    "photo_answer": ("见照片", "see photos"),
    "week": ("周", "week"),
    "month": ("月", "month"),
    "quarter": ("季度", "quarter"),
    "page": ("页", "page"),
}

STATUS_WORDS: Final[dict[str, tuple[str, str]]] = {
    "pass": ("合格", "pass"),
    "fail": ("不合格", "fail"),
    "partial": ("部分合格", "partial"),
    "na": ("不适用", "N/A"),
    "inapplicable": ("不适用（条件未满足）", "does not apply"),
    "unscored": ("不计分", "not scored"),
    # submissions, visits, actions
    "submitted": ("已提交", "submitted"),
    "approved": ("已审核", "approved"),
    "released": ("已发布", "released"),
    "rejected": ("已退回", "rejected"),
    "mystery": ("神秘顾客", "mystery shopper"),
    "announced": ("预约检查", "announced audit"),
    "adhoc": ("临时检查", "ad hoc"),
    "open": ("待处理", "open"),
    "in_progress": ("处理中", "in progress"),
    "reopened": ("重新打开", "reopened"),
    "resolved": ("已解决", "resolved"),
    "verified": ("已确认", "verified"),
    "rechecked_ok": ("复查通过", "rechecked OK"),
    "urgent": ("紧急", "urgent"),
    "high": ("高", "high"),
    "normal": ("普通", "normal"),
    "low": ("低", "low"),
}


class Bilingual(Protocol):
    zh: str
    en: str


def pick(text: Bilingual | Mapping[str, str] | tuple[str, str], lang: Lang | None) -> Lines:
    """The line(s) to print of a bilingual text: a form's Text, {"zh", "en"} or a (zh, en) pair."""
    if isinstance(text, tuple):
        zh, en = text
    elif isinstance(text, Mapping):
        zh, en = text["zh"], text["en"]
    else:
        zh, en = text.zh, text.en
    if lang == "zh":
        return [zh]
    if lang == "en":
        return [en]
    return [zh] if zh == en else [zh, en]


def word(key: str, lang: Lang | None, **values: object) -> Lines:
    return [line.format(**values) for line in pick(WORDS[key], lang)]


def inline(key: str, lang: Lang | None, **values: object) -> str:
    """A caption on one line: 'zh / en' when both are printed."""
    return " / ".join(word(key, lang, **values))


def status(key: str, lang: Lang | None) -> str:
    pair = STATUS_WORDS.get(key)
    return key if pair is None else " / ".join(pick(pair, lang))
