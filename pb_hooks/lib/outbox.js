/// <reference path="../../pocketbase/pb_data/types.d.ts" />
// Transactional outbox. A change to a tracked collection and its event row commit or roll back
// together: the hook opens a transaction (REST writes are not wrapped in one), runs the write
// with the transaction's app, then appends the event with that same app.
// Never write with the root $app inside the callback: it deadlocks PocketBase's writer.

const TRACKED = { jobs: "job", photos: "photo" };
const PHOTO_OUTCOMES = ["ready", "failed"];
/** Who makes a change, kept on the record in memory by a request hook (never saved or exported). */
const ACTOR_KEY = "@pbInternalFieldsyncActor";

/** The next outbox sequence number, read inside the writer's transaction. */
function nextSeq(txApp) {
  const row = new DynamicModel({ next: 0 });
  txApp.db().newQuery("SELECT COALESCE(MAX([[seq]]), 0) + 1 AS [[next]] FROM {{events}}").one(row);
  return row.next;
}

/**
 * PocketBase saves whole rows, so an update that read its record before another writer
 * committed would put that writer's fields back: a caption edit racing the thumbnailer left the
 * photo `processing` without its thumbnail, a title edit undid a status change. Inside the
 * writer's transaction, each field this update leaves as it read it takes the committed value;
 * a record deleted meanwhile is a 404. Answers the record as committed, which the event compares
 * with (not `record.original()`, read before the transaction: two updates racing to end one
 * photo's processing would both see it unfinished and both write `photo.ready`).
 */
function keepCommittedChanges(txApp, record) {
  let committed;
  try {
    committed = txApp.findRecordById(record.collection(), record.id);
  } catch (err) {
    if (String(err).includes("no rows")) {
      throw new NotFoundError("The record was deleted meanwhile.");
    }
    throw err;
  }
  const original = record.original();
  for (const field of record.collection().fields) {
    const name = field.getName();
    if (name === "id" || field.type() === "autodate") {
      continue;
    }
    const read = valueKey(original, field);
    if (valueKey(record, field) === read && valueKey(committed, field) !== read) {
      record.set(name, committed.get(name));
    }
  }
  return committed;
}

/** A field's value as a comparable string; a file field with a new upload counts as changed. */
function valueKey(record, field) {
  const name = field.getName();
  if (field.type() === "file") {
    const uploads = record.get(`${name}:unsaved`);
    if (uploads && uploads.length) {
      return `\u0000${uploads.length} new`;
    }
  }
  if (typeof field.isMultiple === "function" && field.isMultiple()) {
    return JSON.stringify(record.getStringSlice(name));
  }
  return record.getString(name);
}

/** `job.updated`, or `photo.ready` / `photo.failed` when a photo's processing just ended. */
function eventType(record, action, committed) {
  const name = TRACKED[record.collection().name];
  if (name === "photo" && action === "updated") {
    const status = record.getString("status");
    if (PHOTO_OUTCOMES.includes(status) && committed.getString("status") !== status) {
      return `photo.${status}`;
    }
  }
  return `${name}.${action}`;
}

/** Notes the requesting user as the change's actor; superusers (the sidecar, scripts) stay empty. */
function noteActor(e) {
  if (e.auth && !e.hasSuperuserAuth()) {
    e.record.set(ACTOR_KEY, e.auth.id);
  }
}

/** For an update, the committed values before it of the fields it changed; null otherwise. */
function previousValues(record, committed) {
  if (committed === null) {
    return null;
  }
  const before = committed.publicExport();
  const previous = {};
  for (const field of record.collection().fields) {
    const name = field.getName();
    if (name !== "updated" && valueKey(record, field) !== valueKey(committed, field)) {
      previous[name] = before[name];
    }
  }
  return previous;
}

/** The event of `record`'s change; `committed` is the record before an update (else null). */
function append(txApp, record, action, committed) {
  const event = new Record(txApp.findCachedCollectionByNameOrId("events"));
  event.set("type", eventType(record, action, committed));
  event.set("collection", record.collection().name);
  event.set("record", record.id);
  event.set("team", record.getString("team"));
  event.set("private", true);
  event.set("data", record.publicExport());
  event.set("actor", record.getString(ACTOR_KEY));
  event.set("previous", previousValues(record, committed));
  txApp.save(event);
}

/** Runs the change (`e.next()`) and appends its event in one transaction. */
function recordChange(e, action) {
  const rootApp = e.app;
  require(`${__hooks}/lib/disk.js`).transact(rootApp, (txApp) => {
    e.app = txApp;
    try {
      const committed = action === "updated" ? keepCommittedChanges(txApp, e.record) : null;
      e.next();
      append(txApp, e.record, action, committed);
    } finally {
      e.app = rootApp;
    }
  });
}

/**
 * A user's rights changed (role or team) or the user is gone: one `user.updated` or
 * `user.deleted` event in the same transaction, so the hub can close the user's streams and
 * refuse their hub tokens at once. Only the id, team and role go in (never the email).
 */
function recordUserChange(e, action) {
  const rootApp = e.app;
  require(`${__hooks}/lib/disk.js`).transact(rootApp, (txApp) => {
    e.app = txApp;
    try {
      const before = action === "updated" ? e.record.original() : e.record;
      const rightsChanged = action === "deleted"
        || before.getString("role") !== e.record.getString("role")
        || before.getString("team") !== e.record.getString("team");
      e.next();
      if (!rightsChanged) {
        return;
      }
      const event = new Record(txApp.findCachedCollectionByNameOrId("events"));
      event.set("type", `user.${action}`);
      event.set("collection", "users");
      event.set("record", e.record.id);
      event.set("team", before.getString("team"));
      event.set("private", true);
      event.set("data", { id: e.record.id, team: e.record.getString("team"), role: e.record.getString("role") });
      event.set("previous", { team: before.getString("team"), role: before.getString("role") });
      event.set("actor", e.record.getString(ACTOR_KEY));
      txApp.save(event);
    } finally {
      e.app = rootApp;
    }
  });
}

/** Stamps every new event, however it is written, with the next sequence number. */
function assignSeq(e) {
  const rootApp = e.app;
  require(`${__hooks}/lib/disk.js`).transact(rootApp, (txApp) => {
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

module.exports = { recordChange, recordUserChange, assignSeq, guardTrim, noteActor };
