// Who is online, from the hub's subscription updates (Mercure's JSON-LD Subscription objects).
// People, not connections: three tabs are one person. A person whose last connection ended is
// shown offline only after a grace period, so a phone dropping for a few seconds never flickers.

export const GRACE_MS = 10_000;
const FORGET_MS = 60 * 60 * 1000;

function time(value) {
  const ms = Date.parse(value || "");
  return Number.isNaN(ms) ? null : ms;
}

export class Presence {
  constructor() {
    this.connections = new Map(); // subscriber -> {user, name, role, active, since, until}
  }

  /** Apply one Subscription object (initial list or live update); false if it is not one. */
  apply(subscription) {
    const payload = subscription?.payload;
    if (subscription?.type !== "Subscription" || !payload?.user) return false;
    const key = subscription.subscriber || subscription.id;
    const previous = this.connections.get(key);
    const active = subscription.active !== false;
    this.connections.set(key, {
      user: String(payload.user),
      name: String(payload.name || ""),
      role: String(payload.role || ""),
      active,
      since: time(subscription.since) ?? previous?.since ?? Date.now(),
      until: active ? null : (time(subscription.until) ?? Date.now()),
    });
    return true;
  }

  /**
   * Take the hub's whole list (after every (re)connect): connections it no longer knows of are
   * over, even if their end was never heard (the hub restarted), so no ghost stays online.
   */
  sync(subscriptions, now = Date.now()) {
    const known = new Set(subscriptions.map((s) => s?.subscriber || s?.id));
    for (const [key, c] of this.connections) {
      if (c.active && !known.has(key)) this.connections.set(key, { ...c, active: false, until: now });
    }
    for (const subscription of subscriptions) this.apply(subscription);
  }

  /** People sorted online first: {user, name, role, online, since, lastSeen}. */
  people(now = Date.now()) {
    const byUser = new Map();
    for (const [key, c] of this.connections) {
      if (!c.active && now - c.until > FORGET_MS) {
        this.connections.delete(key);
        continue;
      }
      const online = c.active || now - c.until < GRACE_MS;
      const person = byUser.get(c.user) ?? {
        user: c.user,
        name: c.name,
        role: c.role,
        online: false,
        since: null,
        lastSeen: null,
      };
      if (c.name) person.name = c.name;
      if (online) {
        person.online = true;
        person.since = person.since === null ? c.since : Math.min(person.since, c.since);
      } else {
        person.lastSeen = Math.max(person.lastSeen ?? 0, c.until);
      }
      byUser.set(c.user, person);
    }
    const list = [...byUser.values()];
    for (const person of list) if (person.online) person.lastSeen = null;
    return list.sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name));
  }

  /** Milliseconds until someone's grace period ends (re-render then), or null. */
  nextChange(now = Date.now()) {
    let next = null;
    for (const c of this.connections.values()) {
      if (!c.active && now - c.until < GRACE_MS) {
        const wait = GRACE_MS - (now - c.until) + 50;
        next = next === null ? wait : Math.min(next, wait);
      }
    }
    return next;
  }
}

/** The hub's list: GET {hub}/.well-known/mercure/subscriptions (hub cookie); null if it could
 * not be had (then what is known stays as it is). */
export async function fetchSubscriptions(hub) {
  try {
    const response = await fetch(`${hub}/.well-known/mercure/subscriptions`, { credentials: "include" });
    if (!response.ok) return null;
    const body = await response.json();
    return Array.isArray(body.subscriptions) ? body.subscriptions : null;
  } catch {
    return null;
  }
}
