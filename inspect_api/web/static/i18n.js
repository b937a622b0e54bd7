// UI strings per language. Form labels are not here: they come bilingual from the API.

const STRINGS = {
  en: {
    "app.title": "Inspections dashboard",
    "lang.switch": "中文",
    "login.title": "Sign in",
    "login.email": "E-mail",
    "login.password": "Password",
    "login.submit": "Sign in",
    "login.hint": "`inspect-api dev` prints the demo logins.",
    "logout": "Log out",
    "nav.rankings": "Rankings",
    "nav.heatmap": "Heat map",
    "nav.overdue": "Overdue actions",
    "nav.review": "Review queue",
    "nav.results": "Results",
    "nav.actions": "Actions",
    "role.admin": "admin", "role.regional_lead": "regional lead", "role.branch_manager": "branch manager",
    "role.inspector": "inspector", "role.reviewer": "reviewer (QA)",
    "inspector.unsupported": "Inspectors use the phone app; this dashboard has no pages for them.",
    "filter.form": "Form", "filter.period": "Period", "filter.on": "Day in period", "filter.region": "Region",
    "filter.status": "Status", "filter.all": "all", "filter.org": "whole org", "filter.apply": "Show",
    "period.week": "week", "period.month": "month", "period.quarter": "quarter",
    "col.rank": "Rank", "col.branch": "Branch", "col.mean": "Mean", "col.interval": "95 % interval",
    "col.visits": "Visits", "col.delta": "Δ vs previous", "col.pass_rate": "Pass rate", "col.form": "Form",
    "col.status": "Status", "col.score": "Score", "col.visited": "Visited", "col.item": "Item",
    "col.due": "Due", "col.overdue_days": "Days overdue", "col.priority": "Priority", "col.answer": "Answer",
    "col.result": "Result", "col.comment": "Comment", "col.photos": "Photos", "col.section": "Section",
    "col.integrity": "Integrity", "integrity.ok": "ok", "integrity.review": "review", "integrity.suspect": "suspect",
    "integrity.unknown": "not assessed",
    "rankings.title": "Branch rankings", "rankings.period": "Period {from} – {to}, previous {pfrom} – {pto}",
    "rankings.summary": "{branches} branches, {ranked} ranked, {visits} visits, median {median}",
    "rankings.unranked": "unranked", "rankings.trend_hint": "Click a branch for its trend.",
    "trend.title": "Trend: {branch}", "trend.none": "No visits in these periods.",
    "heatmap.title": "Failure rate by item and branch",
    "heatmap.hint": "Columns: the branches of this ranking page. Darker = fails more often; empty = not judged.",
    "heatmap.legend": "failure rate",
    "overdue.title": "Overdue actions by branch", "overdue.none": "No overdue actions.",
    "overdue.count": "{count} overdue",
    "review.title": "Review queue", "review.none": "Nothing waiting.",
    "detail.title": "Inspection", "detail.back": "Back",
    "detail.total": "Total", "detail.passed": "passed", "detail.failed": "failed",
    "detail.inspector": "Inspector", "detail.mode": "Mode", "detail.visited": "Visited on",
    "detail.started": "Started", "detail.finished": "Finished", "detail.submitted": "Submitted",
    "detail.gps": "GPS", "detail.comment": "Inspector's comment", "detail.revision": "Revision",
    "detail.sections": "Score card", "detail.answers": "Answers", "detail.critical": "Critical failures",
    "detail.proof": "Proof of visit", "detail.no_warnings": "No warnings.",
    "detail.distance": "GPS distance to branch", "detail.window": "Within visit window",
    "detail.reused": "Resembles a photo of an earlier inspection:", "detail.earlier": "earlier inspection",
    "detail.this_photo": "this inspection", "detail.reject_reason": "Reject reason",
    "detail.rejected": "Rejected: {reason}",
    "na": "n/a", "yes": "yes", "no": "no", "none": "–",
    "qa.approve": "Approve", "qa.release": "Release", "qa.reject": "Reject", "qa.reason": "Reason (at least 3 characters)",
    "qa.done": "Now {status}.",
    "status.submitted": "submitted", "status.approved": "approved", "status.released": "released",
    "status.rejected": "rejected", "status.open": "open", "status.in_progress": "in progress",
    "status.resolved": "resolved", "status.verified": "verified", "status.reopened": "reopened",
    "status.rechecked_ok": "rechecked ok", "status.merged": "merged",
    "item.pass": "pass", "item.fail": "fail", "item.partial": "partial", "item.na": "n/a", "item.info": "info",
    "results.title": "Released results",
    "actions.title": "Actions board", "actions.none": "No actions.",
    "action.title": "Action", "action.history": "History", "action.start": "Start",
    "action.comment": "Comment", "action.comment_add": "Add comment", "action.resolve": "Resolve",
    "action.note": "What was done", "action.evidence": "Evidence photo",
    "action.evidence_required": "evidence photo required", "action.verify": "Verify", "action.reopen": "Reopen",
    "action.from_visit": "From the visit of {date}", "action.uploading": "Uploading…",
    "action.system": "system",
    "page.prev": "‹ Previous", "page.next": "Next ›", "page.range": "{first}–{last} of {total}",
    "page.range_open": "{first}–{last}",
    "loading": "Loading…", "error": "Error: {message}",
    "priority.high": "high", "priority.normal": "normal", "priority.urgent": "urgent", "priority.low": "low",
  },
  zh: {
    "app.title": "检查结果看板",
    "lang.switch": "English",
    "login.title": "登录",
    "login.email": "邮箱",
    "login.password": "密码",
    "login.submit": "登录",
    "login.hint": "`inspect-api dev` 会打印演示账号。",
    "logout": "退出",
    "nav.rankings": "排名",
    "nav.heatmap": "热力图",
    "nav.overdue": "逾期整改",
    "nav.review": "审核队列",
    "nav.results": "检查结果",
    "nav.actions": "整改任务",
    "role.admin": "管理员", "role.regional_lead": "区域负责人", "role.branch_manager": "门店经理",
    "role.inspector": "检查员", "role.reviewer": "质检员",
    "inspector.unsupported": "检查员请使用手机应用;此看板没有检查员页面。",
    "filter.form": "表单", "filter.period": "周期", "filter.on": "周期内某日", "filter.region": "区域",
    "filter.status": "状态", "filter.all": "全部", "filter.org": "全组织", "filter.apply": "查看",
    "period.week": "周", "period.month": "月", "period.quarter": "季度",
    "col.rank": "名次", "col.branch": "门店", "col.mean": "平均分", "col.interval": "95% 置信区间",
    "col.visits": "检查次数", "col.delta": "较上期", "col.pass_rate": "合格率", "col.form": "表单",
    "col.status": "状态", "col.score": "得分", "col.visited": "检查日期", "col.item": "检查项",
    "col.due": "截止", "col.overdue_days": "逾期天数", "col.priority": "优先级", "col.answer": "回答",
    "col.result": "结果", "col.comment": "备注", "col.photos": "照片", "col.section": "部分",
    "col.integrity": "可信度", "integrity.ok": "正常", "integrity.review": "需复核", "integrity.suspect": "可疑",
    "integrity.unknown": "未评估",
    "rankings.title": "门店排名", "rankings.period": "本期 {from} – {to},上期 {pfrom} – {pto}",
    "rankings.summary": "{branches} 家门店,{ranked} 家参与排名,{visits} 次检查,中位数 {median}",
    "rankings.unranked": "未排名", "rankings.trend_hint": "点击门店查看趋势。",
    "trend.title": "趋势:{branch}", "trend.none": "这些周期内没有检查。",
    "heatmap.title": "各检查项在各门店的不合格率",
    "heatmap.hint": "列为本排名页的门店。颜色越深不合格越多;空白表示未评判。",
    "heatmap.legend": "不合格率",
    "overdue.title": "各门店逾期整改", "overdue.none": "没有逾期整改。",
    "overdue.count": "逾期 {count} 项",
    "review.title": "审核队列", "review.none": "没有待审核的检查。",
    "detail.title": "检查详情", "detail.back": "返回",
    "detail.total": "总分", "detail.passed": "合格", "detail.failed": "不合格",
    "detail.inspector": "检查员", "detail.mode": "方式", "detail.visited": "检查日期",
    "detail.started": "开始", "detail.finished": "结束", "detail.submitted": "提交",
    "detail.gps": "定位", "detail.comment": "检查员备注", "detail.revision": "版本",
    "detail.sections": "评分卡", "detail.answers": "逐项回答", "detail.critical": "关键项不合格",
    "detail.proof": "到访证明", "detail.no_warnings": "没有警告。",
    "detail.distance": "定位与门店距离", "detail.window": "在检查时段内",
    "detail.reused": "与之前检查的照片相似:", "detail.earlier": "之前的检查",
    "detail.this_photo": "本次检查", "detail.reject_reason": "退回原因",
    "detail.rejected": "已退回:{reason}",
    "na": "不适用", "yes": "是", "no": "否", "none": "–",
    "qa.approve": "通过", "qa.release": "发布", "qa.reject": "退回", "qa.reason": "原因(至少 3 个字)",
    "qa.done": "当前状态:{status}。",
    "status.submitted": "已提交", "status.approved": "已通过", "status.released": "已发布",
    "status.rejected": "已退回", "status.open": "待处理", "status.in_progress": "处理中",
    "status.resolved": "已解决", "status.verified": "已核实", "status.reopened": "已重开",
    "status.rechecked_ok": "复查合格", "status.merged": "已合并",
    "item.pass": "合格", "item.fail": "不合格", "item.partial": "部分合格", "item.na": "不适用", "item.info": "信息",
    "results.title": "已发布的检查结果",
    "actions.title": "整改任务板", "actions.none": "没有整改任务。",
    "action.title": "整改任务", "action.history": "记录", "action.start": "开始处理",
    "action.comment": "评论", "action.comment_add": "添加评论", "action.resolve": "标记解决",
    "action.note": "整改说明", "action.evidence": "整改照片",
    "action.evidence_required": "需要整改照片", "action.verify": "核实", "action.reopen": "重开",
    "action.from_visit": "来自 {date} 的检查", "action.uploading": "上传中…",
    "action.system": "系统",
    "page.prev": "‹ 上一页", "page.next": "下一页 ›", "page.range": "第 {first}–{last} 条,共 {total} 条",
    "page.range_open": "第 {first}–{last} 条",
    "loading": "加载中…", "error": "出错:{message}",
    "priority.high": "高", "priority.normal": "普通", "priority.urgent": "紧急", "priority.low": "低",
  },
};

const LANG_KEY = "inspect.lang";

export function currentLang() {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved === "zh" || saved === "en") return saved;
  return (navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en";
}

export function setLang(lang) {
  localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

export function t(key, values = {}) {
  const text = STRINGS[currentLang()][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
}

// A bilingual label from the API ({zh, en}), or a branch (name_zh, name_en), in the current language.
export function label(value) {
  if (!value) return "";
  const lang = currentLang();
  if (typeof value === "string") return value;
  if ("zh" in value || "en" in value) return value[lang] || value.en || value.zh || "";
  return value[`name_${lang}`] || value.name_en || value.name_zh || "";
}

export function branchName(branch) {
  return branch ? `${branch.code} ${label(branch)}` : "—";
}
