// Regional lead / admin: rankings with intervals and trends, the item x branch heat map, overdue actions.
import { get } from "../api.js";
import { navigate } from "../app.js";
import { fmt, heatColour, intervalBar, pct, trendChart } from "../charts.js";
import { append, h } from "../dom.js";
import { branchName, label, t } from "../i18n.js";
import { filterBar, PAGE_SIZE, pager, select, table, today } from "../widgets.js";

const HEATMAP_COLUMNS = 8;

// The filters every lead page shares, with defaults: the first published form, this month, the org
// (admins) or the lead's first region.
async function rankingFilters(route) {
  const [forms, regions] = await Promise.all([get("/forms"), get("/regions")]);
  const p = route.params;
  const isAdmin = route.user.role === "admin";
  const chosen = {
    form: p.form || (forms[0] && forms[0].key) || "",
    period: p.period || "month",
    on: p.on || today(),
    region: p.region ?? (isAdmin ? "" : (regions[0] && regions[0].id) || ""),
    offset: Number(p.offset || 0),
  };
  const regionOptions = [...(isAdmin ? [["", t("filter.org")]] : []), ...regions.map((r) => [r.id, label(r)])];
  const bar = filterBar([
    [t("filter.form"), select("form", forms.map((f) => [f.key, label(f.title)]), chosen.form)],
    [t("filter.period"), select("period", ["week", "month", "quarter"].map((k) => [k, t(`period.${k}`)]),
      chosen.period)],
    [t("filter.on"), h("input", { type: "date", name: "on", id: "f-on", value: chosen.on })],
    [t("filter.region"), select("region", regionOptions, chosen.region)],
  ], (values) => navigate(route.page, null, { ...values, offset: 0 }));
  return { chosen, bar };
}

function rankingQuery(chosen, limit, offset) {
  return {
    form_key: chosen.form, period: chosen.period, on: chosen.on, limit, offset,
    scope: chosen.region ? "region" : "org", region_id: chosen.region || undefined,
  };
}

function delta(row) {
  if (row.delta_mean === null) return "–";
  const arrow = row.delta_mean > 0 ? "▲" : row.delta_mean < 0 ? "▼" : "＝";
  const rank = row.delta_rank === null ? "" : ` (${row.delta_rank > 0 ? "+" : ""}${row.delta_rank})`;
  return h("span", { class: row.delta_mean > 0 ? "up" : row.delta_mean < 0 ? "down" : "" },
    `${arrow} ${fmt(Math.abs(row.delta_mean))}${rank}`);
}

export async function rankingsPage(root, route) {
  const { chosen, bar } = await rankingFilters(route);
  append(root, h("h1", {}, t("rankings.title")), bar);
  if (!chosen.form) return;
  const data = await get("/rankings", rankingQuery(chosen, PAGE_SIZE, chosen.offset));
  const d = data.distribution;
  append(root, 
    h("p", { class: "meta" }, t("rankings.period", {
      from: data.period.first_day, to: data.period.last_day,
      pfrom: data.previous_period.first_day, pto: data.previous_period.last_day,
    })),
    h("p", { class: "meta" }, t("rankings.summary", {
      branches: d.branches, ranked: d.ranked, visits: d.visits, median: fmt(d.median),
    }), " · ", t("rankings.trend_hint")));
  const go = (offset) => navigate("rankings", null, { ...chosen, offset });
  const showTrend = (row) => row.branch && navigate("rankings", null, { ...chosen, branch: row.branch.id });
  append(root, table([
    { title: t("col.rank"), class: "num", cell: (r) => r.current.rank ?? t("rankings.unranked") },
    { title: t("col.branch"), cell: (r) => r.branch
      ? h("a", { href: "#", class: "branch-link", onclick: (e) => { e.preventDefault(); showTrend(r); } },
        branchName(r.branch))
      : "—" },
    { title: t("col.mean"), class: "num", cell: (r) => fmt(r.current.mean) },
    { title: t("col.interval"), cell: (r) => h("span", { class: "interval-cell" },
      intervalBar(r.current.ci_low, r.current.mean, r.current.ci_high),
      h("small", {}, r.current.ci_low === null ? "" : `${fmt(r.current.ci_low, 0)}–${fmt(r.current.ci_high, 0)}`)) },
    { title: t("col.visits"), class: "num", cell: (r) => r.current.visits },
    { title: t("col.pass_rate"), class: "num", cell: (r) => pct(r.current.pass_rate) },
    { title: t("col.delta"), class: "num", cell: delta },
  ], data.rows, { rowAttrs: (r) => ({ class: r.own ? "own" : "", "data-branch": r.branch ? r.branch.code : "" }) }),
  pager({ offset: chosen.offset, count: data.rows.length, total: data.total, go }));

  if (route.params.branch) {
    const trend = await get("/rankings/trend", {
      branch_id: route.params.branch, form_key: chosen.form, period: chosen.period, on: chosen.on, periods: 12,
    });
    const hasVisits = trend.points.some((p) => p.visits > 0);
    append(root, h("section", { class: "trend-panel", id: "trend" },
      h("h2", {}, t("trend.title", { branch: branchName(trend.branch) })),
      hasVisits ? trendChart(trend.points, { label: (p) => p.period.first_day.slice(chosen.period === "week" ? 5 : 0,
        chosen.period === "week" ? 10 : 7) }) : h("p", {}, t("trend.none"))));
  }
}

export async function heatmapPage(root, route) {
  const { chosen, bar } = await rankingFilters(route);
  append(root, h("h1", {}, t("heatmap.title")), bar, h("p", { class: "meta" }, t("heatmap.hint")));
  if (!chosen.form) return;
  // Columns: one page of the ranking (best first), plus the scope as a whole.
  const ranking = await get("/rankings", rankingQuery(chosen, HEATMAP_COLUMNS, chosen.offset));
  const branches = ranking.rows.filter((r) => r.branch).map((r) => r.branch);
  const scopeParams = { form_key: chosen.form, period: chosen.period, on: chosen.on };
  const [whole, ...perBranch] = await Promise.all([
    get("/rankings/weakness", { ...scopeParams, region_id: chosen.region || undefined }),
    ...branches.map((b) => get("/rankings/weakness", { ...scopeParams, branch_id: b.id })),
  ]);
  const items = whole.items;  // every item judged in the scope, most failed first
  const cells = perBranch.map((w) => new Map(w.items.map((i) => [i.item_key, i])));
  const cell = (item) => {
    const colour = item ? heatColour(item.failure_rate) : null;
    const text = item && item.failure_rate !== null ? pct(item.failure_rate) : "";
    return h("td", {
      class: item && item.failure_rate >= 0.6 ? "heat dark" : "heat", dataset: colour ? { colour } : {},
      title: item ? `${item.failures}/${item.applicable}${item.recurring ? " ↻" : ""}` : "",
    }, text, item && item.recurring ? h("span", { class: "recurring" }, " ↻") : null);
  };
  const grid = h("table", { class: "heatmap", id: "heatmap" },
    h("thead", {}, h("tr", {}, h("th", {}, t("col.item")), h("th", { class: "scope" }, t("filter.all")),
      branches.map((b) => h("th", { class: "branch-col" }, branchName(b))))),
    h("tbody", {}, items.map((item) => h("tr", { "data-item": item.item_key },
      h("th", { class: "item" }, label(item.label) || item.item_key),
      cell(item),
      cells.map((byKey) => cell(byKey.get(item.item_key)))))));
  // Colours are set through the CSSOM (a CSP without 'unsafe-inline' refuses style="" attributes).
  for (const td of grid.querySelectorAll("td[data-colour]")) td.style.backgroundColor = td.dataset.colour;
  append(root, h("div", { class: "scroll" }, grid),
    h("p", { class: "legend" }, t("heatmap.legend"), " ",
      [0, 0.25, 0.5, 0.75, 1].map((r) => {
        const swatch = h("span", { class: r >= 0.6 ? "swatch dark" : "swatch" }, pct(r));
        swatch.style.backgroundColor = heatColour(r);
        return swatch;
      })),
    pager({ offset: chosen.offset, count: ranking.rows.length, total: ranking.total, limit: HEATMAP_COLUMNS,
      go: (offset) => navigate("heatmap", null, { ...chosen, offset }) }));
}

function daysBetween(from, to) {
  return Math.round((Date.parse(to) - Date.parse(from)) / 86400000);
}

export async function overduePage(root, route) {
  const regions = await get("/regions");
  const region = route.params.region || "";
  const offset = Number(route.params.offset || 0);
  const bar = filterBar([[t("filter.region"), select("region",
    [["", t("filter.all")], ...regions.map((r) => [r.id, label(r)])], region)]],
  (values) => navigate("overdue", null, { ...values, offset: 0 }));
  const rows = await get("/actions/overdue", { region_id: region || undefined, limit: PAGE_SIZE, offset });
  append(root, h("h1", {}, t("overdue.title")), bar);
  if (!rows.length && !offset) {
    append(root, h("p", { class: "empty" }, t("overdue.none")));
    return;
  }
  // Grouped by branch within the page (the API orders by due date, earliest first).
  const groups = new Map();
  for (const action of rows) {
    if (!groups.has(action.branch.id)) groups.set(action.branch.id, []);
    groups.get(action.branch.id).push(action);
  }
  const now = today();
  const body = h("tbody", {});
  for (const actions of groups.values()) {
    body.append(h("tr", { class: "group" }, h("th", { colspan: 5 }, branchName(actions[0].branch), " · ",
      t("overdue.count", { count: actions.length }))));
    for (const a of actions) {
      body.append(h("tr", { "data-action": a.id },
        h("td", {}, h("a", { href: `#/action/${a.id}` }, label({ zh: a.title_zh, en: a.title_en }))),
        h("td", {}, t(`status.${a.status}`)),
        h("td", {}, a.due_on),
        h("td", { class: "num" }, daysBetween(a.due_on, now)),
        h("td", {}, t(`priority.${a.priority}`))));
    }
  }
  append(root, h("table", { id: "overdue" },
    h("thead", {}, h("tr", {}, [t("col.item"), t("col.status"), t("col.due"), t("col.overdue_days"),
      t("col.priority")].map((c) => h("th", {}, c)))), body),
  pager({ offset, count: rows.length, go: (o) => navigate("overdue", null, { region, offset: o }) }));
}
