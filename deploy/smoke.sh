#!/usr/bin/env bash
# Smoke test of a sluice build, run by .github/workflows/release.yml on each
# compiled binary (Linux, macOS, and Windows under Git Bash) and by
# tests/deploy/smoke_test.ts against `deno run` with the serve task's flags.
#
#   deploy/smoke.sh COMMAND...          the command that runs sluice, e.g.
#     deploy/smoke.sh dist/sluice-x86_64-unknown-linux-gnu
#     deploy/smoke.sh deno run -P --v8-flags=... main.ts
#
# Checks, each against 127.0.0.1 only, every wait bounded:
#   version  `COMMAND --version` prints "sluice X.Y.Z"
#   proxy    started with --listen and --admin-listen: /healthz says 200, a
#            proxied GET and a CONNECT tunnel (curl -p) reach a local origin
#            (python's http.server), SIGTERM stops it with exit 0 (not on
#            Windows, which has no SIGTERM)
#   workers  `--workers 2` serves requests on two event loops ("serves"), or
#            exits 1 asking for read access to lib/ ("asks-read"), or saying
#            the port is in use where Deno has no SO_REUSEPORT, outside Linux
#            ("port-in-use"); which one is expected: below
#   narrow   a build whose --allow-net is narrowed to its own listen address
#            refuses a request to another port with 403 permission-denied
#            naming the --allow-net entry, and keeps running
#
# Environment (command words are split on spaces):
#   SMOKE_STEPS           comma-separated checks to run (default: all four)
#   SMOKE_WORKERS_CMD     the command for the workers check (default: COMMAND)
#   SMOKE_WORKERS_EXPECT  "serves" (default), "asks-read" or "port-in-use", or
#                         several joined with "|" (any of them passes)
#   SMOKE_NARROW_CMD      a build compiled (or run) with
#                         --allow-net=127.0.0.1:$SMOKE_NARROW_PORT; without it
#                         the narrow check is skipped, and says so
#   SMOKE_NARROW_PORT     the port that build may listen on
#   SMOKE_START_TIMEOUT   seconds to wait for a start (default 30)
#
# Needs bash, curl and python3 (or python). Exits 0 when every check passed.

set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: deploy/smoke.sh COMMAND..." >&2
  exit 2
fi
SLUICE=("$@")
read -r -a WORKERS_CMD <<<"${SMOKE_WORKERS_CMD:-$*}"
WORKERS_EXPECT="${SMOKE_WORKERS_EXPECT:-serves}"
STEPS=",${SMOKE_STEPS:-version,proxy,workers,narrow},"
START_TIMEOUT="${SMOKE_START_TIMEOUT:-30}"
case "$(uname -s)" in
  MINGW* | MSYS* | CYGWIN*) WINDOWS=1 ;;
  *) WINDOWS=0 ;;
esac
# requests go where the script says, never through a proxy from the environment
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

PY=""
for p in python3 python; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c "import http.server" >/dev/null 2>&1; then
    PY="$p"
    break
  fi
done
[ -n "$PY" ] || { echo "smoke: FAIL: neither python3 nor python can run http.server"; exit 1; }
command -v curl >/dev/null 2>&1 || { echo "smoke: FAIL: curl not found"; exit 1; }

WORK="$(mktemp -d)"
PIDS=()
PASSED=0
cleanup() {
  # (the + form: bash 3.2, macOS's, calls an empty array unbound under set -u)
  for pid in ${PIDS[@]+"${PIDS[@]}"}; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

ok() {
  PASSED=$((PASSED + 1))
  echo "smoke: ok   $*"
}
fail() {
  echo "smoke: FAIL $*"
  for f in "$WORK"/*.log; do
    [ -f "$f" ] || continue
    echo "--- last lines of $(basename "$f")"
    tail -n 30 "$f" | tr -d '\r'
  done
  exit 1
}
step() { [[ "$STEPS" == *",$1,"* ]]; }

# A loopback port that was free a moment ago.
free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' |
    tr -d '\r'
}

# curl bounded in time; prints the body, or the headers and body with -i.
fetch() { curl --silent --show-error --max-time 10 "$@"; }

# start NAME COMMAND... : runs it in the background, output to $WORK/NAME.log; sets $PID.
start() {
  local name="$1"
  shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PID=$!
  PIDS+=("$PID")
}

# Waits for "listening on http://127.0.0.1:PORT" in $WORK/NAME.log and prints PORT;
# prints nothing once the process PID exited or START_TIMEOUT passed.
listening_port() {
  local name="$1" pid="$2" i port
  for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    port="$(tr -d '\r' <"$WORK/$name.log" |
      sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p')"
    port="${port%%$'\n'*}"
    if [ -n "$port" ]; then
      echo "$port"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
}

# stop PID: SIGTERM and wait; sets $RC to its exit status.
stop() {
  RC=0
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || RC=$?
}

# --- version ---------------------------------------------------------------------
if step version; then
  version="$("${SLUICE[@]}" --version 2>"$WORK/version.log" | tr -d '\r')" ||
    fail "version: exit status $?"
  [[ "$version" =~ ^sluice\ [0-9]+\.[0-9]+\.[0-9]+ ]] || fail "version: printed '$version'"
  ok "version: $version"
fi

# --- the origin: python's http.server on a file with a known body ------------------
mkdir -p "$WORK/www"
TOKEN="sluice-smoke-$RANDOM$RANDOM"
printf '%s' "$TOKEN" >"$WORK/www/hello.txt"
ORIGIN_PORT="$(free_port)"
# a relative --directory: under Git Bash a native Windows python does not read /tmp paths
(cd "$WORK/www" && exec "$PY" -m http.server "$ORIGIN_PORT" --bind 127.0.0.1) \
  >"$WORK/origin.log" 2>&1 &
PIDS+=("$!")
ORIGIN="http://127.0.0.1:$ORIGIN_PORT/hello.txt"
for ((i = 0; i < 100; i++)); do
  [ "$(fetch "$ORIGIN" 2>/dev/null || true)" = "$TOKEN" ] && break
  sleep 0.1
done
[ "$(fetch "$ORIGIN")" = "$TOKEN" ] || fail "origin: python http.server did not answer"

# --- proxy: /healthz, a proxied GET, a CONNECT, a clean stop --------------------------
if step proxy; then
  ADMIN_PORT="$(free_port)"
  start proxy "${SLUICE[@]}" --listen 127.0.0.1:0 --admin-listen "127.0.0.1:$ADMIN_PORT" \
    --connect-ports "$ORIGIN_PORT"
  pid=$PID
  port="$(listening_port proxy "$pid")"
  [ -n "$port" ] || fail "proxy: did not start listening within ${START_TIMEOUT}s"
  ok "proxy: listening on 127.0.0.1:$port"

  code="$(fetch -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN_PORT/healthz" || true)"
  [ "$code" = "200" ] || fail "proxy: GET /healthz on the admin listener said '$code', not 200"
  ok "proxy: /healthz on 127.0.0.1:$ADMIN_PORT says 200"

  body="$(fetch -x "http://127.0.0.1:$port" "$ORIGIN")" || fail "proxy: GET through it failed"
  [ "$body" = "$TOKEN" ] || fail "proxy: GET through it returned '$body'"
  ok "proxy: GET $ORIGIN through it"

  body="$(fetch -p -x "http://127.0.0.1:$port" "$ORIGIN")" || fail "proxy: CONNECT failed"
  [ "$body" = "$TOKEN" ] || fail "proxy: GET through a CONNECT tunnel returned '$body'"
  for ((i = 0; i < 50; i++)); do
    grep -q "CONNECT 127.0.0.1:$ORIGIN_PORT 200" "$WORK/proxy.log" && break
    sleep 0.1
  done
  grep -q "CONNECT 127.0.0.1:$ORIGIN_PORT 200" "$WORK/proxy.log" ||
    fail "proxy: no access line for the CONNECT"
  ok "proxy: CONNECT 127.0.0.1:$ORIGIN_PORT tunnel"

  stop "$pid"
  if [ "$WINDOWS" = 1 ]; then
    ok "proxy: stopped (Windows: no SIGTERM, exit status not checked)"
  else
    [ "$RC" = 0 ] || fail "proxy: exit status $RC after SIGTERM, not 0"
    ok "proxy: SIGTERM, exit 0"
  fi
fi

# --- workers: --workers 2 serves, or asks for read access -----------------------------
if step workers; then
  start workers "${WORKERS_CMD[@]}" --listen 127.0.0.1:0 --workers 2
  pid=$PID
  port="$(listening_port workers "$pid")"
  if [ -z "$port" ]; then
    if grep -q "needs read access" "$WORK/workers.log"; then
      result="asks-read"
    elif grep -q "address already in use" "$WORK/workers.log"; then
      result="port-in-use"
    else
      fail "workers: --workers 2 neither started nor said why"
    fi
    echo "smoke: note --workers 2: $(grep -m 1 'cannot start' "$WORK/workers.log" | tr -d '\r')"
  else
    grep -q "(2 event loops)" "$WORK/workers.log" || fail "workers: not 2 event loops"
    for ((i = 0; i < 10; i++)); do
      body="$(fetch -H 'Connection: close' -x "http://127.0.0.1:$port" "$ORIGIN?$i")" ||
        fail "workers: request $i failed"
      [ "$body" = "$TOKEN" ] || fail "workers: request $i returned '$body'"
    done
    result="serves"
    echo "smoke: note --workers 2 serves on 2 event loops; 10 requests answered"
  fi
  stop "$pid"
  [[ "|$WORKERS_EXPECT|" == *"|$result|"* ]] ||
    fail "workers: --workers 2 $result, expected $WORKERS_EXPECT"
  ok "workers: --workers 2 $result, as expected"
fi

# --- narrow: a destination outside the sandbox is refused, the proxy keeps running -----
if step narrow; then
  if [ -z "${SMOKE_NARROW_CMD:-}" ]; then
    echo "smoke: skip narrow: SMOKE_NARROW_CMD is not set"
  else
    read -r -a NARROW <<<"$SMOKE_NARROW_CMD"
    start narrow "${NARROW[@]}" --listen "127.0.0.1:$SMOKE_NARROW_PORT"
    pid=$PID
    port="$(listening_port narrow "$pid")"
    [ "$port" = "$SMOKE_NARROW_PORT" ] || fail "narrow: did not listen on $SMOKE_NARROW_PORT"
    for attempt in 1 2; do
      out="$(fetch -i -x "http://127.0.0.1:$port" "$ORIGIN" | tr -d '\r')" ||
        fail "narrow: request $attempt got no response"
      status="$(head -n 1 <<<"$out" | cut -d ' ' -f 2)"
      [ "$status" = 403 ] || [ "$status" = 502 ] ||
        fail "narrow: request $attempt: '$(head -n 1 <<<"$out")', not 403 or 502"
      grep -qi "^x-sluice-reason: permission-denied" <<<"$out" ||
        fail "narrow: request $attempt: no X-Sluice-Reason: permission-denied"
      grep -q "allow-net" <<<"$out" || fail "narrow: request $attempt: no --allow-net hint"
      kill -0 "$pid" 2>/dev/null || fail "narrow: the proxy exited after request $attempt"
    done
    ok "narrow: 127.0.0.1:$ORIGIN_PORT refused ($status permission-denied), still running"
    stop "$pid"
  fi
fi

echo "smoke: all $PASSED checks passed"
