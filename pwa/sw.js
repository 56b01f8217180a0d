// The service worker: keeps the phone app shell (listed with its version in
// /vendor/shell.js, written by scripts/build_pwa.sh) so the app opens offline; other pages
// (the dashboard) are served network-first with the last copy as fallback. Never caches the
// API or the hub. Shows push notifications; a click opens the job.

// The pages' CSP requires Trusted Types for script URLs, here too.
const scripts = self.trustedTypes?.createPolicy("fieldsync", {
  createScriptURL: (url) => {
    if (url !== "/vendor/shell.js") throw new TypeError(`script URL not allowed: ${url}`);
    return url;
  },
});
importScripts(scripts ? scripts.createScriptURL("/vendor/shell.js") : "/vendor/shell.js");

const SHELL = `shell-${self.SHELL_VERSION}`;
const PAGES = "pages";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll(self.SHELL_FILES.map((url) => new Request(url, { cache: "no-cache" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== SHELL && k !== PAGES).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function cacheable(url) {
  return url.origin === self.location.origin && !url.pathname.startsWith("/api/") && !url.pathname.startsWith("/_/") && !url.pathname.startsWith("/.well-known/");
}

async function shellFirst(request, url) {
  const key = request.mode === "navigate" && url.pathname === "/" ? "/" : request;
  const cached = await caches.match(key, { cacheName: SHELL, ignoreSearch: request.mode === "navigate", ignoreVary: true });
  return cached || networkFirst(request);
}

async function networkFirst(request) {
  try {
    const response = await fetch(request);
    if (response.ok && response.type === "basic") {
      const copy = response.clone();
      caches.open(PAGES).then((cache) => cache.put(request, copy));
    }
    return response;
  } catch (error) {
    const cached = await caches.match(request, { ignoreSearch: true, ignoreVary: true });
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (!cacheable(url)) return;
  const inShell = self.SHELL_FILES.includes(url.pathname);
  event.respondWith(inShell ? shellFirst(request, url) : networkFirst(request));
});

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = { body: event.data ? event.data.text() : "" };
  }
  const title = String(message.title || "fieldsync");
  event.waitUntil(
    self.registration.showNotification(title, {
      body: String(message.body || ""),
      tag: message.tag ? String(message.tag) : undefined,
      icon: "/icons/icon-192.png",
      badge: "/icons/icon-192.png",
      data: { url: String(message.url || "/") },
    }),
  );
});

/** Only our own pages are opened from a notification. */
function target(raw) {
  try {
    const url = new URL(raw, self.location.origin);
    return url.origin === self.location.origin ? url.href : new URL("/", self.location.origin).href;
  } catch {
    return new URL("/", self.location.origin).href;
  }
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(openPage(target(event.notification.data?.url)));
});

/** Show `url` in a window of ours on that page (navigating it), else in a new window. */
async function openPage(url) {
  const path = new URL(url).pathname;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const same = windows.find((w) => new URL(w.url).pathname === path);
  if (same) {
    try {
      const shown = await same.navigate(url);
      await (shown || same).focus().catch(() => {});
      return;
    } catch {
      // a window this worker does not control: open a new one
    }
  }
  await self.clients.openWindow(url);
}
