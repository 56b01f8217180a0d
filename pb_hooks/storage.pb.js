/// <reference path="../pocketbase/pb_data/types.d.ts" />
// Files no record points to go (see lib/storage.js): at every start, daily, and on demand
// (superusers).

// Starting to serve, before any request is taken, no upload can be in flight: whatever no
// record points to was left by a crash, or came with a restored backup, and goes at once. (Not
// for other commands, e.g. `superuser upsert`, which may run beside a serving process.)
onBootstrap((e) => {
  e.next();
  if (!Array.from($os.args).includes("serve")) {
    return;
  }
  const deleted = require(`${__hooks}/lib/storage.js`).sweep(e.app, 0);
  if (deleted) {
    e.app.logger().info("storage sweep at start: deleted files no record points to", "deleted", deleted);
  }
});

routerAdd("POST", "/api/fieldsync/storage/sweep", (e) => {
  return require(`${__hooks}/lib/storage.js`).sweepRoute(e);
}, $apis.requireSuperuserAuth());

cronAdd("fieldsync_storage_sweep", "40 3 * * *", () => {
  const storage = require(`${__hooks}/lib/storage.js`);
  const deleted = storage.sweep($app, storage.DEFAULT_GRACE_S);
  if (deleted) {
    $app.logger().info("storage sweep: deleted files no record points to", "deleted", deleted);
  }
});
