/// <reference path="../../pocketbase/pb_data/types.d.ts" />
// The pages (pwa/): where the hub is, and the security headers they are served with.
// FIELDSYNC_HUB_PUBLIC_URL is the hub's URL as a browser reaches it; empty means the hub
// shares the pages' origin (the HTTPS front door serves PocketBase, pages and hub together).

const ORIGIN = /^(https?:\/\/[A-Za-z0-9.\-\[\]:]+)\/?$/;

/** The hub's public URL ("" = same origin); throws naming the variable when it is bad. */
function hubUrl() {
  const raw = ($os.getenv("FIELDSYNC_HUB_PUBLIC_URL") || "").trim();
  if (raw === "") return "";
  const match = ORIGIN.exec(raw);
  if (!match) {
    throw new Error(
      `FIELDSYNC_HUB_PUBLIC_URL must be an http(s) origin like https://hub.example.com, got "${raw}"`,
    );
  }
  return match[1];
}

/** Whether `path` is a page or asset from pwa/ (not the REST API or the admin UI). */
function isPage(path) {
  return !(path === "/api" || path.startsWith("/api/") || path === "/_" || path.startsWith("/_/"));
}

/** A strict Content-Security-Policy: scripts, styles and workers only from this origin. */
function contentSecurityPolicy(hub) {
  const connect = hub ? `'self' ${hub}` : "'self'";
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    `connect-src ${connect}`,
    "worker-src 'self'",
    "manifest-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types fieldsync",
  ].join("; ");
}

/** Headers of every page response. */
function headers() {
  return {
    "Content-Security-Policy": contentSecurityPolicy(hubUrl()),
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    // Files keep their names across versions: revalidate (304) instead of trusting a stale copy.
    "Cache-Control": "no-cache",
  };
}

module.exports = { hubUrl, isPage, contentSecurityPolicy, headers };
