// The office dashboard: a live job board, a live photo gallery, job details, who is online.

import { isOffice, me, mergeRecord, pb } from "./api.js";
import { h, replace } from "./dom.js";
import { t } from "./i18n.js";
import { pushSupported } from "./push.js";
import { pushButton } from "./push-button.js";
import { connectionBadge, languageSelect, loginView, logoutButton, openScreen } from "./shell.js";
import { teamFeed } from "./team-feed.js";
import { boardView } from "./office/board.js";
import { openJobDialog } from "./office/job-dialog.js";
import { peopleList } from "./office/people.js";

const bar = document.getElementById("bar");
const main = document.getElementById("main");
const aside = document.getElementById("people");

const app = {
  jobs: [],
  users: [],
  gallery: null,
  view: null,
  render: () => render(),
};

const feed = teamFeed({
  onState: renderBar,
  onJob,
  onPhoto,
  onSync: () => Promise.all([loadJobs().catch(() => {}), app.gallery?.catchUp()]),
  onPresence: renderPeople,
  onUnauthorized: render,
});

function route() {
  const path = location.hash.replace(/^#/, "") || "/board";
  const job = /^\/jobs\/([a-z0-9]+)$/.exec(path);
  if (job) return { name: "board", job: job[1] };
  return { name: path === "/gallery" ? "gallery" : "board", job: null };
}

function renderBar() {
  const user = me();
  const current = route().name;
  const tab = (name, href) => h("a", { href, class: "tab", "aria-current": current === name ? "page" : null, text: t(`office.tab.${name}`) });
  replace(
    bar,
    h("span", { class: "brand", text: "fieldsync" }),
    user && h("nav", { "aria-label": t("office.nav") }, tab("board", "#/board"), tab("gallery", "#/gallery")),
    h("span", { class: "spacer" }),
    user && connectionBadge(feed.state),
    user && pushSupported() && pushButton(),
    languageSelect(render),
    user && logoutButton(),
  );
}

function renderPeople() {
  if (!me() || !isOffice()) {
    aside.hidden = true;
    return;
  }
  aside.hidden = false;
  replace(aside, peopleList(feed.presence.people(), me().id));
}

function render() {
  document.title = t("office.title");
  renderBar();
  if (!me()) {
    aside.hidden = true;
    loginView(main, { title: t("office.title"), onDone: begin, rerender: render });
    return;
  }
  if (!isOffice()) {
    aside.hidden = true;
    replace(main, h("h1", { text: t("office.title") }), h("p", { text: t("office.fieldOnly") }), h("p", {}, h("a", { href: "/", text: t("office.openPhone") })));
    return;
  }
  renderPeople();
  const { name, job } = route();
  if (name === "gallery") {
    showGallery();
  } else {
    app.view = boardView(main, app);
    if (job) openJobDialog(app, job);
  }
}

/** The gallery's code loads when it is first opened. */
async function showGallery() {
  if (!app.gallery) {
    const { Gallery } = await import("./office/gallery.js");
    app.gallery ??= new Gallery(app);
  }
  if (route().name !== "gallery") return;
  app.view = app.gallery;
  app.gallery.mount(main);
}

async function loadJobs() {
  const [jobs, users] = await Promise.all([
    pb.collection("jobs").getFullList({ sort: "-updated", batch: 500 }),
    pb.collection("users").getFullList({ sort: "name", fields: "id,name,email,role" }),
  ]);
  app.jobs = jobs;
  app.users = users;
  app.view?.update?.("jobs");
}

function onJob(type, record) {
  if (type === "job.deleted") app.jobs = app.jobs.filter((j) => j.id !== record.id);
  else mergeRecord(app.jobs, record);
  app.view?.update?.("jobs");
  app.dialog?.update?.("job", record);
}

function onPhoto(type, record) {
  app.gallery?.apply(type, record);
  app.dialog?.update?.("photo", { type, record });
}

function begin() {
  render();
  if (!isOffice()) return;
  loadJobs().catch(() => {});
  feed.start();
}

openScreen({ render, resume: begin });
