// "Desktop notifications": Web Push opt-in, only when the user asks for it.

import { hubBase } from "./api.js";
import { announce, h } from "./dom.js";
import { t } from "./i18n.js";
import { enablePush } from "./push.js";

export function pushButton() {
  const granted = Notification.permission === "granted" && localStorage.getItem("fieldsync.push") === "on";
  const button = h("button", {
    type: "button",
    class: "link",
    "aria-pressed": String(granted),
    text: granted ? t("push.on") : t("push.enable"),
    onclick: async () => {
      button.disabled = true;
      try {
        await enablePush(hubBase());
        localStorage.setItem("fieldsync.push", "on");
        button.textContent = t("push.on");
        button.setAttribute("aria-pressed", "true");
        announce(t("push.enabled"));
      } catch (err) {
        const key = `push.reason.${err.message}`;
        announce(t("push.failed", { reason: t(key) === key ? err.message : t(key) }));
        button.disabled = false;
      }
    },
  });
  return button;
}
