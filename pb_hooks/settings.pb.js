/// <reference path="../pocketbase/pb_data/types.d.ts" />
// Applies FIELDSYNC_MAX_PHOTO_MB (default 25) to photos.file at start. PocketBase derives the
// record create/update body limit from the collection's file sizes, so both move together.
// Why a hook and not a migration: the limit is deployment configuration (an env var an operator
// may change at any restart), while a migration runs once and would freeze the value it saw.
// The schema's own default (25 MB) stays in the migration; this only adjusts it, saving the
// collection only when the value differs. Runs on every bootstrap once migrations are applied
// (run.sh and the tests migrate first).

onBootstrap((e) => {
  e.next();
  const raw = $os.getenv("FIELDSYNC_MAX_PHOTO_MB") || "25";
  const mb = Number(raw);
  if (!Number.isInteger(mb) || mb < 1 || mb > 1024) {
    throw new Error(`FIELDSYNC_MAX_PHOTO_MB must be an integer between 1 and 1024, got "${raw}"`);
  }
  let photos;
  try {
    photos = e.app.findCollectionByNameOrId("photos");
  } catch (_) {
    return; // not migrated yet
  }
  const field = photos.fields.getByName("file");
  if (field.maxSize !== mb * 1024 * 1024) {
    field.maxSize = mb * 1024 * 1024;
    e.app.save(photos);
  }
});
