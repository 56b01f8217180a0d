/// <reference path="../../pocketbase/pb_data/types.d.ts" />
// Web Push: which endpoints a subscription may name, and the sidecar's delivery queue.
//
// Endpoints are a server-side request forgery risk (the sidecar POSTs to whatever a user
// stores), so only an https URL on a push service in FIELDSYNC_PUSH_ALLOWED_HOSTS is accepted.
// sidecar/push/endpoints.py applies the same rules again before sending; keep the two in step.
//
// Deliveries (`push_deliveries`, superusers only) are one row per (event, subscription): the
// sidecar plans them when it handles an event, claims them for a while (a lease per row, so
// several sidecars never send one twice), and settles them as sent, failed, or pending again
// with a later `next_at`.

const DEFAULT_ALLOWED_HOSTS =
  "fcm.googleapis.com,updates.push.services.mozilla.com,*.push.apple.com,*.notify.windows.com";
const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const HOST = `${LABEL}(?:\\.${LABEL})*`;
const PORT = "[1-9][0-9]{0,4}";
// An entry: `host`, `*.domain` (https on 443), or `scheme://host[:port]` (exactly that).
const ENTRY = new RegExp(`^(?:(https?)://)?(\\*\\.)?(${HOST})(?::(${PORT}))?$`);
// An endpoint: scheme, host, optional port, then a path of printable ASCII without `#` or `\`.
const ENDPOINT = new RegExp(`^(https?)://(${HOST})(?::(${PORT}))?(/[!-"$-\\[\\]-~]*)?$`, "i");
const MAX_ENDPOINT = 2048;
const P256DH = /^B[A-P][A-Za-z0-9_-]{85}=?$/; // 65 bytes, an uncompressed point (0x04...)
const AUTH = /^[A-Za-z0-9_-]{22}(==)?$/; // 16 bytes
const DEFAULT_PORTS = { http: 80, https: 443 };

const ID = /^[a-z0-9]{15}$/;
const URGENCIES = ["very-low", "low", "normal", "high"];
const MAX_PLAN = 5000;
const MAX_CLAIM = 1000;
const MAX_SETTLE = 2000;
const CHUNK = 200;

/** The allowlist from FIELDSYNC_PUSH_ALLOWED_HOSTS; throws naming the variable on a bad entry. */
function allowedHosts() {
  const raw = $os.getenv("FIELDSYNC_PUSH_ALLOWED_HOSTS") || DEFAULT_ALLOWED_HOSTS;
  const entries = [];
  for (const part of raw.split(",")) {
    const text = part.trim().toLowerCase();
    if (!text) {
      continue;
    }
    const match = ENTRY.exec(text);
    if (!match || (match[4] && Number(match[4]) > 65535)) {
      throw new Error(`FIELDSYNC_PUSH_ALLOWED_HOSTS: "${part.trim()}" is not a host, *.domain or scheme://host[:port]`);
    }
    const scheme = match[1] || "https";
    entries.push({
      scheme: scheme,
      wildcard: Boolean(match[2]),
      host: match[3],
      port: match[4] ? Number(match[4]) : DEFAULT_PORTS[scheme],
    });
  }
  return entries;
}

/** Why `endpoint` may not be used as a push endpoint, or "" when it may. */
function endpointProblem(endpoint, entries) {
  if (endpoint.length > MAX_ENDPOINT) {
    return `The endpoint is longer than ${MAX_ENDPOINT} characters.`;
  }
  const match = ENDPOINT.exec(endpoint);
  if (!match) {
    return "The endpoint is not a plain http(s) URL (no user info, fragment, spaces or backslashes).";
  }
  const scheme = match[1].toLowerCase();
  const host = match[2].toLowerCase();
  const port = match[3] ? Number(match[3]) : DEFAULT_PORTS[scheme];
  for (const entry of entries) {
    const hostMatches = entry.wildcard ? host.endsWith(`.${entry.host}`) : host === entry.host;
    if (hostMatches && entry.scheme === scheme && entry.port === port) {
      return "";
    }
  }
  return "The endpoint must be an https URL of an allowed push service (FIELDSYNC_PUSH_ALLOWED_HOSTS).";
}

/** onRecordValidate for push_subscriptions: a clear 400 for an endpoint or keys we cannot use. */
function checkSubscription(e) {
  const record = e.record;
  const problems = {};
  const endpointError = endpointProblem(record.getString("endpoint"), allowedHosts());
  if (endpointError) {
    problems.endpoint = new ValidationError("validation_push_endpoint_not_allowed", endpointError);
  }
  if (!P256DH.test(record.getString("p256dh"))) {
    problems.p256dh = new ValidationError(
      "validation_push_key",
      "The p256dh key must be the subscription's P-256 public key (65 bytes, base64url).",
    );
  }
  if (!AUTH.test(record.getString("auth"))) {
    problems.auth = new ValidationError(
      "validation_push_key",
      "The auth key must be the subscription's auth secret (16 bytes, base64url).",
    );
  }
  const fields = Object.keys(problems);
  if (fields.length) {
    throw new BadRequestError(problems[fields[0]].error(), problems);
  }
  e.next();
}

// --- the delivery queue (superuser routes) ----------------------------------------------------

function pbDate(ms) {
  return new Date(ms).toISOString().replace("T", " ");
}

function body(e) {
  return e.requestInfo().body || {};
}

function holderOf(value, required) {
  const holder = value === undefined || value === null ? "" : String(value);
  if ((required && !holder) || holder.length > 200) {
    throw new BadRequestError("holder must be 1-200 characters.");
  }
  return holder;
}

function positiveNumber(value, name, max) {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new BadRequestError(`${name} must be a number in (0, ${max}].`);
  }
  return value;
}

function rowsOf(value, name, max) {
  if (!Array.isArray(value) || value.length > max) {
    throw new BadRequestError(`${name} must be a list of at most ${max} items.`);
  }
  return value;
}

/**
 * POST /api/fieldsync/push/deliveries {event, holder, ttl_s, deliveries: [{subscription, payload,
 * topic, urgency}]}: records the deliveries of one event, claimed by `holder` for `ttl_s` (or
 * unclaimed when holder is ""). A (event, subscription) pair already recorded is not recorded
 * again, so an event handled again sends nothing twice. Answers the rows the holder is to send:
 * with a holder, every pending delivery of the event it holds or whose claim lapsed (a handler
 * stopped between recording and sending, e.g. as its process lost the outbox lease, left them
 * claimed and unsent); without one, the rows created.
 */
function plan(e) {
  const input = body(e);
  const event = input.event;
  if (typeof event !== "number" || !Number.isInteger(event) || event < 1) {
    throw new BadRequestError("event must be a positive integer (the outbox seq).");
  }
  const holder = holderOf(input.holder, false);
  const ttl = positiveNumber(input.ttl_s === undefined ? 60 : input.ttl_s, "ttl_s", 3600);
  const deliveries = rowsOf(input.deliveries, "deliveries", MAX_PLAN);
  for (const item of deliveries) {
    if (!item || !ID.test(String(item.subscription || ""))) {
      throw new BadRequestError("Each delivery needs a subscription id.");
    }
    if (!item.payload || typeof item.payload !== "object" || JSON.stringify(item.payload).length > 4096) {
      throw new BadRequestError("Each delivery needs a payload object of at most 4096 bytes.");
    }
    if (String(item.topic || "").length > 32 || !URGENCIES.includes(item.urgency || "normal")) {
      throw new BadRequestError(`topic is at most 32 characters; urgency one of ${URGENCIES.join(", ")}.`);
    }
  }
  const now = Date.now();
  const created = [];
  require(`${__hooks}/lib/disk.js`).transact(e.app, (txApp) => {
    for (let start = 0; start < deliveries.length; start += CHUNK) {
      const params = {
        event: event,
        holder: holder,
        until: holder ? pbDate(now + ttl * 1000) : "",
        now: pbDate(now),
      };
      const values = [];
      deliveries.slice(start, start + CHUNK).forEach((item, index) => {
        params[`i${index}`] = $security.randomStringWithAlphabet(15, "abcdefghijklmnopqrstuvwxyz0123456789");
        params[`s${index}`] = item.subscription;
        params[`p${index}`] = JSON.stringify(item.payload);
        params[`t${index}`] = String(item.topic || "");
        params[`u${index}`] = item.urgency || "normal";
        values.push(
          `({:i${index}}, {:event}, {:s${index}}, {:p${index}}, {:t${index}}, {:u${index}}, 'pending', 0, {:now}, {:holder}, {:until}, '', {:now}, {:now})`,
        );
      });
      const rows = arrayOf(new DynamicModel({ id: "", subscription: "", attempts: 0, next_at: "" }));
      txApp
        .db()
        .newQuery(
          "INSERT INTO {{push_deliveries}} ([[id]], [[event]], [[subscription]], [[payload]], [[topic]], [[urgency]]," +
            " [[status]], [[attempts]], [[next_at]], [[claimed_by]], [[claim_until]], [[error]], [[created]], [[updated]])" +
            ` VALUES ${values.join(", ")}` +
            " ON CONFLICT ([[event]], [[subscription]]) DO NOTHING RETURNING [[id]], [[subscription]], [[attempts]], [[next_at]]",
        )
        .bind(params)
        .all(rows);
      if (!holder) {
        rows.forEach((row) => created.push(row));
      }
    }
    if (holder) {
      const params = { event: event, holder: holder, until: pbDate(now + ttl * 1000), now: pbDate(now) };
      const rows = arrayOf(new DynamicModel({ id: "", subscription: "", attempts: 0, next_at: "" }));
      txApp
        .db()
        .newQuery(
          "UPDATE {{push_deliveries}} SET [[claimed_by]] = {:holder}, [[claim_until]] = {:until}" +
            " WHERE [[event]] = {:event} AND [[status]] = 'pending'" +
            " AND ([[claimed_by]] = {:holder} OR [[claim_until]] < {:now})" +
            " RETURNING [[id]], [[subscription]], [[attempts]], [[next_at]]",
        )
        .bind(params)
        .all(rows);
      rows.forEach((row) => created.push(row));
    }
  });
  return e.json(200, {
    deliveries: created.map((row) => ({
      id: row.id, subscription: row.subscription, attempts: row.attempts, next_at: row.next_at,
    })),
  });
}

/**
 * POST /api/fieldsync/push/deliveries/claim {holder, ttl_s, limit, keep_s}: renews the holder's
 * claims, takes up to `limit` pending deliveries nobody holds (never claimed, released, or whose
 * holder stopped renewing), and answers them with their subscriptions. Also fails deliveries
 * whose subscription is gone and trims finished ones older than `keep_s`.
 */
function claim(e) {
  const input = body(e);
  const holder = holderOf(input.holder, true);
  const ttl = positiveNumber(input.ttl_s, "ttl_s", 3600);
  const limit = input.limit === undefined ? 0 : input.limit;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0 || limit > MAX_CLAIM) {
    throw new BadRequestError(`limit must be an integer in [0, ${MAX_CLAIM}].`);
  }
  const keep = positiveNumber(input.keep_s === undefined ? 7 * 86400 : input.keep_s, "keep_s", 400 * 86400);
  const now = Date.now();
  const params = { holder: holder, now: pbDate(now), until: pbDate(now + ttl * 1000), kept: pbDate(now - keep * 1000) };
  const claimed = arrayOf(
    new DynamicModel({
      id: "", event: 0, subscription: "", payload: "", topic: "", urgency: "", attempts: 0,
      next_at: "", created: "", endpoint: "", p256dh: "", auth: "",
    }),
  );
  require(`${__hooks}/lib/disk.js`).transact(e.app, (txApp) => {
    const db = txApp.db();
    db.newQuery(
      "UPDATE {{push_deliveries}} SET [[claim_until]] = {:until}" +
        " WHERE [[claimed_by]] = {:holder} AND [[status]] = 'pending'",
    ).bind(params).execute();
    db.newQuery(
      "UPDATE {{push_deliveries}} SET [[status]] = 'failed', [[error]] = 'subscription deleted', [[updated]] = {:now}" +
        " WHERE [[status]] = 'pending' AND [[subscription]] NOT IN (SELECT [[id]] FROM {{push_subscriptions}})",
    ).bind(params).execute();
    db.newQuery("DELETE FROM {{push_deliveries}} WHERE [[status]] != 'pending' AND [[updated]] < {:kept}")
      .bind(params)
      .execute();
    if (limit === 0) {
      return;
    }
    params.limit = limit;
    const taken = arrayOf(new DynamicModel({ id: "" }));
    db.newQuery(
      "UPDATE {{push_deliveries}} SET [[claimed_by]] = {:holder}, [[claim_until]] = {:until} WHERE [[id]] IN (" +
        "SELECT [[id]] FROM {{push_deliveries}} WHERE [[status]] = 'pending' AND [[claim_until]] < {:now}" +
        " AND [[claimed_by]] != {:holder} ORDER BY [[created]] LIMIT {:limit}) RETURNING [[id]]",
    ).bind(params).all(taken);
    if (!taken.length) {
      return;
    }
    const ids = {};
    const names = taken.map((row, index) => {
      ids[`c${index}`] = row.id;
      return `{:c${index}}`;
    });
    db.newQuery(
      "SELECT d.[[id]], d.[[event]], d.[[subscription]], d.[[payload]], d.[[topic]], d.[[urgency]], d.[[attempts]]," +
        " d.[[next_at]], d.[[created]], s.[[endpoint]], s.[[p256dh]], s.[[auth]]" +
        " FROM {{push_deliveries}} d JOIN {{push_subscriptions}} s ON s.[[id]] = d.[[subscription]]" +
        ` WHERE d.[[id]] IN (${names.join(", ")}) ORDER BY d.[[created]]`,
    ).bind(ids).all(claimed);
  });
  const deliveries = claimed.map((row) => ({
    id: row.id,
    event: row.event,
    subscription: row.subscription,
    payload: JSON.parse(row.payload || "null"),
    topic: row.topic,
    urgency: row.urgency,
    attempts: row.attempts,
    next_at: row.next_at,
    created: row.created,
    endpoint: row.endpoint,
    p256dh: row.p256dh,
    auth: row.auth,
  }));
  return e.json(200, { deliveries: deliveries });
}

/**
 * POST /api/fieldsync/push/deliveries/settle {holder, results: [{id, status, attempts, next_at,
 * error}]}: what became of deliveries the holder claimed: `sent`, `failed`, or `pending` again
 * (a retry at `next_at`, still claimed). Rows the holder no longer claims are left alone.
 */
function settle(e) {
  const input = body(e);
  const holder = holderOf(input.holder, true);
  const results = rowsOf(input.results, "results", MAX_SETTLE);
  for (const item of results) {
    if (!item || !ID.test(String(item.id || "")) || !["sent", "failed", "pending"].includes(item.status)) {
      throw new BadRequestError("Each result needs an id and a status of sent, failed or pending.");
    }
  }
  const now = pbDate(Date.now());
  require(`${__hooks}/lib/disk.js`).transact(e.app, (txApp) => {
    for (const item of results) {
      txApp
        .db()
        .newQuery(
          "UPDATE {{push_deliveries}} SET [[status]] = {:status}, [[attempts]] = {:attempts}," +
            " [[next_at]] = {:next_at}, [[error]] = {:error}, [[updated]] = {:now}" +
            " WHERE [[id]] = {:id} AND [[claimed_by]] = {:holder}",
        )
        .bind({
          id: item.id,
          holder: holder,
          status: item.status,
          attempts: Number.isInteger(item.attempts) && item.attempts >= 0 ? item.attempts : 0,
          next_at: typeof item.next_at === "string" ? item.next_at.slice(0, 30) : "",
          error: String(item.error || "").slice(0, 500),
          now: now,
        })
        .execute();
    }
  });
  return e.noContent(204);
}

/** POST /api/fieldsync/push/deliveries/release {holder}: gives the holder's pending deliveries up. */
function release(e) {
  const holder = holderOf(body(e).holder, true);
  e.app
    .db()
    .newQuery(
      "UPDATE {{push_deliveries}} SET [[claimed_by]] = '', [[claim_until]] = ''" +
        " WHERE [[claimed_by]] = {:holder} AND [[status]] = 'pending'",
    )
    .bind({ holder: holder })
    .execute();
  return e.noContent(204);
}

module.exports = { allowedHosts, checkSubscription, plan, claim, settle, release };
