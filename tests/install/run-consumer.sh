#!/usr/bin/env bash
# Runs the out-of-tree consumer's two programs against each other over
# loopback: shout_relay (a relay with a service actor of its own) on a free
# port, then each client binary sends a text to the service and must get it
# back in capitals. The relay must then stop cleanly on SIGTERM (status 0).
#   run-consumer.sh WORK_DIR    (as left by build-consumer.sh)
set -euo pipefail
work=$1
out=$work/shout_relay.out
relay_pid=
cleanup() { [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null || true; }
trap cleanup EXIT
"$work/build/shout_relay" --listen 127.0.0.1:0 >"$out" 2>"$work/shout_relay.err" &
relay_pid=$!
url= service=
for _ in $(seq 100); do  # 10 s at most
  url=$(sed -n 's/^listening on \(ws:\/\/127\.0\.0\.1:[0-9]*\)$/\1/p' "$out")
  service=$(sed -n 's/^service: \([0-9a-f]\{64\}\)$/\1/p' "$out")
  [ -n "$url" ] && [ -n "$service" ] && break
  kill -0 "$relay_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ] || [ -z "$service" ]; then
  echo "run-consumer: shout_relay did not start:"; cat "$out" "$work/shout_relay.err"; exit 1
fi
echo "run-consumer: shout_relay on $url, service $service"
for client in "$work/build/shout_client" "$work/shout_client_pc"; do
  reply=$(timeout 20 "$client" "$url" "$service" "hello from $(basename "$client")")
  expected="reply: HELLO FROM $(basename "$client" | tr '[:lower:]' '[:upper:]')"
  if [ "$reply" != "$expected" ]; then
    echo "run-consumer: $(basename "$client") got '$reply', expected '$expected'"; exit 1
  fi
  echo "run-consumer: $(basename "$client"): $reply"
done
kill -TERM "$relay_pid"
status=0
timeout 10 tail --pid="$relay_pid" -f /dev/null || { echo "run-consumer: shout_relay ignored SIGTERM"; exit 1; }
wait "$relay_pid" || status=$?
relay_pid=
[ "$status" -eq 0 ] || { echo "run-consumer: shout_relay exited with $status after SIGTERM"; exit 1; }
echo "run-consumer: ok"
