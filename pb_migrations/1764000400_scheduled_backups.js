/// <reference path="../pocketbase/pb_data/types.d.ts" />
// Scheduled backups on by default: every night at 03:00 (server time), the last 7 kept.
// PocketBase writes them to pb_data/backups/ (or to S3 when its backups S3 storage is set);
// docs/operations.md says how to copy them off the machine and how to restore one.

migrate((app) => {
  const settings = app.settings();
  settings.backups.cron = "0 3 * * *";
  settings.backups.cronMaxKeep = 7;
  app.save(settings);
}, (app) => {
  const settings = app.settings();
  settings.backups.cron = "";
  app.save(settings);
});
