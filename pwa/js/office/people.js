// Who is online now, and who was in the last hour.

import { h } from "../dom.js";
import { formatRelative, formatTime, t } from "../i18n.js";

export function peopleList(people, myId) {
  return [
    h("h2", { id: "people-heading", text: t("presence.heading") }),
    people.length
      ? h(
          "ul",
          { class: "people", "aria-labelledby": "people-heading" },
          people.map((person) =>
            h(
              "li",
              { class: person.online ? "online" : "offline", "data-user": person.user, "data-online": String(person.online) },
              h("span", { class: "dot", "aria-hidden": "true" }),
              h("span", { class: "person-name", text: person.user === myId ? t("presence.me", { name: person.name }) : person.name || t(`role.${person.role}`) }),
              h("span", { class: "muted", text: t(`role.${person.role}`) }),
              h("span", {
                class: "muted",
                text: person.online ? t("presence.since", { time: formatTime(new Date(person.since)) }) : t("presence.lastSeen", { ago: formatRelative(new Date(person.lastSeen)) }),
              }),
            ),
          ),
        )
      : h("p", { class: "muted", text: t("presence.nobody") }),
  ];
}
