// A job's details in a dialog: edit (or create) and assign it; its photos, live.

import { currentFileToken, errorText, fileUrl, me, mergeRecord, parseDate, pb } from "../api.js";
import { announce, field, h, replace } from "../dom.js";
import { formatDateTime, t } from "../i18n.js";
import { STATUSES } from "../job-status.js";
import { openViewer } from "./viewer.js";

/** yyyy-mm-dd for a date input from PocketBase's date. */
function dateInput(value) {
  const date = parseDate(value);
  return date ? date.toISOString().slice(0, 10) : "";
}

export function openJobDialog(app, jobId) {
  app.dialog?.close();
  const job = jobId ? app.jobs.find((j) => j.id === jobId) : null;
  if (jobId && !job) {
    pb.collection("jobs").getOne(jobId).then((found) => {
      mergeRecord(app.jobs, found);
      openJobDialog(app, jobId);
    }, () => {});
    return;
  }
  const title = h("input", { type: "text", required: true, maxlength: 200, value: job?.title ?? "" });
  const customer = h("input", { type: "text", maxlength: 200, value: job?.customer ?? "" });
  const description = h("textarea", { rows: 4, maxlength: 10000 });
  description.value = job?.description ?? "";
  const status = h("select", {}, STATUSES.map((s) => h("option", { value: s, selected: (job?.status ?? "new") === s, text: t(`status.${s}`) })));
  const assignee = h(
    "select",
    {},
    h("option", { value: "", text: t("job.nobody") }),
    app.users.map((u) => h("option", { value: u.id, selected: job?.assignee === u.id, text: u.name || u.email })),
  );
  const due = h("input", { type: "date", value: dateInput(job?.due) });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const photos = h("ul", { class: "thumbs" });
  const heading = h("h2", { id: "job-dialog-title", text: job ? job.title : t("job.new") });

  const dialog = h("dialog", { class: "job-dialog", "aria-labelledby": "job-dialog-title" });
  const close = () => dialog.close();
  const form = h(
    "form",
    {
      method: "dialog",
      onsubmit: async (event) => {
        event.preventDefault();
        error.hidden = true;
        const data = {
          title: title.value.trim(),
          customer: customer.value.trim(),
          description: description.value,
          status: status.value,
          assignee: assignee.value,
          due: due.value ? `${due.value} 12:00:00.000Z` : "",
        };
        if (data.assignee && data.status === "new") data.status = "assigned";
        try {
          const saved = job ? await pb.collection("jobs").update(job.id, data) : await pb.collection("jobs").create({ ...data, team: me().team });
          mergeRecord(app.jobs, saved);
          app.view?.update?.("jobs");
          announce(t("job.saved", { title: saved.title }));
          close();
        } catch (err) {
          error.textContent = t("error.generic", { reason: errorText(err) });
          error.hidden = false;
        }
      },
    },
    heading,
    field("job-title", t("job.title"), title),
    field("job-customer", t("job.customer"), customer),
    field("job-description", t("job.description"), description),
    h("div", { class: "row" }, field("job-status", t("job.status"), status), field("job-assignee", t("job.assignee"), assignee), field("job-due", t("job.due"), due)),
    error,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: t("job.save") }), h("button", { type: "button", text: t("dialog.close"), onclick: close })),
    job && h("h3", { text: t("photo.heading") }),
    job && photos,
  );
  dialog.append(form);
  document.body.append(dialog);

  let items = [];
  const drawPhotos = async () => {
    const token = await currentFileToken().catch(() => "");
    replace(
      photos,
      items.map((photo, index) =>
        h(
          "li",
          { "data-photo": photo.id },
          h(
            "button",
            { type: "button", class: "thumb-button", onclick: () => openViewer(items, index, app) },
            photo.thumb ? h("img", { src: fileUrl(photo, "thumb", token), alt: photo.caption || t("photo.alt"), width: 96, height: 96 }) : h("span", { class: "thumb-wait", text: t(`photo.status.${photo.status}`) }),
          ),
          h("span", { class: "caption", text: photo.caption || formatDateTime(parseDate(photo.created)) }),
        ),
      ),
    );
    if (!items.length) replace(photos, h("li", { class: "muted", text: t("photo.none") }));
  };
  if (job) {
    pb.collection("photos")
      .getFullList({ filter: pb.filter("job = {:job}", { job: job.id }), sort: "-created", batch: 200 })
      .then((list) => {
        items = list;
        drawPhotos();
      }, () => {});
  }

  const handle = {
    close,
    update(kind, detail) {
      if (kind === "photo" && job && detail.record.job === job.id) {
        if (detail.type === "photo.deleted") items = items.filter((p) => p.id !== detail.record.id);
        else if (mergeRecord(items, detail.record)) items.sort((a, b) => (a.created < b.created ? 1 : -1));
        drawPhotos();
      } else if (kind === "job" && job && detail.id === job.id) {
        heading.textContent = detail.title;
      }
    },
  };
  app.dialog = handle;
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (app.dialog === handle) app.dialog = null;
    if (location.hash.startsWith("#/jobs/")) history.replaceState(null, "", "#/board");
  });
  dialog.showModal();
  title.focus();
}
