/// <reference path="../../pocketbase/pb_data/types.d.ts" />
// Transactional outbox. A change to a tracked collection and its event row commit or roll back
// together: the hook opens a transaction (REST writes are not wrapped in one), runs the write
// with the transaction's app, then appends the event with that same app.
// Never write with the root $app inside the callback: it deadlocks PocketBase's writer.

const TRACKED = { jobs: "job", photos: "photo" };
const PHOTO_OUTCOMES = ["ready", "failed"];

/** The next outbox sequence number, read inside the writer's transaction. */
function nextSeq(txApp) {
  const row = new DynamicModel({ next: 0 });
  txApp.db().newQuery("SELECT COALESCE(MAX([[seq]]), 0) + 1 AS [[next]] FROM {{events}}").one(row);
  return row.next;
}

/** `job.updated`, or `photo.ready` / `photo.failed` when a photo's processing just ended. */
function eventType(record, action) {
  const name = TRACKED[record.collection().name];
  if (name === "photo" && action === "updated") {
    const status = record.getString("status");
    if (PHOTO_OUTCOMES.includes(status) && record.original().getString("status") !== status) {
      return `photo.${status}`;
    }
  }
  return `${name}.${action}`;
}

function append(txApp, record, action) {
  const event = new Record(txApp.findCachedCollectionByNameOrId("events"));
  event.set("type", eventType(record, action));
  event.set("collection", record.collection().name);
  event.set("record", record.id);
  event.set("team", record.getString("team"));
  event.set("private", true);
  event.set("data", record.publicExport());
  txApp.save(event);
}

/** Runs the change (`e.next()`) and appends its event in one transaction. */
function recordChange(e, action) {
  const rootApp = e.app;
  rootApp.runInTransaction((txApp) => {
    e.app = txApp;
    try {
      e.next();
      append(txApp, e.record, action);
    } finally {
      e.app = rootApp;
    }
  });
}

/** Stamps every new event, however it is written, with the next sequence number. */
function assignSeq(e) {
  const rootApp = e.app;
  rootApp.runInTransaction((txApp) => {
    e.app = txApp;
    try {
      e.record.set("seq", nextSeq(txApp));
      e.next();
    } finally {
      e.app = rootApp;
    }
  });
}

/** Lets old events be trimmed, but never the newest (MAX(seq)+1 would hand its number out again). */
function guardTrim(e) {
  const newest = nextSeq(e.app) - 1;
  if (e.record.getInt("seq") >= newest) {
    throw new BadRequestError("The newest event cannot be deleted.");
  }
  e.next();
}

module.exports = { recordChange, assignSeq, guardTrim };
