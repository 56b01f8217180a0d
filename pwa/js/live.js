// Live updates from the hub (Mercure protocol): exchange the PocketBase token for a hub token
// (cookie), open an EventSource, and keep it open. A browser EventSource gives up on a non-200
// answer (the hub says 503 until the sidecar has logged in), so every error closes it and we
// reconnect ourselves with backoff, sending the last event id so the hub replays what we
// missed. The hub token is renewed before it expires.
//
// Events: "update" (detail {type, id, data}), "state" (detail {state, retryAt}), "sync" (the
// stream is open: refetch over REST to be sure nothing was missed), "unauthorized".

import { backoffDelay } from "./backoff.js";
import { decodeBase64url } from "./base64url.js";

export const RECORD_TYPES = [
  "job.created",
  "job.updated",
  "job.deleted",
  "photo.created",
  "photo.ready",
  "photo.failed",
  "photo.updated",
  "photo.deleted",
];
export const PRESENCE_TOPIC = "/.well-known/mercure/subscriptions{/topic}{/subscriber}";
const RENEW_MARGIN_S = 60;

/** Milliseconds until a hub token expiring at `expires` (unix s) should be renewed: a minute
 * before, or a fifth of its lifetime before when it is short. */
export function renewDelay(expires, now = Date.now()) {
  const lifetime = expires - now / 1000;
  const margin = Math.min(RENEW_MARGIN_S, lifetime / 5);
  return Math.max(1, lifetime - margin) * 1000;
}

/** The `mercure.subscribe` selectors of a hub JWT (read only, the hub checks it). */
function tokenSelectors(token) {
  try {
    const claims = JSON.parse(decodeBase64url(String(token).split(".")[1]));
    return Array.isArray(claims?.mercure?.subscribe) ? claims.mercure.subscribe : [];
  } catch {
    return [];
  }
}

export class Live extends EventTarget {
  /**
   * hub: the hub's base URL; topics: what to subscribe to; pbToken(): the PocketBase token;
   * refreshAuth(): renew it (throws when the login is gone).
   */
  constructor({ hub, topics, pbToken, refreshAuth }) {
    super();
    this.hub = hub;
    this.topics = topics;
    this.pbToken = pbToken;
    this.refreshAuth = refreshAuth;
    this.state = "idle";
    this.selectors = [];
    this.lastEventId = "";
    this.expires = 0;
    this.attempt = 0;
    this.source = null;
    this.timers = { retry: 0, renew: 0 };
    this.stopped = false;
    this.onOnline = () => this.reconnectNow();
    this.onOffline = () => {
      clearTimeout(this.timers.retry);
      this.close();
      this.setState("offline");
    };
    this.onMessage = (event) => this.receive(event);
  }

  start() {
    this.stopped = false;
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    clearTimeout(this.timers.retry);
    clearTimeout(this.timers.renew);
    this.close();
    this.setState("idle");
  }

  setState(state, retryAt = 0) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, retryAt } }));
  }

  close() {
    if (this.source) {
      this.source.close();
      this.source = null;
    }
  }

  reconnectNow() {
    if (this.stopped) return;
    clearTimeout(this.timers.retry);
    this.attempt = 0;
    this.close();
    this.connect();
  }

  /** POST /.well-known/mercure/token: a hub token as JSON and as the cookie. */
  async exchange() {
    let response = await this.requestToken();
    if (response.status === 401) {
      await this.refreshAuth();
      response = await this.requestToken();
    }
    if (response.status === 401) {
      const error = new Error("unauthorized");
      error.status = 401;
      throw error;
    }
    if (!response.ok) throw new Error(`hub token: HTTP ${response.status}`);
    const body = await response.json();
    this.expires = Number(body.expires) || 0;
    this.selectors = tokenSelectors(body.token);
    clearTimeout(this.timers.renew);
    this.timers.renew = setTimeout(() => this.renew(), renewDelay(this.expires));
  }

  requestToken() {
    return fetch(`${this.hub}/.well-known/mercure/token`, {
      method: "POST",
      credentials: "include",
      headers: { Authorization: this.pbToken() },
    });
  }

  /** A new token before the old one lapses, then a new stream that resumes where we are. */
  async renew() {
    if (this.stopped) return;
    this.expires = 0;
    this.reconnectNow();
  }

  /** Whether our hub token may read who is online (the subscriptions API). */
  canSeePresence() {
    return this.selectors.some((s) => s === "*" || s.startsWith("/.well-known/mercure/subscriptions"));
  }

  async connect() {
    if (this.stopped) return;
    if (!navigator.onLine) {
      this.setState("offline");
      return;
    }
    this.setState("connecting");
    try {
      if (this.expires - Date.now() / 1000 < RENEW_MARGIN_S / 2) await this.exchange();
    } catch (error) {
      if (error.status === 401) {
        this.dispatchEvent(new CustomEvent("unauthorized"));
        this.stop();
        return;
      }
      this.retry();
      return;
    }
    if (this.stopped) return;
    const url = new URL(`${this.hub}/.well-known/mercure`);
    for (const topic of this.topics) url.searchParams.append("topic", topic);
    if (this.lastEventId) url.searchParams.set("lastEventID", this.lastEventId);
    const source = new EventSource(url, { withCredentials: true });
    this.source = source;
    source.onopen = () => {
      this.attempt = 0;
      this.setState("live");
      this.dispatchEvent(new CustomEvent("sync"));
    };
    source.onerror = () => {
      if (this.source !== source) return;
      this.close();
      this.retry();
    };
    source.onmessage = this.onMessage;
    for (const type of RECORD_TYPES) source.addEventListener(type, this.onMessage);
  }

  retry() {
    if (this.stopped) return;
    clearTimeout(this.timers.retry);
    if (!navigator.onLine) {
      this.setState("offline");
      return;
    }
    this.attempt += 1;
    const delay = backoffDelay(this.attempt);
    this.setState("waiting", Date.now() + delay);
    this.timers.retry = setTimeout(() => this.connect(), delay);
  }

  receive(event) {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    // Only record events carry an outbox seq to resume from (presence updates do not).
    if (Number.isInteger(data?.seq) && event.lastEventId) this.lastEventId = event.lastEventId;
    const type = event.type === "message" ? String(data?.type || "message") : event.type;
    const detail = { type, id: event.lastEventId, data };
    this.dispatchEvent(new CustomEvent("update", { detail }));
  }
}
