#!/usr/bin/env bash
# fieldsync: set up and start everything, or run the tests.
#   ./run.sh          install into .venv, migrate, seed a demo team on first run, start
#                     PocketBase + the sidecar, print URLs and logins; Ctrl-C stops both
#   ./run.sh test     install what the tests need (browsers included) and run the whole suite
#   ./run.sh bench    run the benchmarks and write docs/benchmarks.md
set -euo pipefail

ROOT="$(cd "$(dirname "$0")" && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
STATE="$ROOT/.fieldsync"                 # git-ignored: credentials and keys made on first run
CREDENTIALS="$STATE/credentials.env"
export FIELDSYNC_PB_DIR="${FIELDSYNC_PB_DIR:-$ROOT/pocketbase/pb_data}"
export FIELDSYNC_PB_HTTP="${FIELDSYNC_PB_HTTP:-127.0.0.1:8090}"
export FIELDSYNC_PB_URL="${FIELDSYNC_PB_URL:-http://$FIELDSYNC_PB_HTTP}"
export FIELDSYNC_HTTP_HOST="${FIELDSYNC_HTTP_HOST:-127.0.0.1}"
export FIELDSYNC_HTTP_PORT="${FIELDSYNC_HTTP_PORT:-8091}"

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

# --- state -------------------------------------------------------------------------------
random_secret() { "$PY" -c 'import secrets; print("fs" + secrets.token_urlsafe(24))'; }  # never a leading "-"

ensure_credentials() {
  mkdir -p "$STATE"; chmod 700 "$STATE"
  if [ ! -f "$CREDENTIALS" ]; then
    log "first run: making credentials in $CREDENTIALS"
    umask 077
    cat > "$CREDENTIALS" <<CREDS
# Made by run.sh on first run. Keep it secret; delete it (and pocketbase/pb_data) to start over.
FIELDSYNC_PB_SUPERUSER_EMAIL=admin@fieldsync.local
FIELDSYNC_PB_SUPERUSER_PASSWORD=$(random_secret)
FIELDSYNC_HUB_SUBSCRIBER_KEY=$(random_secret)
FIELDSYNC_HUB_PUBLISHER_KEY=$(random_secret)
FIELDSYNC_DEMO_FIELD_PASSWORD=$(random_secret | cut -c1-16)
FIELDSYNC_DEMO_OFFICE_PASSWORD=$(random_secret | cut -c1-16)
CREDS
  fi
  set -a; # shellcheck disable=SC1090
  . "$CREDENTIALS"; set +a
}

pb() { "$ROOT/pocketbase/pb.sh" "$@"; }  # the one launcher (also used by tests and benchmarks)

wait_http() {  # wait_http URL NAME PID
  for _ in $(seq 1 200); do
    kill -0 "$3" 2>/dev/null || die "$2 exited during start-up (see the lines above)."
    "$PY" -c "import httpx,sys; sys.exit(httpx.get('$1', timeout=1).status_code != 200)" 2>/dev/null && return
    sleep 0.1
  done
  die "$2 did not answer on $1"
}

# --- commands ----------------------------------------------------------------------------
cmd_start() {
  install_python "test"
  ensure_credentials
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

  pb serve & pids+=($!)
  wait_http "$FIELDSYNC_PB_URL/api/health" PocketBase "${pids[-1]}"
  "$PY" -m scripts.seed_demo
  "$PY" -m sidecar & pids+=($!)
  wait_http "http://$FIELDSYNC_HTTP_HOST:$FIELDSYNC_HTTP_PORT/healthz" sidecar "${pids[-1]}"

  cat >&2 <<INFO

  fieldsync is running. Ctrl-C stops it.

  Phone app / dashboard  $FIELDSYNC_PB_URL/
  PocketBase admin UI    $FIELDSYNC_PB_URL/_/      $FIELDSYNC_PB_SUPERUSER_EMAIL / $FIELDSYNC_PB_SUPERUSER_PASSWORD
  REST API               $FIELDSYNC_PB_URL/api/
  Hub (SSE)              http://$FIELDSYNC_HTTP_HOST:$FIELDSYNC_HTTP_PORT/.well-known/mercure
  Sidecar health         http://$FIELDSYNC_HTTP_HOST:$FIELDSYNC_HTTP_PORT/healthz  (metrics: /metrics)

  Demo team "Demo Wheel Repair":
    field worker   field@demo.fieldsync.local   / $FIELDSYNC_DEMO_FIELD_PASSWORD
    office         office@demo.fieldsync.local  / $FIELDSYNC_DEMO_OFFICE_PASSWORD
  (all kept in .fieldsync/credentials.env)

INFO
  wait -n "${pids[@]}" || true
  log "a process exited"
  stop_all
}

cmd_test() {
  apt_install chromium
  install_python "test"
  log "ruff"; "$VENV/bin/ruff" check .
  "$VENV/bin/ruff" format --check . >/dev/null || die "ruff format: files need formatting (ruff format .)"
  log "mypy"; "$VENV/bin/mypy"
  log "pytest"
  "$VENV/bin/pytest" -q "$@"
}

cmd_bench() {
  install_python "test"
  "$PY" -m bench "$@"
}

case "${1:-start}" in
  start) shift || true; cmd_start "$@" ;;
  test) shift; cmd_test "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  *) die "usage: ./run.sh [start|test|bench]" ;;
esac
