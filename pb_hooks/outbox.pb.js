/// <reference path="../pocketbase/pb_data/types.d.ts" />
// Every create/update/delete of jobs and photos appends exactly one `events` row, atomically.
// Record hooks (not request hooks) so batch requests, admin UI edits and $app.save() count too.

onRecordCreate((e) => {
  require(`${__hooks}/lib/outbox.js`).recordChange(e, "created");
}, "jobs", "photos");

onRecordUpdate((e) => {
  require(`${__hooks}/lib/outbox.js`).recordChange(e, "updated");
}, "jobs", "photos");

onRecordDelete((e) => {
  require(`${__hooks}/lib/outbox.js`).recordChange(e, "deleted");
}, "jobs", "photos");

// A user's role or team changing, or the user deleted, is an event too (the hub acts on it).
onRecordUpdate((e) => {
  require(`${__hooks}/lib/outbox.js`).recordUserChange(e, "updated");
}, "users");

onRecordDelete((e) => {
  require(`${__hooks}/lib/outbox.js`).recordUserChange(e, "deleted");
}, "users");

onRecordCreate((e) => {
  require(`${__hooks}/lib/outbox.js`).assignSeq(e);
}, "events");

// The outbox is append-only: a sequence number is never moved, and the newest event is never
// deleted (its number would be handed out again). Trimming old events stays possible.
onRecordUpdate((e) => {
  throw new BadRequestError("Events are append-only.");
}, "events");

onRecordDelete((e) => {
  require(`${__hooks}/lib/outbox.js`).guardTrim(e);
}, "events");
