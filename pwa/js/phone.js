// The phone app (field worker): my jobs, a job with status buttons and photos, the upload queue.

import { isOffice, me, mergeRecord, pb } from "./api.js";
import { h, replace } from "./dom.js";
import { t } from "./i18n.js";
import { Presence, fetchSubscriptions } from "./presence.js";
import { recover } from "./queue.js";
import { pushSupported } from "./push.js";
import { pushButton } from "./push-button.js";
import { Uploader } from "./uploader.js";
import { connectionBadge, connectLive, languageSelect, loginView, logoutButton, registerWorker, start } from "./shell.js";
import { jobsView } from "./phone/jobs.js";
import { jobView } from "./phone/job.js";
import { queueView } from "./phone/queue-view.js";

const bar = document.getElementById("bar");
const main = document.getElementById("main");

const app = {
  jobs: [],
  others: new Map(), // jobs opened that are not mine (from a link)
  uploader: new Uploader(),
  presence: new Presence(),
  live: null,
  liveState: { state: "idle", retryAt: 0 },
  view: null, // the current view's {update(kind, detail)} hooks
  render: () => render(),
  saveJobs,
};

function jobsKey() {
  return `fieldsync.jobs.${me()?.id}`;
}

function saveJobs() {
  localStorage.setItem(jobsKey(), JSON.stringify(app.jobs));
}

function isMine(job) {
  return job.assignee === me()?.id && job.status !== "cancelled";
}

async function loadJobs() {
  try {
    const jobs = await pb.collection("jobs").getFullList({
      filter: pb.filter("assignee = {:me} && status != 'cancelled'", { me: me().id }),
      sort: "due,-updated",
    });
    app.jobs = jobs;
    saveJobs();
  } catch {
    // offline: keep what we had
  }
  render();
}

function officeOnline() {
  return app.presence.people().some((p) => p.online && p.user !== me().id && (p.role === "office" || p.role === "admin"));
}

function renderBar() {
  const user = me();
  replace(
    bar,
    h("a", { class: "brand", href: "#/", text: "fieldsync" }),
    user && connectionBadge(app.liveState.state, app.liveState.retryAt),
    user && officeOnline() && h("span", { class: "office-on", "data-testid": "office-online", text: t("presence.officeOnline") }),
  );
}

/** Settings at the foot of "my jobs": language, notifications, log out. */
function settings() {
  return h("footer", { class: "settings" }, languageSelect(render), pushSupported() && pushButton(), logoutButton());
}

function render() {
  document.title = t("phone.title");
  renderBar();
  if (!me()) {
    loginView(main, { title: t("phone.title"), onDone: begin, rerender: render });
    return;
  }
  const route = location.hash.replace(/^#/, "") || "/";
  const jobMatch = /^\/jobs\/([a-z0-9]+)$/.exec(route);
  if (jobMatch) app.view = jobView(main, app, jobMatch[1]);
  else if (route === "/queue") app.view = queueView(main, app);
  else app.view = jobsView(main, app, { officeHint: isOffice(), footer: settings });
}

function onUpdate({ detail }) {
  const { type, data } = detail;
  if (data?.type === "Subscription") {
    if (app.presence.apply(data)) schedulePresence();
    return;
  }
  const record = data?.record;
  if (!record) return;
  if (type.startsWith("job.")) {
    const mine = type !== "job.deleted" && isMine(record);
    const index = app.jobs.findIndex((j) => j.id === record.id);
    if (app.others.has(record.id)) app.others.set(record.id, record);
    if (mine) mergeRecord(app.jobs, record);
    else if (index !== -1) app.jobs.splice(index, 1);
    saveJobs();
    app.view?.update?.("job", record);
  } else if (type.startsWith("photo.")) {
    app.view?.update?.("photo", { type, record });
  }
}

let presenceTimer = 0;
function schedulePresence() {
  renderBar();
  clearTimeout(presenceTimer);
  const next = app.presence.nextChange();
  if (next !== null) presenceTimer = setTimeout(schedulePresence, next);
}

async function begin() {
  render();
  app.uploader.addEventListener("change", () => app.view?.update?.("queue"));
  app.uploader.addEventListener("progress", ({ detail }) => app.view?.update?.("progress", detail));
  recover().then(() => app.uploader.kick({ now: true }));
  loadJobs();
  const live = await connectLive();
  app.live = live;
  live.addEventListener("state", ({ detail }) => {
    app.liveState = detail;
    renderBar();
  });
  live.addEventListener("update", onUpdate);
  live.addEventListener("sync", async () => {
    loadJobs();
    if (live.canSeePresence()) app.presence.sync(await fetchSubscriptions(live.hub));
    schedulePresence();
  });
  live.addEventListener("unauthorized", () => {
    pb.authStore.clear();
    render();
  });
  live.start();
}

async function boot() {
  await start();
  registerWorker();
  window.addEventListener("hashchange", render);
  if (me()) {
    app.jobs = JSON.parse(localStorage.getItem(jobsKey()) || "[]");
    begin();
  } else {
    render();
  }
}

boot();
