// What both screens share: start-up (config, language, login), the top bar (connection state,
// language switch, logout) and the login form.

import { errorText, hubBase, loadConfig, me, pb } from "./api.js";
import { announce, h, replace } from "./dom.js";
import { LANGUAGES, language, pickLanguage, t, useLanguage } from "./i18n.js";
import { Live, PRESENCE_TOPIC } from "./live.js";

let configured = null;

/** The language (the saved choice, else the user's record, else the browser's); the config
 * loads meanwhile and is awaited only by what needs the hub. */
export async function start() {
  configured = loadConfig();
  const saved = localStorage.getItem("fieldsync.lang");
  const fromUser = LANGUAGES.includes(me()?.lang) ? me().lang : null;
  await useLanguage(pickLanguage(saved || fromUser));
}

/** Switch language (saved here and, when possible, on the user's record), then `rerender()`. */
export async function switchLanguage(next, rerender) {
  await useLanguage(next, { save: true });
  rerender();
  const user = me();
  if (user) pb.collection("users").update(user.id, { lang: next }).catch(() => {}); // field may not exist yet
}

/** A hub connection for the user's team (and presence), once the config is known. */
export async function connectLive() {
  await (configured ?? loadConfig());
  const user = me();
  return new Live({
    hub: hubBase(),
    topics: [`/teams/${user.team}/{+rest}`, PRESENCE_TOPIC],
    pbToken: () => pb.authStore.token,
    refreshAuth: () => pb.collection("users").authRefresh(),
  });
}

export function languageSelect(rerender) {
  const id = "lang-select";
  const select = h(
    "select",
    { id, onchange: (e) => switchLanguage(e.target.value, rerender) },
    LANGUAGES.map((code) => h("option", { value: code, selected: code === language(), text: t(`lang.${code}`) })),
  );
  return h("div", { class: "lang" }, h("label", { for: id, class: "visually-hidden", text: t("lang.label") }), select);
}

/** The connection state as a small status line. */
export function connectionBadge(state, retryAt = 0) {
  const seconds = Math.max(1, Math.round((retryAt - Date.now()) / 1000));
  const text = state === "waiting" ? t("live.waiting", { seconds }) : t(`live.${state}`);
  return h("span", { class: `conn conn-${state}`, role: "status", "data-state": state }, h("span", { class: "dot", "aria-hidden": "true" }), text);
}

export function logoutButton() {
  return h("button", {
    type: "button",
    class: "link",
    text: t("auth.logout"),
    onclick: () => {
      pb.authStore.clear();
      location.reload();
    },
  });
}

/** The login form; `onDone()` after a successful login. */
export function loginView(main, { title, onDone, rerender }) {
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const email = h("input", { id: "login-email", type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { id: "login-password", type: "password", name: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", class: "primary", text: t("auth.submit") });
  const form = h(
    "form",
    {
      class: "card login",
      onsubmit: async (event) => {
        event.preventDefault();
        submit.disabled = true;
        error.hidden = true;
        try {
          await pb.collection("users").authWithPassword(email.value.trim(), password.value);
          announce(t("auth.welcome", { name: me()?.name || me()?.email || "" }));
          const fromUser = me()?.lang;
          if (LANGUAGES.includes(fromUser) && !localStorage.getItem("fieldsync.lang")) await useLanguage(fromUser);
          onDone();
        } catch (err) {
          error.textContent = err?.status === 400 ? t("auth.failed") : t("error.generic", { reason: errorText(err) });
          error.hidden = false;
          submit.disabled = false;
          password.focus();
        }
      },
    },
    h("h1", { text: title }),
    h("div", { class: "field" }, h("label", { for: "login-email", text: t("auth.email") }), email),
    h("div", { class: "field" }, h("label", { for: "login-password", text: t("auth.password") }), password),
    error,
    submit,
    languageSelect(rerender),
  );
  replace(main, form);
  email.focus();
}

/** Register the service worker (the app shell for offline starts, push notifications) once
 * the page has loaded, so its precache never competes with the first render. */
export function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  if (document.readyState !== "complete") {
    window.addEventListener("load", () => registerWorker(), { once: true });
    return;
  }
  // The pages require Trusted Types for script URLs (see the CSP); this policy allows one.
  const policy = window.trustedTypes?.createPolicy("fieldsync", {
    createScriptURL: (url) => {
      if (url !== "/sw.js") throw new TypeError(`script URL not allowed: ${url}`);
      return url;
    },
  });
  navigator.serviceWorker.register(policy ? policy.createScriptURL("/sw.js") : "/sw.js", { scope: "/" }).catch(() => {});
}
