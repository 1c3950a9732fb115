#!/usr/bin/env bash
# `relay --version` and `relay-cli --version` print "NAME VERSION (commit C)":
# VERSION is the top-level project()'s, C the checkout's HEAD (12 hex digits)
# when the sources are a git checkout, else "unknown".
#   check-version.sh RELAY RELAY_CLI EXPECTED_VERSION SOURCE_DIR
set -euo pipefail
relay=$1 cli=$2 version=$3 source=$4
if commit=$(git -C "$source" rev-parse --short=12 HEAD 2>/dev/null); then :; else commit=unknown; fi
status=0
for pair in "relay:$relay" "relay-cli:$cli"; do
  name=${pair%%:*} bin=${pair#*:}
  expected="$name $version (commit $commit)"
  got=$("$bin" --version)
  if [ "$got" = "$expected" ]; then
    echo "check-version: $name ok: $got"
  else
    echo "check-version: $name printed '$got', expected '$expected'"
    status=1
  fi
done
exit $status
