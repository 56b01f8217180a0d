// One job on the phone: details, status buttons, taking photos, its queue and its photos.

import { currentFileToken, errorText, fileUrl, me, mergeRecord, parseDate, pb } from "../api.js";
import { announce, field, h, replace } from "../dom.js";
import { formatDate, formatDateTime, t } from "../i18n.js";
import { nextSteps, statusBadge } from "../job-status.js";
import { queueList } from "./queue-view.js";

async function loadPhotos(jobId) {
  const [token, list] = await Promise.all([
    currentFileToken(),
    pb.collection("photos").getList(1, 60, { filter: pb.filter("job = {:job}", { job: jobId }), sort: "-created" }),
  ]);
  return list.items.map((photo) => ({ photo, src: fileUrl(photo, "thumb", token) }));
}

export function jobView(main, app, jobId) {
  const job = app.jobs.find((j) => j.id === jobId) ?? app.others.get(jobId);
  if (!job) {
    const note = h("p", { class: "empty", role: "status", text: t("job.loading") });
    replace(main, h("p", {}, h("a", { href: "#/", text: t("nav.back") })), note);
    pb.collection("jobs")
      .getOne(jobId)
      .then((found) => {
        app.others.set(found.id, found);
        app.render();
      })
      .catch(() => {
        note.textContent = t("job.missing");
      });
    return null;
  }
  const status = h("div", { class: "status-row" });
  const message = h("p", { class: "error", role: "alert", hidden: true });
  const photos = h("ul", { class: "thumbs" });
  const uploads = queueList(app.uploader, { job: jobId });

  const setStatus = async (next, button) => {
    button.disabled = true;
    message.hidden = true;
    try {
      const saved = await pb.collection("jobs").update(jobId, { status: next });
      if (app.jobs.some((j) => j.id === jobId)) mergeRecord(app.jobs, saved);
      else app.others.set(jobId, saved);
      app.saveJobs();
      announce(t("job.statusChanged", { status: t(`status.${next}`) }));
      drawStatus();
    } catch (err) {
      message.textContent = t("error.generic", { reason: errorText(err) });
      message.hidden = false;
      button.disabled = false;
    }
  };

  const drawStatus = () => {
    const current = app.jobs.find((j) => j.id === jobId) ?? app.others.get(jobId) ?? job;
    replace(
      status,
      statusBadge(current.status),
      nextSteps(current.status).map((next) =>
        h("button", { type: "button", class: next === "done" ? "primary" : "", "data-action": next, text: t(`job.action.${next}`), onclick: (e) => setStatus(next, e.currentTarget) }),
      ),
    );
  };

  let drawn = 0; // only the newest request's answer is shown (answers may cross)
  const drawPhotos = async () => {
    const ticket = ++drawn;
    try {
      const items = await loadPhotos(jobId);
      if (ticket !== drawn) return;
      replace(
        photos,
        items.map(({ photo, src }) =>
          h(
            "li",
            { "data-photo": photo.id },
            photo.thumb ? h("img", { src, alt: photo.caption || t("photo.alt"), loading: "lazy", width: 96, height: 96 }) : h("span", { class: "thumb-wait", text: t(`photo.status.${photo.status}`) }),
            photo.caption && h("span", { class: "caption", text: photo.caption }),
          ),
        ),
      );
    } catch {
      if (ticket === drawn) replace(photos, h("li", { class: "muted", text: t("photo.offline") }));
    }
  };

  const caption = h("input", { type: "text", maxlength: 1000, autocomplete: "off" });
  const onFiles = async (event) => {
    const files = [...event.target.files];
    event.target.value = "";
    if (!files.length) return;
    await app.uploader.add(files, { job: jobId, team: me().team, caption: caption.value.trim() });
    caption.value = "";
    announce(t("queue.added", { count: files.length }));
  };
  const camera = h("input", { id: "take-photo", class: "file-input", type: "file", accept: "image/*", capture: "environment", multiple: true, onchange: onFiles });
  const gallery = h("input", { id: "pick-photo", class: "file-input", type: "file", accept: "image/*", multiple: true, onchange: onFiles });
  const due = parseDate(job.due);

  replace(
    main,
    h("p", {}, h("a", { href: "#/", text: t("nav.back") })),
    h("h1", { text: job.title }),
    h(
      "dl",
      { class: "facts" },
      job.customer && [h("dt", { text: t("job.customer") }), h("dd", { text: job.customer })],
      due && [h("dt", { text: t("job.due") }), h("dd", { text: formatDate(due) })],
      h("dt", { text: t("job.updated") }),
      h("dd", { text: formatDateTime(parseDate(job.updated)) }),
    ),
    job.description && h("p", { class: "description", text: job.description }),
    status,
    message,
    h(
      "section",
      { class: "card", "aria-labelledby": "photos-heading" },
      h("h2", { id: "photos-heading", text: t("photo.heading") }),
      field("caption", t("photo.caption"), caption),
      h("div", { class: "capture" }, camera, h("label", { for: "take-photo", class: "button primary", text: t("photo.take") }), gallery, h("label", { for: "pick-photo", class: "button", text: t("photo.pick") })),
      uploads.element,
      photos,
    ),
  );
  drawStatus();
  drawPhotos();

  let pendingPhotos = 0;
  return {
    update(kind, detail) {
      if (kind === "job" && detail.id === jobId) drawStatus();
      else if (kind === "queue") uploads.refresh();
      else if (kind === "progress") uploads.progress(detail);
      else if (kind === "photo" && detail.record.job === jobId) {
        clearTimeout(pendingPhotos);
        pendingPhotos = setTimeout(drawPhotos, 200);
      }
    },
  };
}
