import { login } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";

export function loginPage(main, onLoggedIn) {
  const email = h("input", { type: "email", name: "email", id: "email", autocomplete: "username", required: true });
  const password = h("input", {
    type: "password", name: "password", id: "password", autocomplete: "current-password", required: true,
  });
  const message = h("p", { class: "error", role: "alert", id: "login-error" });
  const form = h("form", { class: "login", id: "login-form" },
    h("h1", {}, t("login.title")),
    h("label", { for: "email" }, t("login.email")), email,
    h("label", { for: "password" }, t("login.password")), password,
    h("button", { type: "submit", id: "login-submit" }, t("login.submit")),
    message,
    h("p", { class: "hint" }, t("login.hint")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    try {
      await login(email.value.trim(), password.value);
      onLoggedIn();
    } catch (error) {
      message.textContent = error.message;
    }
  });
  main.append(form);
  email.focus();
}
