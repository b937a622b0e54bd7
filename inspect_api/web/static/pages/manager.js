// Branch manager: released results of own branches and the actions board (start, comment, resolve with
// an evidence photo uploaded straight to S3). Leads and admins use the same board to verify or reopen.
import { get, post, uploadEvidence } from "../api.js";
import { navigate } from "../app.js";
import { append, h } from "../dom.js";
import { branchName, label, t } from "../i18n.js";
import { thumbnail } from "../photos.js";
import { submissionsTable } from "./review.js";
import { filterBar, PAGE_SIZE, pager, select, statusBadge, table } from "../widgets.js";

const ACTION_STATUSES = ["open", "in_progress", "reopened", "resolved", "verified", "rechecked_ok"];
const SUBMISSION_STATUSES = ["submitted", "approved", "released", "rejected"];

export async function resultsPage(root, route) {
  const offset = Number(route.params.offset || 0);
  const isManager = route.user.role === "branch_manager";
  const status = isManager ? "" : route.params.status || "";
  const rows = await get("/submissions", { status: status || undefined, limit: PAGE_SIZE, offset });
  append(root, h("h1", {}, t("results.title")));
  if (!isManager) {
    append(root, filterBar([[t("filter.status"), select("status",
      [["", t("filter.all")], ...SUBMISSION_STATUSES.map((s) => [s, t(`status.${s}`)])], status)]],
    (values) => navigate("results", null, { ...values, offset: 0 })));
  }
  append(root, submissionsTable(rows),
    pager({ offset, count: rows.length, go: (o) => navigate("results", null, { status, offset: o }) }));
}

export async function actionsPage(root, route) {
  const offset = Number(route.params.offset || 0);
  const status = route.params.status || "";
  const rows = await get("/actions", { status: status || undefined, limit: PAGE_SIZE, offset });
  const tabs = h("nav", { class: "tabs" }, ["", ...ACTION_STATUSES].map((s) => h("a", {
    href: `#/actions${s ? `?status=${s}` : ""}`, class: s === status ? "active" : "", "data-status": s || "all",
  }, s ? t(`status.${s}`) : t("filter.all"))));
  append(root, h("h1", {}, t("actions.title")), tabs);
  if (!rows.length && !offset) {
    append(root, h("p", { class: "empty" }, t("actions.none")));
    return;
  }
  append(root, table([
    { title: t("col.item"), cell: (a) => h("a", { href: `#/action/${a.id}`, class: "open" },
      label({ zh: a.title_zh, en: a.title_en })) },
    { title: t("col.branch"), cell: (a) => branchName(a.branch) },
    { title: t("col.visited"), cell: (a) => a.visited_on },
    { title: t("col.due"), cell: (a) => h("span", { class: a.overdue ? "overdue" : "" }, a.due_on) },
    { title: t("col.priority"), cell: (a) => t(`priority.${a.priority}`) },
    { title: t("col.status"), cell: (a) => statusBadge(a.status) },
  ], rows, { rowAttrs: (a) => ({ "data-action": a.id, class: a.overdue ? "overdue" : "" }) }),
  pager({ offset, count: rows.length, go: (o) => navigate("actions", null, { status, offset: o }) }));
}

function historyList(events) {
  return h("ol", { class: "history", id: "history" }, events.map((e) => h("li", { "data-kind": e.kind },
    h("span", { class: "when" }, e.created_at.slice(0, 10)), " ",
    h("strong", {}, e.actor ? e.actor.display_name : t("action.system")), " ",
    e.to_status ? statusBadge(e.to_status) : h("span", { class: "kind" }, e.kind === "comment" ? t("action.comment") : e.kind),
    e.note ? h("span", { class: "note" }, " ", e.note) : null,
    e.photo_id ? thumbnail(e.photo_id) : null)));
}

export async function actionPage(root, route) {
  const detail = await get(`/actions/${route.id}`);
  const a = detail.action;
  const role = route.user.role;
  const message = h("p", { class: "message", role: "status", id: "action-message" });
  const run = async (work) => {
    message.textContent = "";
    try {
      await work();
      navigate("action", a.id, { t: Date.now() });
    } catch (error) {
      message.textContent = error.message;
    }
  };
  const moves = new Set(a.allowed_moves);
  const controls = h("section", { class: "controls" });
  if (moves.has("in_progress") && role === "branch_manager") {
    controls.append(h("button", { type: "button", id: "start", onclick: () => run(() => post(`/actions/${a.id}/start`)) },
      t("action.start")));
  }
  if (moves.has("resolved") && role === "branch_manager") {
    const note = h("textarea", { id: "resolve-note", rows: 2, placeholder: t("action.note") });
    const file = h("input", { type: "file", id: "evidence", accept: "image/jpeg,image/png,image/webp,image/heic" });
    controls.append(h("form", { class: "resolve", id: "resolve-form", onsubmit: (event) => {
      event.preventDefault();
      run(async () => {
        const photoIds = [];
        if (file.files.length) {
          message.textContent = t("action.uploading");
          photoIds.push(await uploadEvidence(a.id, file.files[0]));
        }
        await post(`/actions/${a.id}/resolve`, { note: note.value, photo_ids: photoIds });
      });
    } }, h("label", {}, t("action.note"), note),
    h("label", {}, `${t("action.evidence")}${a.evidence_required ? ` (${t("action.evidence_required")})` : ""}`, file),
    h("button", { type: "submit", id: "resolve" }, t("action.resolve"))));
  }
  if (role !== "branch_manager") {
    if (moves.has("verified")) {
      controls.append(h("button", { type: "button", id: "verify",
        onclick: () => run(() => post(`/actions/${a.id}/verify`, { note: "" })) }, t("action.verify")));
    }
    if (moves.has("reopened")) {
      const note = h("input", { type: "text", id: "reopen-note", placeholder: t("action.note") });
      controls.append(note, h("button", { type: "button", id: "reopen",
        onclick: () => run(() => post(`/actions/${a.id}/reopen`, { note: note.value })) }, t("action.reopen")));
    }
  }
  const comment = h("textarea", { id: "comment-text", rows: 2, placeholder: t("action.comment") });
  const commentForm = h("form", { class: "comment-form", id: "comment-form", onsubmit: (event) => {
    event.preventDefault();
    run(() => post(`/actions/${a.id}/comments`, { note: comment.value }));
  } }, comment, h("button", { type: "submit", id: "add-comment" }, t("action.comment_add")));

  append(root, 
    h("p", {}, h("a", { href: "#/actions" }, `‹ ${t("nav.actions")}`)),
    h("h1", {}, label({ zh: a.title_zh, en: a.title_en })),
    h("p", {}, statusBadge(a.status), " ", branchName(a.branch), " · ",
      h("a", { href: `#/submission/${a.submission_id}` }, t("action.from_visit", { date: a.visited_on }))),
    h("dl", { class: "facts" },
      h("dt", {}, t("col.due")), h("dd", { class: a.overdue ? "overdue" : "" }, a.due_on),
      h("dt", {}, t("col.priority")), h("dd", {}, t(`priority.${a.priority}`)),
      a.evidence_required ? [h("dt", {}, t("action.evidence")), h("dd", {}, t("action.evidence_required"))] : null),
    controls, message,
    detail.evidence_photo_ids.length ? h("section", { class: "evidence", id: "evidence-photos" },
      h("h2", {}, t("action.evidence")), detail.evidence_photo_ids.map((p) => thumbnail(p))) : null,
    h("h2", {}, t("action.history")), historyList(detail.events), commentForm);
}
