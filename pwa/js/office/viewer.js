// The full-size viewer: one photo at a time, with its caption, job and time; arrows to move.

import { currentFileToken, fileUrl, parseDate } from "../api.js";
import { h, replace } from "../dom.js";
import { formatDateTime, formatNumber, t } from "../i18n.js";

export function openViewer(photos, start, app) {
  let index = Math.max(0, start);
  const image = h("img", { class: "full", alt: "" });
  const caption = h("p", { class: "caption" });
  const meta = h("p", { class: "muted" });
  const counter = h("span", { class: "muted", "aria-live": "polite" });
  const dialog = h("dialog", { class: "viewer", "aria-label": t("viewer.label") });

  const show = async () => {
    const photo = photos[index];
    if (!photo) return;
    const token = await currentFileToken().catch(() => "");
    image.src = fileUrl(photo, "file", token);
    image.alt = photo.caption || t("photo.alt");
    caption.textContent = photo.caption || "";
    const job = app.jobs.find((j) => j.id === photo.job);
    const size = photo.width && photo.height ? `${formatNumber(photo.width)} × ${formatNumber(photo.height)}` : "";
    meta.textContent = [job?.title, formatDateTime(parseDate(photo.created)), size].filter(Boolean).join(" · ");
    counter.textContent = t("viewer.position", { index: index + 1, count: photos.length });
  };
  const move = (step) => {
    index = Math.min(photos.length - 1, Math.max(0, index + step));
    show();
  };
  replace(
    dialog,
    h("div", { class: "viewer-bar" }, counter, h("button", { type: "button", text: t("viewer.previous"), onclick: () => move(-1) }), h("button", { type: "button", text: t("viewer.next"), onclick: () => move(1) }), h("button", { type: "button", class: "primary", text: t("dialog.close"), onclick: () => dialog.close() })),
    h("figure", {}, image, h("figcaption", {}, caption, meta)),
  );
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "ArrowLeft") move(-1);
    else if (event.key === "ArrowRight") move(1);
  });
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  show();
}
