// "My jobs": the jobs assigned to me, open ones first.

import { parseDate } from "../api.js";
import { h, replace } from "../dom.js";
import { formatDate, t } from "../i18n.js";
import { statusBadge } from "../job-status.js";
import * as queue from "../queue.js";

const ORDER = { in_progress: 0, assigned: 1, new: 2, done: 3 };

function jobItem(job) {
  const due = parseDate(job.due);
  return h(
    "li",
    {},
    h(
      "a",
      { class: "job-link", href: `#/jobs/${job.id}`, "data-job": job.id },
      h("span", { class: "job-title", text: job.title }),
      h("span", { class: "job-meta" }, statusBadge(job.status), job.customer && h("span", { text: job.customer }), due && h("span", { text: t("job.dueOn", { date: formatDate(due) }) })),
    ),
  );
}

export function jobsView(main, app, { officeHint, footer }) {
  const pending = h("p", { class: "queue-summary", hidden: true });
  const draw = () => {
    const jobs = [...app.jobs].sort((a, b) => (ORDER[a.status] ?? 9) - (ORDER[b.status] ?? 9));
    const open = jobs.filter((j) => j.status !== "done");
    const done = jobs.filter((j) => j.status === "done");
    replace(
      main,
      h("h1", { text: t("phone.myJobs") }),
      pending,
      officeHint && h("p", { class: "hint" }, h("a", { href: "/office/", text: t("phone.openDashboard") })),
      open.length ? h("ul", { class: "job-list" }, open.map(jobItem)) : h("p", { class: "empty", text: t("phone.noJobs") }),
      done.length > 0 && h("h2", { text: t("phone.doneJobs") }),
      done.length > 0 && h("ul", { class: "job-list done" }, done.map(jobItem)),
      footer(),
    );
    summarize();
  };
  const summarize = async () => {
    const items = await queue.all();
    const waiting = items.filter((i) => i.state === "waiting" || i.state === "uploading").length;
    const failed = items.filter((i) => i.state === "failed").length;
    pending.hidden = !(waiting || failed);
    replace(pending, h("a", { href: "#/queue", text: failed ? t("queue.summaryFailed", { count: waiting, failed }) : t("queue.summary", { count: waiting }) }));
  };
  draw();
  return {
    update(kind) {
      if (kind === "job") draw();
      else if (kind === "queue") summarize();
    },
  };
}
