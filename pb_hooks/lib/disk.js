/// <reference path="../../pocketbase/pb_data/types.d.ts" />
// A full data disk, reported as what it is: 507 and a message that says so. PocketBase answers a
// failed save with a generic 400 ("Failed to create record."), which tells a client that its
// input is wrong and not to retry; the sidecar and the pages retry a 5xx until space returns.

const DISK_FULL = /no space left on device|database or disk is full|SQLITE_FULL/i;

/** `app.runInTransaction(fn)`; a full disk (nothing was saved: it rolled back) is a 507. */
function transact(app, fn) {
  try {
    app.runInTransaction(fn);
  } catch (err) {
    if (DISK_FULL.test(String(err))) {
      throw new ApiError(507, "The server's disk is full: nothing was saved. Try again once space is freed.", {});
    }
    throw err;
  }
}

module.exports = { transact };
