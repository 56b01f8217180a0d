// The upload queue: one row per photo with its state, progress and the server's reason.

import { h, replace } from "../dom.js";
import { formatBytes, t } from "../i18n.js";
import * as queue from "../queue.js";

const previews = new Map(); // id -> object URL of the queued blob

function preview(item) {
  if (!item.blob) return h("span", { class: "preview done-mark", "aria-hidden": "true", text: "✓" });
  if (!previews.has(item.id)) previews.set(item.id, URL.createObjectURL(item.blob));
  return h("img", { class: "preview", src: previews.get(item.id), alt: "" });
}

function row(item, uploader) {
  const progress = h("progress", { max: 100, value: item.state === "done" ? 100 : 0, "aria-label": t("queue.progress", { name: item.name }) });
  return h(
    "li",
    { class: `upload state-${item.state}`, "data-upload": item.id, "data-state": item.state },
    preview(item),
    h(
      "div",
      { class: "upload-body" },
      h("span", { class: "upload-name", text: item.caption || item.name }),
      h("span", { class: "upload-state", text: `${t(`queue.state.${item.state}`)} · ${formatBytes(item.size)}` }),
      item.state === "uploading" || item.state === "waiting" ? progress : null,
      item.error && item.state !== "done" && h("span", { class: item.state === "failed" ? "error" : "muted", text: item.state === "failed" ? t("queue.failedReason", { reason: item.error }) : t("queue.retrying", { reason: item.error }) }),
      item.state === "failed" &&
        h(
          "span",
          { class: "actions" },
          h("button", { type: "button", text: t("queue.retry"), onclick: () => uploader.retry(item.id) }),
          h("button", { type: "button", class: "link", text: t("queue.remove"), onclick: () => uploader.discard(item.id) }),
        ),
    ),
  );
}

/** A live list of the queue's entries (those of `job`, or all); returns {refresh, progress}. */
export function queueList(uploader, { job = null } = {}) {
  const list = h("ul", { class: "uploads", "aria-live": "polite" });
  const refresh = async () => {
    const items = (await queue.all()).filter((i) => !job || i.job === job);
    replace(list, items.map((item) => row(item, uploader)));
    for (const [id, url] of previews) {
      if (!items.some((i) => i.id === id && i.blob)) {
        URL.revokeObjectURL(url);
        previews.delete(id);
      }
    }
  };
  const progress = ({ id, loaded, total }) => {
    const bar = list.querySelector(`[data-upload="${CSS.escape(id)}"] progress`);
    if (bar && total) bar.value = Math.round((loaded / total) * 100);
  };
  refresh();
  return { element: list, refresh, progress };
}

export function queueView(main, app) {
  const { element, refresh, progress } = queueList(app.uploader);
  replace(main, h("p", {}, h("a", { href: "#/", text: t("nav.back") })), h("h1", { text: t("queue.title") }), element);
  return {
    update(kind, detail) {
      if (kind === "queue") refresh();
      else if (kind === "progress") progress(detail);
    },
  };
}
