/// <reference path="../pocketbase/pb_data/types.d.ts" />
// Who a users-collection auth token belongs to, for the sidecar's hub token exchange.
// Superusers only: the sidecar asks with its own token, so these lookups never spend a
// client IP's rate-limit budget (PocketBase does not rate-limit superusers), and forged tokens
// sent to the exchange cannot lock real users out.

routerAdd("POST", "/api/fieldsync/users/whois", (e) => {
  const body = e.requestInfo().body || {};
  const token = typeof body.token === "string" ? body.token : "";
  let user = null;
  if (token && token.length <= 4096) {
    try {
      user = e.app.findAuthRecordByToken(token, "auth");
    } catch (_) {
      user = null;
    }
  }
  if (!user || user.collection().name !== "users") {
    return e.json(404, { status: 404, message: "No user has this token.", data: {} });
  }
  return e.json(200, {
    id: user.id,
    collectionId: user.collection().id,
    team: user.getString("team"),
    role: user.getString("role"),
    name: user.getString("name"),
  });
}, $apis.requireSuperuserAuth());

// Office and admin users see their teammates' emails (to assign jobs by email, `fieldsync jobs
// assign JOB EMAIL`); field workers do not, and nobody sees another team's (the list rule keeps
// each team to itself).
onRecordEnrich((e) => {
  const auth = e.requestInfo.auth;
  if (auth && auth.collection().name === "users"
      && ["office", "admin"].includes(auth.getString("role"))
      && auth.getString("team") === e.record.getString("team")) {
    e.record.ignoreEmailVisibility(true);
  }
  e.next();
}, "users");
