/// <reference path="../pocketbase/pb_data/types.d.ts" />
// Lease and cursor routes for outbox consumers (superusers only). See lib/consumers.js.

routerAdd("POST", "/api/fieldsync/consumers/{name}/lease", (e) => {
  return require(`${__hooks}/lib/consumers.js`).acquire(e);
}, $apis.requireSuperuserAuth());

routerAdd("DELETE", "/api/fieldsync/consumers/{name}/lease", (e) => {
  return require(`${__hooks}/lib/consumers.js`).release(e);
}, $apis.requireSuperuserAuth());

routerAdd("POST", "/api/fieldsync/consumers/{name}/cursor", (e) => {
  return require(`${__hooks}/lib/consumers.js`).advance(e);
}, $apis.requireSuperuserAuth());
