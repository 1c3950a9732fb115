#!/usr/bin/env bash
# Checks that the example unit's ExecStart still matches the relay binary:
# every --flag in it (and in the commented native-TLS line) is listed by
# `relay --help`, and the ExecStart arguments parse (the relay validates the
# flags before a trailing --help, which then exits 0 without serving).
# If systemd-analyze is installed, `systemd-analyze verify` runs on a copy
# pointing at RELAY_BINARY; its findings are printed but never fail the check.
#   examples/systemd/check-flags.sh RELAY_BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
unit=$here/relay.service
relay=${1:?usage: check-flags.sh RELAY_BINARY}
[ -x "$relay" ] || { echo "check-flags: $relay is not executable"; exit 1; }

help=$("$relay" --help)
# ExecStart with its continuation lines joined, minus the program path.
exec_args=$(awk '/^ExecStart=/ { on = 1 } on { line = $0; more = sub(/\\$/, "", line); printf "%s ", line;
  if (!more) exit }' "$unit" | sed 's/^ExecStart=[^ ]*//')
# Flags on commented lines that document optional setups (e.g. native TLS).
commented=$(sed -n 's/^#.*add to ExecStart://p' "$unit")
# The Debian package's unit takes its flags from /etc/default/relay instead.
defaults=$here/../../packaging/default-relay
package_args=$(sed -n 's/^RELAY_OPTS="\(.*\)"$/\1/p' "$defaults")
[ -n "$package_args" ] || { echo "check-flags: no RELAY_OPTS in $defaults"; exit 1; }

status=0
for flag in $(printf '%s %s %s\n' "$exec_args" "$commented" "$package_args" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
  if grep -qE -- "^ *$flag( |$)" <<<"$help"; then
    echo "check-flags: $flag ok"
  else
    echo "check-flags: $flag is used in relay.service but not listed by relay --help"
    status=1
  fi
done

# shellcheck disable=SC2086  # the unit's arguments are plain words
if out=$("$relay" $exec_args --help 2>&1 >/dev/null); then
  echo "check-flags: ExecStart arguments parse"
else
  echo "check-flags: relay rejects the ExecStart arguments: $out"
  status=1
fi
# shellcheck disable=SC2086
if out=$("$relay" $package_args --help 2>&1 >/dev/null); then
  echo "check-flags: RELAY_OPTS of packaging/default-relay parse"
else
  echo "check-flags: relay rejects RELAY_OPTS of packaging/default-relay: $out"
  status=1
fi

if command -v systemd-analyze >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  sed "s|^ExecStart=[^ ]*|ExecStart=$(cd "$(dirname "$relay")" && pwd)/$(basename "$relay")|" "$unit" >"$tmp/relay.service"
  if verify=$(systemd-analyze verify "$tmp/relay.service" 2>&1); then
    echo "check-flags: systemd-analyze verify: clean"
  else
    echo "check-flags: systemd-analyze verify (informational, not a failure):"
    printf '%s\n' "$verify" | sed 's/^/  /'
  fi
fi
exit $status
