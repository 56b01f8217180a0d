// The phone app (field worker): my jobs, a job with status buttons and photos, the upload queue.

import { isOffice, me, mergeRecord, pb } from "./api.js";
import { h, replace } from "./dom.js";
import { t } from "./i18n.js";
import { recover } from "./queue.js";
import { pushSupported } from "./push.js";
import { pushButton } from "./push-button.js";
import { Uploader } from "./uploader.js";
import { connectionBadge, languageSelect, loginView, logoutButton, openScreen } from "./shell.js";
import { teamFeed } from "./team-feed.js";
import { jobsView } from "./phone/jobs.js";
import { jobView } from "./phone/job.js";
import { queueView } from "./phone/queue-view.js";

const bar = document.getElementById("bar");
const main = document.getElementById("main");

const app = {
  jobs: [],
  others: new Map(), // jobs opened that are not mine (from a link)
  uploader: new Uploader(),
  view: null, // the current view's {update(kind, detail)} hooks
  render: () => render(),
  saveJobs,
};

const feed = teamFeed({
  followPresence: false,
  onState: renderBar,
  onJob,
  onPhoto: (type, record) => app.view?.update?.("photo", { type, record }),
  onSync: () => {
    loadJobs(); // who is online need not wait for the jobs
  },
  onPresence: renderBar,
  onUnauthorized: render,
});

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
  return feed.presence.people().some((p) => p.online && p.user !== me().id && isOffice(p));
}

function renderBar() {
  const user = me();
  replace(
    bar,
    h("a", { class: "brand", href: "#/", text: "fieldsync" }),
    user && connectionBadge(feed.state),
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

function onJob(type, record) {
  const mine = type !== "job.deleted" && isMine(record);
  const index = app.jobs.findIndex((j) => j.id === record.id);
  if (app.others.has(record.id)) app.others.set(record.id, record);
  if (mine) mergeRecord(app.jobs, record);
  else if (index !== -1) app.jobs.splice(index, 1);
  saveJobs();
  app.view?.update?.("job", record);
}

function begin() {
  render();
  app.uploader.addEventListener("change", () => app.view?.update?.("queue"));
  app.uploader.addEventListener("progress", ({ detail }) => app.view?.update?.("progress", detail));
  recover().then(() => app.uploader.kick({ now: true }));
  loadJobs();
  feed.start();
}

/** A returning user sees the jobs kept from last time at once. */
function resume() {
  app.jobs = JSON.parse(localStorage.getItem(jobsKey()) || "[]");
  begin();
}

openScreen({ render, resume });
