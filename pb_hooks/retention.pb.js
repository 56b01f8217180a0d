/// <reference path="../pocketbase/pb_data/types.d.ts" />
// Outbox retention (superusers only; the sidecar calls it hourly). See lib/retention.js.

routerAdd("POST", "/api/fieldsync/outbox/trim", (e) => {
  return require(`${__hooks}/lib/retention.js`).trim(e);
}, $apis.requireSuperuserAuth());
