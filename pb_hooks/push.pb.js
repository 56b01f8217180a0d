/// <reference path="../pocketbase/pb_data/types.d.ts" />
// Web Push: allowed endpoints for push_subscriptions, and the sidecar's delivery queue
// (superusers only). See lib/push.js.

onBootstrap((e) => {
  e.next();
  require(`${__hooks}/lib/push.js`).allowedHosts(); // a bad FIELDSYNC_PUSH_ALLOWED_HOSTS stops the start
});

onRecordValidate((e) => {
  require(`${__hooks}/lib/push.js`).checkSubscription(e);
}, "push_subscriptions");

routerAdd("POST", "/api/fieldsync/push/deliveries", (e) => {
  return require(`${__hooks}/lib/push.js`).plan(e);
}, $apis.requireSuperuserAuth());

routerAdd("POST", "/api/fieldsync/push/deliveries/claim", (e) => {
  return require(`${__hooks}/lib/push.js`).claim(e);
}, $apis.requireSuperuserAuth());

routerAdd("POST", "/api/fieldsync/push/deliveries/settle", (e) => {
  return require(`${__hooks}/lib/push.js`).settle(e);
}, $apis.requireSuperuserAuth());

routerAdd("POST", "/api/fieldsync/push/deliveries/release", (e) => {
  return require(`${__hooks}/lib/push.js`).release(e);
}, $apis.requireSuperuserAuth());
