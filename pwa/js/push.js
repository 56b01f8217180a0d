// Web Push opt-in (only ever on a user action): the sidecar's VAPID key, the browser's
// subscription, stored in `push_subscriptions` for the logged-in user.

import { pb } from "./api.js";
import { decodeBase64url } from "./base64url.js";

const SUBSCRIBE_TIMEOUT_MS = 15_000;

export function pushSupported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

function keyBytes(base64url) {
  return Uint8Array.from(decodeBase64url(base64url), (c) => c.charCodeAt(0));
}

function withTimeout(promise, ms) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), ms)),
  ]);
}

/** Ask for permission, subscribe and store the subscription. Throws with a reason. */
export async function enablePush(hub) {
  if (!pushSupported()) throw new Error("unsupported");
  if ((await Notification.requestPermission()) !== "granted") throw new Error("denied");
  const response = await fetch(`${hub}/push/vapid-public-key`, { credentials: "include" });
  if (!response.ok) throw new Error(`vapid key: HTTP ${response.status}`);
  const { publicKey } = await response.json();
  const registration = await navigator.serviceWorker.ready;
  const subscription = await withTimeout(
    registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) }),
    SUBSCRIBE_TIMEOUT_MS,
  );
  await saveSubscription(subscription.toJSON());
}

/** Store (or refresh) a PushSubscription's JSON for the current user. */
async function saveSubscription(json) {
  const user = pb.authStore.record.id;
  const data = {
    user,
    endpoint: json.endpoint,
    p256dh: json.keys.p256dh,
    auth: json.keys.auth,
    user_agent: navigator.userAgent.slice(0, 500),
  };
  const existing = await pb
    .collection("push_subscriptions")
    .getFirstListItem(pb.filter("endpoint = {:endpoint}", { endpoint: json.endpoint }))
    .catch(() => null);
  if (existing) return pb.collection("push_subscriptions").update(existing.id, data);
  return pb.collection("push_subscriptions").create(data);
}
