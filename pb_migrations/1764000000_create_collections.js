/// <reference path="../pocketbase/pb_data/types.d.ts" />
// fieldsync schema: teams, users (team + role), jobs, photos, push subscriptions,
// the `events` outbox and the `consumers` cursor/lease table.
// API rules are the security boundary: every rule is written from the refused side.

const MB = 1024 * 1024;

migrate((app) => {
  const teams = new Collection({
    type: "base",
    name: "teams",
    fields: [
      { name: "name", type: "text", required: true, min: 1, max: 200 },
      { name: "created", type: "autodate", onCreate: true, onUpdate: false },
      { name: "updated", type: "autodate", onCreate: true, onUpdate: true },
    ],
  });
  app.save(teams);

  // The built-in auth collection gains a team and a role.
  const users = app.findCollectionByNameOrId("users");
  users.fields.add(new SelectField({
    name: "role", required: true, maxSelect: 1, values: ["field", "office", "admin"],
  }));
  users.fields.add(new RelationField({
    name: "team", required: true, maxSelect: 1, collectionId: teams.id, cascadeDelete: false,
  }));
  users.oauth2.enabled = false;
  users.otp.enabled = false;
  users.mfa.enabled = false;
  users.passwordAuth.enabled = true;
  users.passwordAuth.identityFields = ["email"];
  app.save(users);

  const sameTeamAuth = '@request.auth.id != "" && @request.auth.team = team';
  const isAdmin = '@request.auth.role = "admin"';
  const isOffice = '(@request.auth.role = "office" || @request.auth.role = "admin")';

  // Team members see each other; a team admin manages the team's accounts.
  users.listRule = sameTeamAuth;
  users.viewRule = sameTeamAuth;
  users.createRule = `${sameTeamAuth} && ${isAdmin}`;
  users.updateRule =
    `(id = @request.auth.id && @request.body.role:changed = false && @request.body.team:changed = false)` +
    ` || (${sameTeamAuth} && ${isAdmin} && @request.body.team:changed = false)`;
  users.deleteRule = `${sameTeamAuth} && ${isAdmin} && id != @request.auth.id`;
  users.manageRule = null;
  app.save(users);

  teams.listRule = '@request.auth.id != "" && id = @request.auth.team';
  teams.viewRule = teams.listRule;
  teams.createRule = null;
  teams.updateRule = `id = @request.auth.team && ${isAdmin}`;
  teams.deleteRule = null;
  app.save(teams);

  const jobs = new Collection({
    type: "base",
    name: "jobs",
    fields: [
      { name: "team", type: "relation", required: true, maxSelect: 1, collectionId: teams.id, cascadeDelete: false },
      { name: "title", type: "text", required: true, min: 1, max: 200 },
      { name: "description", type: "text", max: 10000 },
      { name: "customer", type: "text", max: 200 },
      {
        name: "status", type: "select", required: true, maxSelect: 1,
        values: ["new", "assigned", "in_progress", "done", "cancelled"],
      },
      { name: "assignee", type: "relation", maxSelect: 1, collectionId: users.id, cascadeDelete: false },
      { name: "due", type: "date" },
      { name: "created_by", type: "relation", maxSelect: 1, collectionId: users.id, cascadeDelete: false },
      { name: "created", type: "autodate", onCreate: true, onUpdate: false },
      { name: "updated", type: "autodate", onCreate: true, onUpdate: true },
    ],
    indexes: [
      "CREATE INDEX idx_jobs_team_status ON jobs (team, status)",
      "CREATE INDEX idx_jobs_assignee ON jobs (assignee)",
    ],
  });
  app.save(jobs);
  const assigneeInTeam = '(@request.body.assignee:isset = false || @request.body.assignee = "" || @request.body.assignee.team = team)';
  jobs.listRule = sameTeamAuth;
  jobs.viewRule = sameTeamAuth;
  jobs.createRule =
    `${sameTeamAuth} && ${isOffice} && (created_by = "" || created_by = @request.auth.id) && ${assigneeInTeam}`;
  // Office manages its team's jobs; a field worker changes only the status of a job
  // assigned to them (never to "cancelled"), and nothing else.
  jobs.updateRule =
    `(${sameTeamAuth} && ${isOffice} && @request.body.team:changed = false && @request.body.created_by:changed = false && ${assigneeInTeam})` +
    ` || (${sameTeamAuth} && @request.auth.role = "field" && assignee = @request.auth.id` +
    ` && @request.body.status:isset = true && @request.body.status != "cancelled"` +
    ` && @request.body.title:changed = false && @request.body.description:changed = false` +
    ` && @request.body.customer:changed = false && @request.body.assignee:changed = false` +
    ` && @request.body.due:changed = false && @request.body.team:changed = false && @request.body.created_by:changed = false)`;
  jobs.deleteRule = `${sameTeamAuth} && ${isOffice}`;
  app.save(jobs);

  const photos = new Collection({
    type: "base",
    name: "photos",
    fields: [
      { name: "team", type: "relation", required: true, maxSelect: 1, collectionId: teams.id, cascadeDelete: false },
      { name: "job", type: "relation", required: true, maxSelect: 1, collectionId: jobs.id, cascadeDelete: false },
      {
        name: "file", type: "file", required: true, maxSelect: 1, maxSize: 25 * MB, protected: true,
        mimeTypes: ["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"],
      },
      { name: "caption", type: "text", max: 1000 },
      { name: "taken_at", type: "date" },
      { name: "device_id", type: "text", max: 100 },
      { name: "sha256", type: "text", required: true, min: 64, max: 64, pattern: "^[a-f0-9]{64}$" },
      { name: "uploaded_by", type: "relation", maxSelect: 1, collectionId: users.id, cascadeDelete: false },
      {
        name: "thumb", type: "file", maxSelect: 1, maxSize: 2 * MB, protected: true,
        mimeTypes: ["image/webp"],
      },
      { name: "width", type: "number", onlyInt: true, min: 0 },
      { name: "height", type: "number", onlyInt: true, min: 0 },
      { name: "status", type: "select", required: true, maxSelect: 1, values: ["processing", "ready", "failed"] },
      { name: "error", type: "text", max: 1000 },
      { name: "created", type: "autodate", onCreate: true, onUpdate: false },
      { name: "updated", type: "autodate", onCreate: true, onUpdate: true },
    ],
    indexes: [
      "CREATE UNIQUE INDEX idx_photos_team_sha256 ON photos (team, sha256)",
      "CREATE INDEX idx_photos_job ON photos (job)",
    ],
  });
  app.save(photos);
  // Only superusers (the sidecar) write what the thumbnailer derives.
  const noDerived =
    "@request.body.thumb:isset = false && @request.body.width:isset = false && @request.body.height:isset = false" +
    " && @request.body.status:isset = false && @request.body.error:isset = false";
  photos.listRule = sameTeamAuth;
  photos.viewRule = sameTeamAuth;
  photos.createRule =
    `${sameTeamAuth} && job.team = team && (uploaded_by = "" || uploaded_by = @request.auth.id) && ${noDerived}`;
  photos.updateRule =
    `${sameTeamAuth} && (uploaded_by = @request.auth.id || ${isOffice}) && ${noDerived}` +
    " && @request.body.file:isset = false && @request.body.sha256:changed = false" +
    " && @request.body.team:changed = false && @request.body.job:changed = false" +
    " && @request.body.uploaded_by:changed = false";
  photos.deleteRule = `${sameTeamAuth} && (uploaded_by = @request.auth.id || ${isOffice})`;
  app.save(photos);

  const pushSubscriptions = new Collection({
    type: "base",
    name: "push_subscriptions",
    fields: [
      { name: "user", type: "relation", required: true, maxSelect: 1, collectionId: users.id, cascadeDelete: true },
      { name: "endpoint", type: "url", required: true },
      { name: "p256dh", type: "text", required: true, max: 200 },
      { name: "auth", type: "text", required: true, max: 100 },
      { name: "user_agent", type: "text", max: 500 },
      { name: "created", type: "autodate", onCreate: true, onUpdate: false },
      { name: "updated", type: "autodate", onCreate: true, onUpdate: true },
    ],
    indexes: ["CREATE UNIQUE INDEX idx_push_endpoint ON push_subscriptions (endpoint)"],
  });
  const ownSubscription = '@request.auth.id != "" && user = @request.auth.id';
  pushSubscriptions.listRule = ownSubscription;
  pushSubscriptions.viewRule = ownSubscription;
  pushSubscriptions.createRule = ownSubscription;
  pushSubscriptions.updateRule = `${ownSubscription} && @request.body.user:changed = false`;
  pushSubscriptions.deleteRule = ownSubscription;
  app.save(pushSubscriptions);

  // The outbox: one row per committed change, written by pb_hooks in the same transaction.
  // Rules stay null: only superusers read or write it.
  const events = new Collection({
    type: "base",
    name: "events",
    fields: [
      { name: "seq", type: "number", required: true, onlyInt: true, min: 1 },
      { name: "type", type: "text", max: 100 },
      { name: "collection", type: "text", max: 100 },
      { name: "record", type: "text", max: 100 },
      { name: "team", type: "text", max: 100 },
      { name: "topics", type: "json", maxSize: 64 * 1024 },
      { name: "private", type: "bool" },
      { name: "uid", type: "text", max: 500 },
      { name: "retry", type: "number", onlyInt: true, min: 0 },
      { name: "data", type: "json", maxSize: 2 * MB },
      { name: "created", type: "autodate", onCreate: true, onUpdate: false },
    ],
    indexes: [
      "CREATE UNIQUE INDEX idx_events_seq ON events (seq)",
      "CREATE INDEX idx_events_uid ON events (uid) WHERE uid != ''",
      "CREATE INDEX idx_events_team_seq ON events (team, seq)",
    ],
  });
  app.save(events);

  // Outbox consumers: a persisted cursor and a lease so one process among several holds it.
  const consumers = new Collection({
    type: "base",
    name: "consumers",
    fields: [
      { name: "name", type: "text", required: true, max: 100 },
      { name: "cursor", type: "number", onlyInt: true, min: 0 },
      { name: "holder", type: "text", max: 200 },
      { name: "lease_until", type: "date" },
      { name: "updated", type: "autodate", onCreate: true, onUpdate: true },
    ],
    indexes: ["CREATE UNIQUE INDEX idx_consumers_name ON consumers (name)"],
  });
  app.save(consumers);
}, (app) => {
  for (const name of ["consumers", "events", "push_subscriptions", "photos", "jobs"]) {
    app.delete(app.findCollectionByNameOrId(name));
  }
  const users = app.findCollectionByNameOrId("users");
  users.fields.removeByName("role");
  users.fields.removeByName("team");
  users.listRule = "id = @request.auth.id";
  users.viewRule = "id = @request.auth.id";
  users.createRule = "";
  users.updateRule = "id = @request.auth.id";
  users.deleteRule = "id = @request.auth.id";
  app.save(users);
  app.delete(app.findCollectionByNameOrId("teams"));
});
