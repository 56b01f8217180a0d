// The team's live feed, as both screens follow it: the hub connection (live.js) for the user's
// team and who is online, its state for the top bar, job and photo events, a refetch after
// every (re)connect, and presence (presence.js), shown again whenever a grace period ends.

import { hubBase, loadConfig, me, pb } from "./api.js";
import { Live, PRESENCE_TOPIC } from "./live.js";
import { Presence, fetchSubscriptions } from "./presence.js";

/**
 * The logged-in user's team feed: {presence, state ({state, retryAt}), start()}. Hooks:
 * onState() when the connection state changes; onJob(type, job), onPhoto(type, photo) for each
 * record event; onSync() after each (re)connect, to refetch over REST (awaited before the list
 * of who is online is); onPresence() when who is online may have changed; onUnauthorized()
 * once the login is found gone (it is cleared by then).
 */
export function teamFeed({ onState, onJob, onPhoto, onSync, onPresence, onUnauthorized }) {
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
      topics: [`/teams/${me().team}/{+rest}`, PRESENCE_TOPIC],
      pbToken: () => pb.authStore.token,
      refreshAuth: () => pb.collection("users").authRefresh(),
    });
    live.addEventListener("state", ({ detail }) => {
      feed.state = detail;
      onState();
    });
    live.addEventListener("update", receive);
    live.addEventListener("sync", async () => {
      await onSync();
      if (live.canSeePresence()) presence.sync(await fetchSubscriptions(live.hub));
      presenceChanged();
    });
    live.addEventListener("unauthorized", () => {
      pb.authStore.clear();
      onUnauthorized();
    });
    live.start();
  }

  return feed;
}
