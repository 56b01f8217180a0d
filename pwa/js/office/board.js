// The job board: one column per status, cards that move when a job changes anywhere.

import { parseDate } from "../api.js";
import { h, replace } from "../dom.js";
import { formatDate, t } from "../i18n.js";
import { STATUSES } from "../job-status.js";
import { openJobDialog } from "./job-dialog.js";

export function userName(app, id) {
  const user = app.users.find((u) => u.id === id);
  return user ? user.name || user.email || id : "";
}

function card(app, job) {
  const due = parseDate(job.due);
  const assignee = userName(app, job.assignee);
  return h(
    "li",
    {},
    h(
      "a",
      { class: "job-card", href: `#/jobs/${job.id}`, "data-job": job.id },
      h("span", { class: "job-title", text: job.title }),
      job.customer && h("span", { class: "muted", text: job.customer }),
      h(
        "span",
        { class: "job-meta" },
        assignee && h("span", { text: t("job.assignedTo", { name: assignee }) }),
        due && h("span", { text: t("job.dueOn", { date: formatDate(due) }) }),
      ),
    ),
  );
}

export function boardView(main, app) {
  const columns = h("div", { class: "board" });
  const draw = () => {
    replace(
      columns,
      STATUSES.map((status) => {
        const jobs = app.jobs.filter((j) => j.status === status);
        const heading = `col-${status}`;
        return h(
          "section",
          { class: `column status-${status}`, "aria-labelledby": heading, "data-column": status },
          h("h2", { id: heading }, t(`status.${status}`), " ", h("span", { class: "count", text: `(${jobs.length})` })),
          h("ul", { class: "cards" }, jobs.map((job) => card(app, job))),
        );
      }),
    );
  };
  replace(
    main,
    h(
      "div",
      { class: "toolbar" },
      h("h1", { text: t("office.tab.board") }),
      h("button", { type: "button", class: "primary", "data-action": "new-job", text: t("job.new"), onclick: () => openJobDialog(app, null) }),
    ),
    columns,
  );
  draw();
  return {
    update(kind) {
      if (kind === "jobs") draw();
    },
  };
}
