/// <reference path="../pocketbase/pb_data/types.d.ts" />
// PocketBase sits behind the front door (frontdoor/, Caddy) and listens on loopback only.
// Caddy replaces any X-Forwarded-For a client sends with the address it sees, so the rightmost
// entry is the real client: PocketBase's per-IP rate limits then count each phone, not the
// proxy, and a client cannot get a fresh budget by sending the header itself.

migrate((app) => {
  const settings = app.settings();
  settings.trustedProxy.headers = ["X-Forwarded-For"];
  settings.trustedProxy.useLeftmostIP = false;
  app.save(settings);
}, (app) => {
  const settings = app.settings();
  settings.trustedProxy.headers = [];
  app.save(settings);
});
