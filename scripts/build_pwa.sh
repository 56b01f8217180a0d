#!/usr/bin/env bash
# Prepares pwa/ to be served: installs the npm packages (only when package-lock.json changed),
# copies the PocketBase JS SDK into pwa/vendor/ (git-ignored), bundles each screen's ES modules
# (pwa/js/phone.js, pwa/js/office.js) with esbuild into pwa/vendor/app/, and writes
# pwa/vendor/shell.js, the phone app shell's file list and version for the service worker.
# Idempotent: files are replaced only when they change; a no-op run takes well under a second.
#   scripts/build_pwa.sh          runtime packages only (what the pages need)
#   scripts/build_pwa.sh --dev    also the dev packages (Lighthouse, for bench/pages.py)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mode="prod"
[ "${1:-}" = "--dev" ] && mode="dev"

command -v npm >/dev/null 2>&1 || { echo "build_pwa: npm is missing (apt-get install nodejs npm)" >&2; exit 1; }

# 1. npm ci when the lock (or the mode) changed. A dev install also serves prod.
stamp="node_modules/.fieldsync-installed"
lock="$(sha256sum package-lock.json | cut -c1-16)"
installed="$(cat "$stamp" 2>/dev/null || true)"
if [ "$installed" != "$lock dev" ] && [ "$installed" != "$lock $mode" ]; then
  echo "build_pwa: npm ci ($mode)" >&2
  if [ "$mode" = "dev" ]; then
    npm ci --no-audit --no-fund --loglevel=error >&2
  else
    npm ci --omit=dev --no-audit --no-fund --loglevel=error >&2
  fi
  echo "$lock $mode" > "$stamp"
fi

# 2. The SDK into pwa/vendor/ (copied only when it differs).
vendor="pwa/vendor"
mkdir -p "$vendor"
for file in pocketbase.es.mjs pocketbase.es.mjs.map; do
  cmp -s "node_modules/pocketbase/dist/$file" "$vendor/$file" || cp "node_modules/pocketbase/dist/$file" "$vendor/$file"
done

# 3. One minified bundle per screen (the SDK stays a separate file both screens share).
built="$(mktemp -d)"
trap 'rm -rf "$built"' EXIT
node_modules/.bin/esbuild pwa/js/phone.js pwa/js/office.js --bundle --format=esm --minify \
  --sourcemap --target=chrome100,safari15,firefox100 --external:/vendor/pocketbase.es.mjs \
  --outdir="$built" --log-level=warning
mkdir -p "$vendor/app"
for file in "$built"/*; do
  cmp -s "$file" "$vendor/app/$(basename "$file")" || cp "$file" "$vendor/app/"
done

# 4. The app shell: what the phone needs to open offline (not the office pages), and a
#    version that changes whenever one of those files does.
mapfile -t files < <(
  cd pwa &&
  printf '%s\n' index.html manifest.webmanifest css/app.css icons/icon.svg icons/icon-192.png \
    vendor/pocketbase.es.mjs vendor/app/phone.js
)
version="$(cd pwa && sha256sum "${files[@]}" | sha256sum | cut -c1-16)"
urls=""
for file in "${files[@]}"; do
  url="/$file"; [ "$file" = "index.html" ] && url="/"
  urls+="  \"$url\",\n"
done
shell="$(printf '// Written by scripts/build_pwa.sh: the phone app shell kept by the service worker.\nself.SHELL_VERSION = "%s";\nself.SHELL_FILES = [\n%b];\n' "$version" "$urls")"
if [ ! -f "$vendor/shell.js" ] || [ "$(cat "$vendor/shell.js")" != "$shell" ]; then
  printf '%s\n' "$shell" > "$vendor/shell.js"
  echo "build_pwa: app shell $version (${#files[@]} files)" >&2
fi
