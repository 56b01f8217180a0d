/// <reference path="../pocketbase/pb_data/types.d.ts" />
// Server-owned fields: who created a job or uploaded a photo comes from the auth, never the body;
// new jobs start as `new`, new photos as `processing` (the sidecar moves them on).

onRecordCreateRequest((e) => {
  if (e.auth && !e.hasSuperuserAuth()) {
    e.record.set("created_by", e.auth.id);
  }
  e.next();
}, "jobs");

onRecordCreateRequest((e) => {
  if (e.auth && !e.hasSuperuserAuth()) {
    e.record.set("uploaded_by", e.auth.id);
  }
  e.next();
}, "photos");

// Who makes a change, for its outbox event's `actor` (lib/outbox.js).
onRecordCreateRequest((e) => {
  require(`${__hooks}/lib/outbox.js`).noteActor(e);
  e.next();
}, "jobs", "photos");

onRecordUpdateRequest((e) => {
  require(`${__hooks}/lib/outbox.js`).noteActor(e);
  e.next();
}, "jobs", "photos");

onRecordDeleteRequest((e) => {
  require(`${__hooks}/lib/outbox.js`).noteActor(e);
  e.next();
}, "jobs", "photos");

onRecordCreate((e) => {
  if (!e.record.getString("status")) {
    e.record.set("status", "new");
  }
  e.next();
}, "jobs");

onRecordCreate((e) => {
  if (!e.record.getString("status")) {
    e.record.set("status", "processing");
  }
  e.next();
}, "photos");
