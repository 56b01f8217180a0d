#!/usr/bin/env bash
# Launches PocketBase with fieldsync's migrations, hooks and pages.
# FIELDSYNC_PB_DIR (default pocketbase/pb_data) and FIELDSYNC_PB_HTTP (default 127.0.0.1:8090).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${FIELDSYNC_PB_BIN:-$root/.venv/bin/pocketbase}"
exec "$bin" serve \
  --dir "${FIELDSYNC_PB_DIR:-$root/pocketbase/pb_data}" \
  --migrationsDir "$root/pb_migrations" \
  --hooksDir "$root/pb_hooks" \
  --publicDir "$root/pwa" \
  --http "${FIELDSYNC_PB_HTTP:-127.0.0.1:8090}" \
  --automigrate=false \
  --hooksWatch=false \
  "$@"
