// QA: the review queue and one submission (score card, answers, photos, proof of visit, decisions).
// The submission page serves every role: it shows what the API answers, and a branch manager's answer
// has no inspector, no times and no GPS to show.
import { formVersion, get, post } from "../api.js";
import { navigate } from "../app.js";
import { fmt } from "../charts.js";
import { append, h } from "../dom.js";
import { branchName, label, t } from "../i18n.js";
import { thumbnail } from "../photos.js";
import { PAGE_SIZE, pager, statusBadge, table } from "../widgets.js";

// A proof-of-visit verdict: its level as a badge, every reason beside it (the API sends it to QA only).
function integrityCell(integrity) {
  if (!integrity) return h("span", { class: "badge integrity" }, t("integrity.unknown"));
  return h("div", { class: "integrity" },
    h("span", { class: `badge integrity-${integrity.level}` }, t(`integrity.${integrity.level}`)),
    integrity.reasons.length
      ? h("ul", { class: "reasons" }, integrity.reasons.map((r) => h("li", { class: `reason-${r.level}` }, r.message)))
      : null);
}

export function submissionsTable(rows) {
  const columns = [
    { title: t("col.visited"), cell: (s) => s.visited_on },
    { title: t("col.branch"), cell: (s) => h("a", { href: `#/submission/${s.id}`, class: "open" },
      branchName(s.branch)) },
    { title: t("col.form"), cell: (s) => `${s.form.key} v${s.form.version}` },
    { title: t("col.score"), class: "num", cell: (s) => fmt(s.total_percent) },
    { title: t("col.result"), cell: (s) => (s.passed ? t("detail.passed") : t("detail.failed")) },
    { title: t("col.status"), cell: (s) => statusBadge(s.status) },
  ];
  if (rows.some((s) => "integrity" in s)) columns.push({ title: t("col.integrity"), cell: (s) => integrityCell(s.integrity) });
  return table(columns, rows, { rowAttrs: (s) => ({ "data-submission": s.id }) });
}

export async function reviewPage(root, route) {
  const offset = Number(route.params.offset || 0);
  const rows = await get("/submissions", { status: "submitted", limit: PAGE_SIZE, offset });
  append(root, h("h1", {}, t("review.title")));
  append(root, rows.length || offset ? submissionsTable(rows) : h("p", { class: "empty" }, t("review.none")),
    pager({ offset, count: rows.length, go: (o) => navigate("review", null, { offset: o }) }));
}

function itemIndex(document) {
  const items = new Map();
  const sections = new Map();
  for (const section of document.sections || []) {
    sections.set(section.key, section);
    for (const item of section.items || []) items.set(item.key, { ...item, section: section.key });
  }
  return { items, sections };
}

function answerText(item, answer) {
  if (answer.na) return t("na");
  const value = answer.value;
  if (value === undefined || value === null) return "–";
  if (!item) return JSON.stringify(value);
  const optionLabel = (key) => {
    const option = (item.options || []).find((o) => o.key === key);
    return option ? label(option.label) : key;
  };
  switch (item.type) {
    case "yes_no": return value ? t("yes") : t("no");
    case "choice": return optionLabel(value);
    case "checklist": return value.length ? value.map(optionLabel).join(", ") : "–";
    case "scale": return `${value} / ${item.max ?? ""}`;
    default: return String(value);
  }
}

function localTime(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function facts(view) {
  const rows = [[t("detail.visited"), view.visited_on]];
  if (view.inspector) {  // only in the QA / lead / inspector shape
    rows.push([t("detail.inspector"), view.inspector.display_name], [t("detail.mode"), view.mode],
      [t("detail.started"), localTime(view.started_at)], [t("detail.finished"), localTime(view.finished_at)],
      [t("detail.submitted"), localTime(view.submitted_at)], [t("detail.revision"), view.revision]);
    if (view.gps) {
      rows.push([t("detail.gps"), `${view.gps.latitude.toFixed(5)}, ${view.gps.longitude.toFixed(5)} ±${fmt(view.gps.accuracy_m, 0)} m`]);
    }
  }
  return h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function scoreCard(view, index) {
  const score = view.score;
  return h("section", { class: "score-card", id: "score-card" },
    h("h2", {}, t("detail.sections")),
    h("p", { class: `total ${score.passed ? "pass" : "fail"}` }, `${t("detail.total")} ${fmt(score.total_percent)} % · `,
      score.passed ? t("detail.passed") : t("detail.failed")),
    table([
      { title: t("col.section"), cell: (s) => label((index.sections.get(s.key) || {}).title) || s.key },
      { title: t("col.score"), class: "num", cell: (s) => `${fmt(s.earned)} / ${fmt(s.possible)}` },
      { title: "%", class: "num", cell: (s) => fmt(s.percent) },
    ], score.sections),
    score.critical_effects.length ? h("p", { class: "critical" }, t("detail.critical"), ": ",
      score.critical_effects.map((e) => label((index.items.get(e.item) || {}).label) || e.item).join(", ")) : null);
}

function answersTable(view, index) {
  const statusOf = new Map(view.score.items.map((i) => [i.key, i.status]));
  return h("section", {},
    h("h2", {}, t("detail.answers")),
    table([
      { title: t("col.item"), cell: (a) => label((index.items.get(a.item) || {}).label) || a.item },
      { title: t("col.answer"), cell: (a) => answerText(index.items.get(a.item), a) },
      { title: t("col.result"), cell: (a) => {
        const status = statusOf.get(a.item) || (a.na ? "na" : "info");
        return h("span", { class: `badge item-${status}` }, t(`item.${status}`));
      } },
      { title: t("col.comment"), cell: (a) => a.comment || "" },
      { title: t("col.photos"), cell: (a) => (a.photos || []).map((p) => thumbnail(p)) },
    ], view.answers, { rowAttrs: (a) => ({ "data-item": a.item }) }));
}

async function proofSection(view) {
  const proof = view.proof;
  const earlierPhotos = async (submissionId) => {
    try {
      const earlier = await get(`/submissions/${submissionId}`);
      return earlier.answers.flatMap((a) => a.photos || []).slice(0, 4);
    } catch {
      return [];
    }
  };
  const reused = await Promise.all(proof.photos.filter((p) => p.reused_from.length).map(async (p) => ({
    photo: p, earlier: await Promise.all(p.reused_from.slice(0, 3).map(async (id) => ({ id, photos: await earlierPhotos(id) }))),
  })));
  return h("section", { class: "proof", id: "proof" },
    h("h2", {}, t("detail.proof")),
    h("dl", { class: "facts" },
      h("dt", {}, t("col.integrity")), h("dd", { id: "integrity" }, integrityCell(proof.integrity)),
      h("dt", {}, t("detail.distance")), h("dd", {}, proof.gps_distance_m === null ? "–" : `${fmt(proof.gps_distance_m, 0)} m`),
      h("dt", {}, t("detail.window")), h("dd", {}, proof.within_window === null ? "–" : proof.within_window ? t("yes") : t("no"))),
    proof.warnings.length
      ? h("ul", { class: "warnings", id: "warnings" }, proof.warnings.map((w) => h("li", {}, "⚠ ", w)))
      : h("p", {}, t("detail.no_warnings")),
    reused.map(({ photo, earlier }) => h("div", { class: "reuse", "data-photo": photo.photo_id },
      h("p", {}, t("detail.reused")),
      h("div", { class: "side-by-side" },
        h("figure", {}, thumbnail(photo.photo_id), h("figcaption", {}, t("detail.this_photo"))),
        earlier.map((e) => h("figure", { class: "earlier" }, e.photos.map((p) => thumbnail(p)),
          h("figcaption", {}, h("a", { href: `#/submission/${e.id}` }, t("detail.earlier")))))))));
}

function decisions(view, root) {
  const message = h("p", { class: "message", role: "status", id: "qa-message" });
  const act = async (step, body) => {
    try {
      const after = await post(`/submissions/${view.id}/${step}`, body);
      navigate("submission", view.id, { done: after.status });
    } catch (error) {
      message.textContent = error.message;
    }
  };
  const reason = h("input", { type: "text", id: "reject-reason", placeholder: t("qa.reason"), minlength: 3 });
  return h("section", { class: "decisions", id: "decisions" },
    view.status === "submitted" ? h("button", { type: "button", id: "approve", onclick: () => act("approve") },
      t("qa.approve")) : null,
    view.status === "approved" ? h("button", { type: "button", id: "release", onclick: () => act("release") },
      t("qa.release")) : null,
    ["submitted", "approved"].includes(view.status) ? [reason,
      h("button", { type: "button", id: "reject", class: "danger",
        onclick: () => act("reject", { reason: reason.value }) }, t("qa.reject"))] : null,
    message);
}

export async function submissionPage(root, route) {
  const view = await get(`/submissions/${route.id}`);
  const version = await formVersion(view.form.key, view.form.version);
  const index = itemIndex(version.document);
  append(root, 
    h("p", {}, h("a", { href: "#", onclick: (e) => { e.preventDefault(); history.back(); } }, `‹ ${t("detail.back")}`)),
    h("h1", {}, `${branchName(view.branch)} · ${label(version.title)}`),
    view.status ? h("p", {}, statusBadge(view.status)) : null,
    route.params.done ? h("p", { class: "notice", id: "qa-done" }, t("qa.done", { status: t(`status.${route.params.done}`) })) : null,
    view.reject_reason ? h("p", { class: "error" }, t("detail.rejected", { reason: view.reject_reason })) : null,
    facts(view),
    view.comment ? h("blockquote", { class: "comment", id: "inspector-comment" }, h("strong", {}, t("detail.comment")), " ", view.comment) : null);
  if (["admin", "reviewer"].includes(route.user.role) && view.status) append(root, decisions(view, root));
  append(root, scoreCard(view, index));
  if (view.proof) append(root, await proofSection(view));
  append(root, answersTable(view, index));
}
