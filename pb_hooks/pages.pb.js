/// <reference path="../pocketbase/pb_data/types.d.ts" />
// The pages in pwa/ (phone app, office dashboard): security headers and gzip on every page
// response, and GET /api/fieldsync/config telling the pages where the hub is. See lib/pages.js.

onBootstrap((e) => {
  require(`${__hooks}/lib/pages.js`).hubUrl(); // a bad FIELDSYNC_HUB_PUBLIC_URL fails at start
  e.next();
});

routerAdd("GET", "/api/fieldsync/config", (e) => {
  const pages = require(`${__hooks}/lib/pages.js`);
  e.response.header().set("Cache-Control", "no-cache");
  return e.json(200, { hubUrl: pages.hubUrl() });
});

routerUse((e) => {
  const pages = require(`${__hooks}/lib/pages.js`);
  if (!pages.isPage(e.request.url.path)) {
    return e.next();
  }
  const header = e.response.header();
  for (const [name, value] of Object.entries(pages.headers())) {
    header.set(name, value);
  }
  return $apis.gzip().func(e);
});
