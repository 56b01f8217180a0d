#!/usr/bin/env bash
# fieldsync: set up and start everything, or run the tests.
#   ./run.sh          install into .venv, migrate, seed a demo team on first run, start
#                     PocketBase + the sidecar + the HTTPS front door, print URLs and logins;
#                     Ctrl-C (or SIGTERM) stops all three
#   ./run.sh test     install what the tests need (browsers included) and run the whole suite
#   ./run.sh bench    run the benchmarks and write docs/benchmarks.md
set -euo pipefail

ROOT="$(cd "$(dirname "$0")" && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
STATE="${FIELDSYNC_STATE_DIR:-$ROOT/.fieldsync}"   # git-ignored: secrets, keys, the local CA
CREDENTIALS="$STATE/credentials.env"
export FIELDSYNC_PB_DIR="${FIELDSYNC_PB_DIR:-$ROOT/pocketbase/pb_data}"
export FIELDSYNC_PB_HTTP="${FIELDSYNC_PB_HTTP:-127.0.0.1:8090}"
export FIELDSYNC_PB_URL="${FIELDSYNC_PB_URL:-http://$FIELDSYNC_PB_HTTP}"
export FIELDSYNC_HTTP_HOST="${FIELDSYNC_HTTP_HOST:-127.0.0.1}"
export FIELDSYNC_HTTP_PORT="${FIELDSYNC_HTTP_PORT:-8091}"
export FIELDSYNC_CADDY_DIR="${FIELDSYNC_CADDY_DIR:-$STATE/caddy}"
if [ -n "${FIELDSYNC_DOMAIN:-}" ]; then
  export FIELDSYNC_FRONT_HTTPS_PORT="${FIELDSYNC_FRONT_HTTPS_PORT:-443}"
  export FIELDSYNC_FRONT_HTTP_PORT="${FIELDSYNC_FRONT_HTTP_PORT:-80}"
else
  export FIELDSYNC_FRONT_HTTPS_PORT="${FIELDSYNC_FRONT_HTTPS_PORT:-8443}"
  export FIELDSYNC_FRONT_HTTP_PORT="${FIELDSYNC_FRONT_HTTP_PORT:-8080}"
fi

log() { printf '\033[1m[fieldsync]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[fieldsync] %s\033[0m\n' "$*" >&2; exit 1; }

# --- install -----------------------------------------------------------------------------
find_python() {
  for candidate in "${FIELDSYNC_PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return
    fi
  done
  die "Python 3.11 or newer is required (apt-get install python3 python3-venv)."
}

apt_install() {  # apt_install PKG... : Debian packages, installed only when missing
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "apt-get install ${missing[*]}"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

install_python() {  # install_python EXTRAS : the project (editable) into .venv, when pyproject changed
  local extras="$1" stamp="$VENV/.fieldsync-installed"
  local want; want="$extras $(sha256sum pyproject.toml | cut -c1-16)"
  if [ ! -x "$PY" ]; then
    local python; python="$(find_python)"
    "$python" -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv
    log "creating .venv with $python"
    "$python" -m venv "$VENV"
  fi
  if [ ! -f "$stamp" ] || ! grep -qxF "$want" "$stamp"; then
    log "installing Python packages ($extras)"
    { "$PY" -m pip install --disable-pip-version-check --upgrade pip &&
      "$PY" -m pip install --disable-pip-version-check -e ".[$extras]"; } > "$VENV/pip.log" 2>&1 ||
      { tail -n 30 "$VENV/pip.log" >&2; die "pip install failed (full log: .venv/pip.log)"; }
    echo "$want" > "$stamp"
  fi
}

install_pages() {  # install_pages [--dev] : npm packages (Node and npm from Debian when missing)
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  "$ROOT/scripts/build_pwa.sh" "$@" || die "building the pages failed (scripts/build_pwa.sh)"
}

# --- state -------------------------------------------------------------------------------
random_secret() { "$PY" -c 'import secrets; print("fs" + secrets.token_urlsafe(24))'; }  # never a leading "-"

ensure_secret() {  # ensure_secret NAME COMMAND... : add NAME to the credentials if it is missing
  local name="$1"; shift
  grep -q "^$name=" "$CREDENTIALS" && return
  printf '%s=%s\n' "$name" "$("$@")" >> "$CREDENTIALS"
}

ensure_credentials() {
  mkdir -p "$STATE"; chmod 700 "$STATE"
  umask 077
  if [ ! -f "$CREDENTIALS" ]; then
    log "first run: making credentials in $CREDENTIALS"
    printf '%s\n' "# Made by run.sh. Keep it secret; delete it (and pocketbase/pb_data) to start over." \
      "FIELDSYNC_PB_SUPERUSER_EMAIL=admin@fieldsync.local" > "$CREDENTIALS"
  fi
  # Secrets added by later versions are made on the next start, so upgrades need no step.
  ensure_secret FIELDSYNC_PB_SUPERUSER_PASSWORD random_secret
  ensure_secret FIELDSYNC_HUB_SUBSCRIBER_KEY random_secret
  ensure_secret FIELDSYNC_HUB_PUBLISHER_KEY random_secret
  ensure_secret FIELDSYNC_METRICS_TOKEN random_secret
  ensure_secret FIELDSYNC_PUSH_VAPID_PRIVATE_KEY "$PY" -W ignore -m sidecar.push.vapid
  ensure_secret FIELDSYNC_DEMO_FIELD_PASSWORD random_secret
  ensure_secret FIELDSYNC_DEMO_OFFICE_PASSWORD random_secret
  chmod 600 "$CREDENTIALS"
  set -a; # shellcheck disable=SC1090
  . "$CREDENTIALS"; set +a
}

lan_address() {  # the address phones on the shop's network use (localhost when there is none)
  "$PY" -c 'import runpy; names = runpy.run_path("frontdoor/caddyfile.py")["lan_addresses"](); print(names[0] if names else "localhost")'
}

public_url() {
  if [ -n "${FIELDSYNC_DOMAIN:-}" ]; then
    [ "$FIELDSYNC_FRONT_HTTPS_PORT" = 443 ] && echo "https://$FIELDSYNC_DOMAIN" ||
      echo "https://$FIELDSYNC_DOMAIN:$FIELDSYNC_FRONT_HTTPS_PORT"
  else
    echo "https://$(lan_address):$FIELDSYNC_FRONT_HTTPS_PORT"
  fi
}

pb() { "$ROOT/pocketbase/pb.sh" "$@"; }  # the one launcher (also used by tests and benchmarks)

wait_http() {  # wait_http URL NAME PID
  for _ in $(seq 1 300); do
    kill -0 "$3" 2>/dev/null || die "$2 exited during start-up (see the lines above)."
    "$PY" -c "import httpx,sys; sys.exit(httpx.get('$1', timeout=1).status_code != 200)" 2>/dev/null && return
    sleep 0.1
  done
  die "$2 did not answer on $1"
}

wait_file() {  # wait_file PATH NAME PID
  for _ in $(seq 1 300); do
    kill -0 "$3" 2>/dev/null || die "$2 exited during start-up (see the lines above)."
    [ -s "$1" ] && return
    sleep 0.1
  done
  die "$2 did not make $1"
}

# --- commands ----------------------------------------------------------------------------
cmd_start() {
  install_python "test"
  install_pages
  ensure_credentials
  export FIELDSYNC_PUBLIC_URL="${FIELDSYNC_PUBLIC_URL:-$(public_url)}"
  mkdir -p "$FIELDSYNC_PB_DIR"
  log "applying migrations"
  pb migrate up >/dev/null
  pb superuser upsert "$FIELDSYNC_PB_SUPERUSER_EMAIL" "$FIELDSYNC_PB_SUPERUSER_PASSWORD" >/dev/null

  local pids=()
  stop_all() {
    trap - INT TERM EXIT
    log "stopping"
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    exit 0
  }
  trap stop_all INT TERM EXIT

  "$ROOT/pocketbase/pb.sh" serve & pids+=($!)
  wait_http "$FIELDSYNC_PB_URL/api/health" PocketBase "${pids[-1]}"
  "$PY" -m scripts.seed_demo
  "$PY" -m sidecar & pids+=($!)
  wait_http "http://$FIELDSYNC_HTTP_HOST:$FIELDSYNC_HTTP_PORT/healthz" sidecar "${pids[-1]}"
  "$ROOT/frontdoor/serve.sh" > "$STATE/caddy.log" 2>&1 & pids+=($!)
  local root_cert="$FIELDSYNC_CADDY_DIR/pki/authorities/local/root.crt"
  if [ -z "${FIELDSYNC_DOMAIN:-}" ]; then
    wait_file "$root_cert" "the front door (Caddy, log: $STATE/caddy.log)" "${pids[-1]}"
  fi
  local plain="http://$(lan_address):$FIELDSYNC_FRONT_HTTP_PORT"

  cat >&2 <<INFO

  fieldsync is running. Ctrl-C stops it.

  Phone app              $FIELDSYNC_PUBLIC_URL/
  Office dashboard       $FIELDSYNC_PUBLIC_URL/office/
  PocketBase admin UI    $FIELDSYNC_PUBLIC_URL/_/   $FIELDSYNC_PB_SUPERUSER_EMAIL / $FIELDSYNC_PB_SUPERUSER_PASSWORD
  Phones, first time     $plain/trust/   (install the certificate, in Korean and English)
  Root certificate       $root_cert

  On this machine        PocketBase $FIELDSYNC_PB_URL   hub/sidecar http://$FIELDSYNC_HTTP_HOST:$FIELDSYNC_HTTP_PORT
  Operators              /healthz and /metrics on the sidecar with "Authorization: Bearer \$FIELDSYNC_METRICS_TOKEN"

  Demo team "Demo Wheel Repair":
    field worker   field@demo.fieldsync.local   / $FIELDSYNC_DEMO_FIELD_PASSWORD
    office         office@demo.fieldsync.local  / $FIELDSYNC_DEMO_OFFICE_PASSWORD
  (all kept in $CREDENTIALS)

INFO
  wait -n "${pids[@]}" || true
  log "a process exited"
  stop_all
}

cmd_test() {
  apt_install chromium fonts-nanum libnss3-tools
  install_python "test"
  install_pages
  log "ruff"; "$VENV/bin/ruff" check .
  "$VENV/bin/ruff" format --check . >/dev/null || die "ruff format: files need formatting (ruff format .)"
  log "mypy"; "$VENV/bin/mypy"
  log "pytest"
  "$VENV/bin/pytest" -q "$@"
}

cmd_bench() {
  apt_install chromium
  install_python "test"
  install_pages --dev
  "$PY" -m bench "$@"
}

case "${1:-start}" in
  start) shift || true; cmd_start "$@" ;;
  test) shift; cmd_test "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  *) die "usage: ./run.sh [start|test|bench]" ;;
esac
