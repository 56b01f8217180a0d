// Job status: the statuses a job goes through, a badge, and what a field worker may do next.

import { h } from "./dom.js";
import { t } from "./i18n.js";

export const STATUSES = ["new", "assigned", "in_progress", "done", "cancelled"];

export function statusBadge(status) {
  return h("span", { class: `badge status-${status}`, "data-status": status, text: t(`status.${status}`) });
}

/** The status buttons a field worker gets: start an assigned job, finish a started one. */
export function nextSteps(status) {
  if (status === "new" || status === "assigned") return ["in_progress", "done"];
  if (status === "in_progress") return ["done"];
  return [];
}
