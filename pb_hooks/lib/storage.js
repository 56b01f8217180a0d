/// <reference path="../../pocketbase/pb_data/types.d.ts" />
// Storage sweep: files that no record points to. PocketBase writes an upload's file before its
// record commits, so a crash in between (kill -9, power loss), or a backup taken while an upload
// is in flight, leaves files of no record behind; a crash while a thumbnail is attached leaves
// an extra file beside a record's own. They are deleted once older than a grace period (files of
// uploads in flight are young), through PocketBase's filesystem, so it works the same on S3.

const SWEPT = ["photos"];
const DEFAULT_GRACE_S = 3600;

/** The file names a record points to (its file fields' values). */
function namesOf(record) {
  const names = new Set();
  const fields = record.collection().fields;
  for (let i = 0; i < fields.length; i++) {
    if (fields[i].type() === "file") {
      for (const name of record.getStringSlice(fields[i].getName())) {
        names.add(name);
      }
    }
  }
  return names;
}

/** Deletes what no record points to among files older than `graceS`; how many files went. */
function sweep(app, graceS) {
  const cutoff = Date.now() - graceS * 1000;
  const fs = app.newFilesystem();
  let deleted = 0;
  try {
    for (const name of SWEPT) {
      let collection;
      try {
        collection = app.findCachedCollectionByNameOrId(name);
      } catch (_) {
        continue; // not migrated yet
      }
      const byRecord = {};
      for (const object of fs.list(`${collection.id}/`)) {
        const parts = object.key.split("/");
        // <collection>/<record>/<file>; PocketBase's own resized copies live in thumbs_<file>/.
        if (parts.length !== 3 || object.modTime.unixMilli() > cutoff) {
          continue;
        }
        (byRecord[parts[1]] = byRecord[parts[1]] || []).push(object.key);
      }
      for (const id in byRecord) {
        let kept = new Set();
        try {
          kept = namesOf(app.findRecordById(collection, id));
        } catch (_) {
          // no such record: none of its files is kept
        }
        for (const key of byRecord[id]) {
          if (!kept.has(key.split("/")[2])) {
            fs.delete(key);
            deleted++;
          }
        }
      }
    }
  } finally {
    fs.close();
  }
  return deleted;
}

/** POST /api/fieldsync/storage/sweep {"older_than_s": 3600} -> {"deleted": n} (superusers). */
function sweepRoute(e) {
  const body = e.requestInfo().body || {};
  const grace = body.older_than_s === undefined ? DEFAULT_GRACE_S : body.older_than_s;
  if (typeof grace !== "number" || !isFinite(grace) || grace < 0) {
    throw new BadRequestError("older_than_s must be a number of seconds, 0 or more.");
  }
  return e.json(200, { deleted: sweep(e.app, grace) });
}

module.exports = { sweep, sweepRoute, DEFAULT_GRACE_S };
