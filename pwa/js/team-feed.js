// The team's live feed, as both screens follow it: the hub connection (live.js) for the user's
// team and who is online, its state for the top bar, job and photo events, a refetch after
// every (re)connect, and presence (presence.js), shown again whenever a grace period ends.

import { hubBase, loadConfig, me, pb } from "./api.js";
import { Live, PRESENCE_TOPIC } from "./live.js";
import { Presence, fetchSubscriptions } from "./presence.js";

/** How often a screen that does not follow presence live asks who is online. */
export const PRESENCE_POLL_MS = 30_000;

/**
 * The logged-in user's team feed: {presence, state ({state, retryAt}), start()}.
 * `followPresence`: receive every coming and going live (the dashboard), or ask for the list
 * every PRESENCE_POLL_MS and after each reconnect (the phone: it only shows whether the office
 * is online, and a thousand phones each following everyone would cost the hub n² events).
 * Hooks:
 * onState() when the connection state changes; onJob(type, job), onPhoto(type, photo) for each
 * record event; onSync() after each (re)connect, to refetch over REST (awaited before the list
 * of who is online is); onPresence() when who is online may have changed; onUnauthorized()
 * once the login is found gone (it is cleared by then).
 */
export function teamFeed({
  followPresence = true,
  onState,
  onJob,
  onPhoto,
  onSync,
  onPresence,
  onUnauthorized,
}) {
  const presence = new Presence();
  const feed = { presence, state: { state: "idle", retryAt: 0 }, start };
  let presenceTimer = 0;

  /** Tell the screen now, and again when the next grace period ends. */
  function presenceChanged() {
    onPresence();
    clearTimeout(presenceTimer);
    const next = presence.nextChange();
    if (next !== null) presenceTimer = setTimeout(presenceChanged, next);
  }

  function receive({ detail: { type, data } }) {
    if (data?.type === "Subscription") {
      if (presence.apply(data)) presenceChanged();
      return;
    }
    const record = data?.record;
    if (!record) return;
    if (type.startsWith("job.")) onJob(type, record);
    else if (type.startsWith("photo.")) onPhoto(type, record);
  }

  /** Connect, once the config is known, and keep following. */
  async function start() {
    await loadConfig();
    const live = new Live({
      hub: hubBase(),
      topics: [`/teams/${me().team}/{+rest}`, ...(followPresence ? [PRESENCE_TOPIC] : [])],
      pbToken: () => pb.authStore.token,
      refreshAuth: () => pb.collection("users").authRefresh(),
    });
    live.addEventListener("state", ({ detail }) => {
      feed.state = detail;
      onState();
    });
    live.addEventListener("update", receive);
    const refreshPresence = async () => {
      const list = live.canSeePresence() ? await fetchSubscriptions(live.hub) : null;
      if (list) presence.sync(list);
      presenceChanged();
    };
    live.addEventListener("sync", async () => {
      await onSync();
      await refreshPresence();
    });
    if (!followPresence) {
      setInterval(() => feed.state.state === "live" && refreshPresence(), PRESENCE_POLL_MS);
    }
    live.addEventListener("unauthorized", () => {
      pb.authStore.clear();
      onUnauthorized();
    });
    live.start();
  }

  return feed;
}
