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
