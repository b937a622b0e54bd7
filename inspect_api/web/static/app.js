// The dashboard shell: hash routes (#/page?param=value), navigation per role, language switch.
import { session, whenUnauthorized } from "./api.js";
import { clear, h } from "./dom.js";
import { currentLang, setLang, t } from "./i18n.js";
import { loginPage } from "./pages/login.js";
import { heatmapPage, overduePage, rankingsPage } from "./pages/lead.js";
import { reviewPage, submissionPage } from "./pages/review.js";
import { actionPage, actionsPage, resultsPage } from "./pages/manager.js";

const PAGES = {
  rankings: { render: rankingsPage, roles: ["admin", "regional_lead"] },
  heatmap: { render: heatmapPage, roles: ["admin", "regional_lead"] },
  overdue: { render: overduePage, roles: ["admin", "regional_lead"] },
  review: { render: reviewPage, roles: ["admin", "reviewer"] },
  results: { render: resultsPage, roles: ["branch_manager", "regional_lead", "admin"] },
  actions: { render: actionsPage, roles: ["branch_manager", "regional_lead", "admin"] },
  submission: { render: submissionPage, roles: ["admin", "regional_lead", "branch_manager", "reviewer"] },
  action: { render: actionPage, roles: ["admin", "regional_lead", "branch_manager"] },
};
const NAV = {
  admin: ["rankings", "heatmap", "overdue", "review", "actions"],
  regional_lead: ["rankings", "heatmap", "overdue", "actions"],
  branch_manager: ["results", "actions"],
  inspector: [],
  reviewer: ["review"], // QA (#17): the review queue of its scope
};
const HOME = { admin: "rankings", regional_lead: "rankings", branch_manager: "results", reviewer: "review" };

export function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, search = ""] = raw.split("?");
  const [page, ...rest] = path.split("/");
  return { page, id: rest.join("/") || null, params: Object.fromEntries(new URLSearchParams(search)) };
}

// Change the route (and so the page) from a page: `navigate("rankings", null, {on: "2024-05-01"})`.
export function navigate(page, id = null, params = {}) {
  const search = new URLSearchParams(
    Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ""),
  ).toString();
  const target = `#/${page}${id ? `/${id}` : ""}${search ? `?${search}` : ""}`;
  if (location.hash === target) render();
  else location.hash = target;
}

function renderHeader(user) {
  document.title = t("app.title");
  const nav = clear(document.getElementById("nav"));
  const current = parseHash().page;
  for (const page of user ? NAV[user.role] || [] : []) {
    nav.append(h("a", { href: `#/${page}`, class: page === current ? "active" : "", "data-page": page },
      t(`nav.${page}`)));
  }
  document.getElementById("who").textContent = user ? `${user.display_name} · ${t(`role.${user.role}`)}` : "";
  document.getElementById("lang").textContent = t("lang.switch");
  const logout = document.getElementById("logout");
  logout.hidden = !user;
  logout.textContent = t("logout");
}

let renderCount = 0;
export async function render() {
  const mine = ++renderCount;  // a slow page that finishes after the user moved on draws nothing
  const main = clear(document.getElementById("main"));
  const user = session.user;
  const route = parseHash();
  renderHeader(user);
  if (!user) {
    loginPage(main, () => navigate(HOME[session.user.role] || "results"));
    return;
  }
  const page = PAGES[route.page];
  if (!page || !page.roles.includes(user.role)) {
    if (!HOME[user.role]) {
      main.append(h("p", { class: "notice" }, t("inspector.unsupported")));
      return;
    }
    navigate(HOME[user.role]);
    return;
  }
  const stillCurrent = () => mine === renderCount;
  main.append(h("p", { class: "loading" }, t("loading")));
  try {
    const content = h("div", { class: "page", "data-page": route.page, "data-route": location.hash });
    await page.render(content, { ...route, user, stillCurrent });
    if (!stillCurrent()) return;
    clear(main).append(content);
  } catch (error) {
    if (!stillCurrent()) return;
    clear(main).append(h("p", { class: "error", role: "alert" }, t("error", { message: error.message })));
  }
}

document.getElementById("lang").addEventListener("click", () => {
  setLang(currentLang() === "zh" ? "en" : "zh");
  render();
});
document.getElementById("logout").addEventListener("click", () => {
  session.clear();
  location.hash = "#/";
  render();
});
document.getElementById("lightbox").addEventListener("click", (event) => {
  event.currentTarget.hidden = true;
  clear(event.currentTarget);
});
whenUnauthorized(() => render());
window.addEventListener("hashchange", render);
setLang(currentLang());
render();
