/// <reference path="../pocketbase/pb_data/types.d.ts" />
// Web Push (sidecar/push/): the recipient's language, who made a change and what it was before,
// push endpoints unique per user, and the sidecar's delivery markers.

migrate((app) => {
  // A user's language for notifications; empty means Korean.
  const users = app.findCollectionByNameOrId("users");
  users.fields.add(new SelectField({ name: "lang", maxSelect: 1, values: ["ko", "en"] }));
  app.save(users);

  // Outbox events say who made the change (empty for superusers and the sidecar) and, for an
  // update, the previous values of the fields that changed.
  const events = app.findCollectionByNameOrId("events");
  events.fields.add(new TextField({ name: "actor", max: 100 }));
  events.fields.add(new JSONField({ name: "previous", maxSize: 2 * 1024 * 1024 }));
  app.save(events);

  // One endpoint may be registered by several users (a shared office PC); refusing it for one
  // user because another holds it told one team about another.
  const subscriptions = app.findCollectionByNameOrId("push_subscriptions");
  subscriptions.indexes = [
    "CREATE UNIQUE INDEX idx_push_user_endpoint ON push_subscriptions (user, endpoint)",
  ];
  app.save(subscriptions);

  // One row per (event, subscription): the sent-marker that makes a replayed event or a restart
  // neither lose nor repeat a notification, and the queue the sidecar's senders claim from.
  // Superusers only (rules stay null).
  const deliveries = new Collection({
    type: "base",
    name: "push_deliveries",
    fields: [
      { name: "event", type: "number", required: true, onlyInt: true, min: 1 },
      {
        name: "subscription", type: "relation", required: true, maxSelect: 1,
        collectionId: subscriptions.id, cascadeDelete: true,
      },
      { name: "payload", type: "json", maxSize: 4096 },
      { name: "topic", type: "text", max: 32 },
      { name: "urgency", type: "text", max: 10 },
      { name: "status", type: "select", required: true, maxSelect: 1, values: ["pending", "sent", "failed"] },
      { name: "attempts", type: "number", onlyInt: true, min: 0 },
      { name: "next_at", type: "date" },
      { name: "claimed_by", type: "text", max: 200 },
      { name: "claim_until", type: "date" },
      { name: "error", type: "text", max: 500 },
      { name: "created", type: "autodate", onCreate: true, onUpdate: false },
      { name: "updated", type: "autodate", onCreate: true, onUpdate: true },
    ],
    indexes: [
      "CREATE UNIQUE INDEX idx_push_deliveries_event_subscription ON push_deliveries (event, subscription)",
      "CREATE INDEX idx_push_deliveries_pending ON push_deliveries (status, claim_until)",
      "CREATE INDEX idx_push_deliveries_subscription ON push_deliveries (subscription)",
    ],
  });
  app.save(deliveries);
}, (app) => {
  app.delete(app.findCollectionByNameOrId("push_deliveries"));

  // Fails while two users hold one endpoint: delete one of them first.
  const subscriptions = app.findCollectionByNameOrId("push_subscriptions");
  subscriptions.indexes = ["CREATE UNIQUE INDEX idx_push_endpoint ON push_subscriptions (endpoint)"];
  app.save(subscriptions);

  const events = app.findCollectionByNameOrId("events");
  events.fields.removeByName("previous");
  events.fields.removeByName("actor");
  app.save(events);

  const users = app.findCollectionByNameOrId("users");
  users.fields.removeByName("lang");
  app.save(users);
});
