/// <reference path="../pocketbase/pb_data/types.d.ts" />
// Production defaults: rate limits on, batch API off, short log retention without client IPs.
// The request body limit follows the photos.file maxSize (PocketBase derives it per collection);
// pb_hooks/settings.pb.js applies FIELDSYNC_MAX_PHOTO_MB at start.

migrate((app) => {
  const settings = app.settings();
  settings.meta.appName = "fieldsync";
  settings.meta.hideControls = true;
  settings.logs.maxDays = 7;
  settings.logs.logIP = false;
  settings.logs.logAuthId = false;
  settings.batch.enabled = false;
  settings.rateLimits.enabled = true;
  settings.rateLimits.rules = [
    { label: "*:auth", audience: "", maxRequests: 10, duration: 10 },
    { label: "*:create", audience: "@guest", maxRequests: 10, duration: 10 },
    { label: "*:create", audience: "@auth", maxRequests: 100, duration: 10 },
    { label: "/api/files/", audience: "", maxRequests: 600, duration: 10 },
    { label: "/api/", audience: "", maxRequests: 600, duration: 10 },
  ];
  app.save(settings);
}, (app) => {
  const settings = app.settings();
  settings.meta.hideControls = false;
  settings.logs.logIP = true;
  settings.rateLimits.enabled = false;
  app.save(settings);
});
