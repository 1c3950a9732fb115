#!/usr/bin/env bash
# CI smoke of the benchmark tools (not a timed test): starts build/bin/relay
# and build/bin/null_relay on 127.0.0.1:0 and runs loadgen against each for
# 5 s in pairs mode and once in auth-only mode (and the relay 5 s in the
# binary dialect, fan-out to 2 devices). Fails unless every run
# reports zero errors and zero lost messages.
#   bench/smoke.sh [BIN_DIR]     (default: build/bin)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../build/bin}
tmp=$(mktemp -d)
server_pid=""

cleanup() {
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# start_server NAME: starts it on a free loopback port; sets server_pid and url.
start_server() {
  local name=$1
  local extra=()  # stopped with SIGTERM: the relay skips its drain period
  if [ "$name" = relay ]; then extra=(--drain-seconds 0); fi
  "$bin/$name" --listen 127.0.0.1:0 "${extra[@]}" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  server_pid=$!
  url=""
  for _ in $(seq 1 100); do  # at most 10 s
    url=$(sed -n 's/^listening on \(ws:\/\/.*\)$/\1/p' "$tmp/$name.out")
    [ -n "$url" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "smoke: $name did not start"; cat "$tmp/$name.err"; exit 1
}

stop_server() {
  kill -TERM "$server_pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# check FILE WHAT: zero errors, zero lost, every connection authenticated.
check() {
  python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
what = sys.argv[2]
ok = r["errors"] == 0 and r["lost"] == 0 and r["connected"] == r["connections"]
if r["scenario"] == "traffic":
    ok = ok and r["received"] > 0 and r["received"] == r["expected"]
print("smoke: %-26s %s  connections=%d errors=%d lost=%d msgs/s=%.0f handshakes/s=%.0f%s" % (
    what, "ok  " if ok else "FAIL", r["connected"], r["errors"], r["lost"], r["messages_per_s"],
    r["handshakes_per_s"], "" if not r["error_detail"] else " detail=%s" % r["error_detail"]))
sys.exit(0 if ok else 1)
PY
}

status=0
for server in relay null_relay; do
  start_server "$server"
  timeout 30 "$bin/loadgen" --url "$url" --mode pairs --connections 40 --window 16 --payload 256 \
    --duration 5 --warmup 0 --relay-pid "$server_pid" --json "$tmp/pairs.json" --quiet || true
  check "$tmp/pairs.json" "$server pairs 5 s" || status=1
  timeout 30 "$bin/loadgen" --url "$url" --auth-only --connections 200 \
    --relay-pid "$server_pid" --json "$tmp/auth.json" --quiet || true
  check "$tmp/auth.json" "$server auth-only" || status=1
  if [ "$server" = relay ]; then  # the baseline has no binary dialect
    timeout 30 "$bin/loadgen" --url "$url" --mode fanout --devices 2 --connections 30 --rate 50 --payload 256 \
      --duration 5 --warmup 0 --binary --relay-pid "$server_pid" --json "$tmp/binary.json" --quiet || true
    check "$tmp/binary.json" "$server binary fanout 5 s" || status=1
  fi
  stop_server
done
exit $status
