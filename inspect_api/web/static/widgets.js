// Shared pieces of the pages: filter bars, tables, pagers (limit/offset against the API).
import { clear, h } from "./dom.js";
import { t } from "./i18n.js";

export const PAGE_SIZE = 25;

export function table(columns, rows, { rowAttrs } = {}) {
  return h("table", {},
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.class }, c.title)))),
    h("tbody", {}, rows.map((row) => h("tr", rowAttrs ? rowAttrs(row) : {},
      columns.map((c) => h("td", { class: c.class }, c.cell(row)))))));
}

// `total` known (rankings) or not (lists: a full page means there may be a next one).
export function pager({ offset, count, total, limit = PAGE_SIZE, go }) {
  const first = count ? offset + 1 : 0;
  const last = offset + count;
  const hasNext = total === undefined ? count === limit : last < total;
  return h("div", { class: "pager" },
    h("button", { type: "button", class: "prev", disabled: offset <= 0 ? true : undefined,
      onclick: () => go(Math.max(0, offset - limit)) }, t("page.prev")),
    h("span", { class: "range" }, total === undefined ? t("page.range_open", { first, last })
      : t("page.range", { first, last, total })),
    h("button", { type: "button", class: "next", disabled: hasNext ? undefined : true,
      onclick: () => go(offset + limit) }, t("page.next")));
}

export function select(name, options, value) {
  return h("select", { name, id: `f-${name}` },
    options.map(([key, text]) => h("option", { value: key, selected: key === value ? true : undefined }, text)));
}

// A bar of labelled inputs; `apply(values)` gets {name: value} when the user presses the button.
export function filterBar(fields, apply) {
  const form = h("form", { class: "filters" },
    fields.map(([text, input]) => h("label", {}, h("span", {}, text), input)),
    h("button", { type: "submit", id: "f-apply" }, t("filter.apply")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply(Object.fromEntries(new FormData(form)));
  });
  return form;
}

export function statusBadge(status) {
  return h("span", { class: `badge status-${status}` }, t(`status.${status}`));
}

export function replace(el, ...children) {
  clear(el);
  el.append(...children);
  return el;
}

export function today() {
  const now = new Date();
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 10);
}
