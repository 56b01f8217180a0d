/// <reference path="../../pocketbase/pb_data/types.d.ts" />
// Outbox consumer leases. One process among several holds a consumer (a lease with a deadline);
// only the holder may move its cursor, and the cursor only moves forward. Each operation is one
// transaction, so two processes racing for a lease cannot both win.

const MAX_TTL_S = 300;
const DEFAULT_TTL_S = 30;

function findOrCreate(txApp, name) {
  try {
    return txApp.findFirstRecordByData("consumers", "name", name);
  } catch (_) {
    const consumer = new Record(txApp.findCachedCollectionByNameOrId("consumers"));
    consumer.set("name", name);
    consumer.set("cursor", 0);
    return consumer;
  }
}

function leaseExpired(consumer) {
  const until = consumer.getDateTime("lease_until");
  return until.isZero() || until.time().unixMilli() <= Date.now();
}

function view(consumer) {
  return {
    name: consumer.getString("name"),
    cursor: consumer.getInt("cursor"),
    holder: consumer.getString("holder"),
    lease_until: consumer.getString("lease_until"),
  };
}

function conflict(e, message, consumer) {
  return e.json(409, { status: 409, message: message, data: view(consumer) });
}

function readBody(e) {
  const body = e.requestInfo().body || {};
  const holder = String(body.holder || "");
  if (!holder || holder.length > 200) {
    throw new BadRequestError("holder is required (1-200 characters).");
  }
  return { holder: holder, body: body };
}

/**
 * POST .../lease {holder, ttl_s, replace?}: take or renew the lease. `replace` names a holder the
 * caller knows to be dead (a process of its own host that is gone): its lease is taken over at
 * once instead of after its deadline, but only if it is still the holder.
 */
function acquire(e) {
  const name = e.request.pathValue("name");
  const { holder, body } = readBody(e);
  const ttl = body.ttl_s === undefined ? DEFAULT_TTL_S : body.ttl_s;
  if (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl < 1 || ttl > MAX_TTL_S) {
    throw new BadRequestError(`ttl_s must be between 1 and ${MAX_TTL_S}.`);
  }
  let result = null;
  require(`${__hooks}/lib/disk.js`).transact(e.app, (txApp) => {
    const consumer = findOrCreate(txApp, name);
    const current = consumer.getString("holder");
    const replacing = typeof body.replace === "string" && body.replace !== "" && body.replace === current;
    if (current && current !== holder && !leaseExpired(consumer) && !replacing) {
      result = conflict(e, `Consumer "${name}" is held by another process.`, consumer);
      return;
    }
    consumer.set("holder", holder);
    consumer.set("lease_until", new Date(Date.now() + ttl * 1000).toISOString());
    txApp.save(consumer);
    result = e.json(200, view(consumer));
  });
  return result;
}

/** DELETE .../lease {holder}: give the lease up (a no-op for a non-holder). */
function release(e) {
  const name = e.request.pathValue("name");
  const { holder } = readBody(e);
  require(`${__hooks}/lib/disk.js`).transact(e.app, (txApp) => {
    const consumer = findOrCreate(txApp, name);
    if (consumer.getString("holder") === holder) {
      consumer.set("holder", "");
      consumer.set("lease_until", "");
      txApp.save(consumer);
    }
  });
  return e.noContent(204);
}

/** POST .../cursor {holder, cursor}: the holder moves its cursor forward. */
function advance(e) {
  const name = e.request.pathValue("name");
  const { holder, body } = readBody(e);
  const cursor = body.cursor;
  if (typeof cursor !== "number" || !Number.isInteger(cursor) || cursor < 0) {
    throw new BadRequestError("cursor must be a non-negative integer.");
  }
  let result = null;
  require(`${__hooks}/lib/disk.js`).transact(e.app, (txApp) => {
    const consumer = findOrCreate(txApp, name);
    if (consumer.getString("holder") !== holder || leaseExpired(consumer)) {
      result = conflict(e, `The lease on "${name}" is not held by "${holder}".`, consumer);
      return;
    }
    if (cursor < consumer.getInt("cursor")) {
      result = conflict(e, `The cursor of "${name}" only moves forward.`, consumer);
      return;
    }
    consumer.set("cursor", cursor);
    txApp.save(consumer);
    result = e.json(200, view(consumer));
  });
  return result;
}

module.exports = { acquire, release, advance };
