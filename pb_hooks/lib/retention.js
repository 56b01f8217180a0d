/// <reference path="../../pocketbase/pb_data/types.d.ts" />
// Outbox retention: deletes events committed before a given time, oldest first, in one
// statement per call (at most `limit` rows, so a transaction stays short). Never deleted:
// the newest event (MAX(seq)+1 would hand its number out again) and anything a consumer has
// not handled yet (seq above the lowest cursor), so a sidecar away for longer than the
// retention still catches up on everything it missed.

const MAX_LIMIT = 10000;

/** POST .../outbox/trim {before: ISO datetime, limit?}: answers {deleted}. */
function trim(e) {
  const body = e.requestInfo().body || {};
  const before = new Date(String(body.before || ""));
  if (isNaN(before.getTime())) {
    throw new BadRequestError("before must be an ISO 8601 date-time.");
  }
  const limit = body.limit === undefined ? 5000 : body.limit;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new BadRequestError(`limit must be an integer between 1 and ${MAX_LIMIT}.`);
  }
  // PocketBase stores autodate fields as "YYYY-MM-DD HH:MM:SS.sssZ", which sorts as text.
  const cutoff = before.toISOString().replace("T", " ");
  let deleted = 0;
  require(`${__hooks}/lib/disk.js`).transact(e.app, (txApp) => {
    const result = txApp.db().newQuery(
      "DELETE FROM {{events}} WHERE [[id]] IN (SELECT [[id]] FROM {{events}}" +
      " WHERE [[created]] < {:cutoff}" +
      " AND [[seq]] < (SELECT MAX([[seq]]) FROM {{events}})" +
      " AND [[seq]] <= (SELECT COALESCE(MIN([[cursor]]), 0) FROM {{consumers}})" +
      " ORDER BY [[seq]] LIMIT {:limit})"
    ).bind({ cutoff: cutoff, limit: limit }).execute();
    deleted = result.rowsAffected();
  });
  return e.json(200, { deleted: deleted });
}

module.exports = { trim };
