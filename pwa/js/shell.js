// What both screens share: start-up (config, language, service worker, routing), the top bar
// (connection state, language switch, logout) and the login form.

import { errorText, loadConfig, me, pb } from "./api.js";
import { announce, field, h, replace } from "./dom.js";
import { LANGUAGES, language, pickLanguage, savedLanguage, t, useLanguage } from "./i18n.js";

/**
 * Open a screen: the language (the saved choice, else the user's record, else the browser's;
 * the config loads meanwhile and is awaited only by what needs the hub), the service worker,
 * `render()` on every change of the hash; then `resume()` when someone is logged in, else
 * `render()` (the login form).
 */
export async function openScreen({ render, resume }) {
  loadConfig();
  const fromUser = LANGUAGES.includes(me()?.lang) ? me().lang : null;
  await useLanguage(pickLanguage(savedLanguage() || fromUser));
  registerWorker();
  window.addEventListener("hashchange", render);
  if (me()) resume();
  else render();
}

/** Switch language (saved here and, when possible, on the user's record), then `rerender()`. */
export async function switchLanguage(next, rerender) {
  await useLanguage(next, { save: true });
  rerender();
  const user = me();
  if (user) pb.collection("users").update(user.id, { lang: next }).catch(() => {}); // field may not exist yet
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

/** The connection state ({state, retryAt} of the live feed) as a small status line. */
export function connectionBadge({ state, retryAt }) {
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
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
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
          if (LANGUAGES.includes(fromUser) && !savedLanguage()) await useLanguage(fromUser);
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
    field("login-email", t("auth.email"), email),
    field("login-password", t("auth.password"), password),
    error,
    submit,
    languageSelect(rerender),
  );
  replace(main, form);
  email.focus();
}

/** Register the service worker (the app shell for offline starts, push notifications) once
 * the page has loaded, so its precache never competes with the first render. */
function registerWorker() {
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
