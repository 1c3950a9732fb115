#!/usr/bin/env bash
# Starts a 3-node relay cluster on loopback and prints where clients go.
# Stop it with Ctrl-C (every node gets SIGTERM, closes its clients with 1001
# and tells the others it leaves; no drain period: no load balancer here).
#
#   examples/cluster/start-cluster.sh [BIN_DIR]      (default: build/bin)
set -euo pipefail
bin=${1:-"$(dirname "$0")/../../build/bin"}
relay="$bin/relay"
[ -x "$relay" ] || { echo "no relay at $relay: build first (scripts/build)" >&2; exit 1; }

pids=()
trap 'kill -TERM "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM

# Node A is the one the others join first; B and C learn each other from A.
"$relay" --listen 127.0.0.1:8081 --cluster-listen 127.0.0.1:7081 --node-name a --drain-seconds 0 &
pids+=($!)
sleep 0.5
"$relay" --listen 127.0.0.1:8082 --cluster-listen 127.0.0.1:7082 --node-name b --peer 127.0.0.1:7081 --drain-seconds 0 &
pids+=($!)
"$relay" --listen 127.0.0.1:8083 --cluster-listen 127.0.0.1:7083 --node-name c --peer 127.0.0.1:7081 --drain-seconds 0 &
pids+=($!)
sleep 1

cat <<'TXT'

A 3-node cluster is running (plain links: loopback only).
Point clients at any node; every identity is reachable from every node:
  ws://127.0.0.1:8081   ws://127.0.0.1:8082   ws://127.0.0.1:8083
Try it:
  build/bin/relay-cli keygen --out /tmp/alice.key
  build/bin/relay-cli keygen --out /tmp/bob.key
  build/bin/relay-cli listen  --url ws://127.0.0.1:8081 --key /tmp/alice.key        # prints a code
  build/bin/relay-cli connect --url ws://127.0.0.1:8083 --key /tmp/bob.key --code CODE
Press Ctrl-C to stop the cluster.
TXT
wait
