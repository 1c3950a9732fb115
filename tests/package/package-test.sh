#!/usr/bin/env bash
# The Debian packages end to end, on this machine: scripts/package builds
# relay and librelay-dev (lintian must report no error), their file lists and
# control fields are checked, `dpkg -i` installs both into /usr, the
# installed relay and relay-cli are used (a relay on a free loopback port, a
# pairing against it), the out-of-tree consumer is built against /usr, then
# `dpkg --purge` removes both and nothing named *relay* may be left in /etc,
# /usr, /lib or /var/lib.
#
# Changes the system while it runs, so: root (or passwordless sudo) only,
# else it is skipped (exit 77); one run at a time on the machine (a lock);
# packages left by an interrupted run are purged first; the trap purges and
# stops everything it started, also on failure. The installed service is
# never started here (no systemd running) and, where systemd runs, it is
# stopped by the purge; the test's own relay listens on a free port.
#   package-test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(realpath "$1") source=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
start=$SECONDS
say() { echo "package-test: [$((SECONDS - start)) s] $*"; }

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  sudo -n true 2>/dev/null || { say "needs root or passwordless sudo; skipped"; exit 77; }
  SUDO="sudo -n"
fi
packages=(relay librelay-dev)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "installed"; }
purge_all() {
  local p
  for p in "${packages[@]}"; do
    if dpkg-query -W "$p" >/dev/null 2>&1; then $SUDO dpkg --purge "$p" >/dev/null; fi
  done
}
# What the packages could leave behind (symlinks, state files included).
traces() {
  find /etc /usr /lib /var/lib/systemd /var/lib/dpkg/info -xdev -iname '*relay*' 2>/dev/null | sort
}

exec 9>/var/lock/relay-package-test.lock
flock -w 1200 9 || { say "another package test holds the lock for 20 minutes"; exit 1; }

work=$(mktemp -d /tmp/relay-package-test.XXXXXX)
relay_pid= listen_pid= lintian_pid=
cleanup() {
  local status=$?
  for pid in $listen_pid $relay_pid $lintian_pid; do kill "$pid" 2>/dev/null || true; done
  purge_all || true
  rm -rf "$work"
  say "finished in $((SECONDS - start)) s (status $status)"
}
trap cleanup EXIT

purge_all  # a run that was killed may have left them installed
traces >"$work/traces.before"

say "scripts/package"
BUILD_DIR=$build RELAY_PACKAGE_LINTIAN=0 "$source/scripts/package" 2>&1 | sed 's/^/  /'
relay_deb=$(ls "$build"/packages/relay_*.deb) dev_deb=$(ls "$build"/packages/librelay-dev_*.deb)
# lintian (what scripts/package runs last) reads only the .deb files: let it
# work on the second core while the rest of the test runs.
lintian --fail-on error "$relay_deb" "$dev_deb" >"$work/lintian.out" 2>&1 &
lintian_pid=$!
lib=/usr/$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$build/CMakeCache.txt")
version=$(sed -n 's/^project(relay VERSION \([0-9.]*\).*/\1/p' "$source/CMakeLists.txt")

fail() { say "FAIL: $*"; exit 1; }
contents() { dpkg-deb -c "$1" | awk '{ print $6 }' | sed 's|^\./|/|; s|/$||'; }
contents "$relay_deb" >"$work/relay.files"
contents "$dev_deb" >"$work/dev.files"
for f in /usr/bin/relay /usr/bin/relay-cli /usr/share/man/man1/relay.1.gz /usr/share/man/man1/relay-cli.1.gz \
         /lib/systemd/system/relay.service /etc/default/relay /usr/share/doc/relay/copyright \
         /usr/share/doc/relay/changelog.gz /usr/share/doc/relay/README.md \
         /usr/share/doc/relay/docs/operating.md; do
  grep -qxF "$f" "$work/relay.files" || fail "relay lacks $f"
done
for f in /usr/include/relay/version.hpp /usr/include/relay/actors/extensions.hpp \
         /usr/include/relay/net/server.hpp /usr/include/relay/client/connection.hpp \
         $lib/librelay_protocol.a $lib/librelay_actors.a $lib/librelay_net.a $lib/librelay_client.a \
         $lib/cmake/relay/relayConfig.cmake $lib/cmake/relay/relayConfigVersion.cmake \
         $lib/cmake/relay/relayTargets.cmake $lib/cmake/relay/FindCAF.cmake \
         $lib/pkgconfig/relay-client.pc /usr/share/doc/librelay-dev/copyright; do
  grep -qxF "$f" "$work/dev.files" || fail "librelay-dev lacks $f"
done
! grep -E '^/usr/(include|lib/.*\.a$)' "$work/relay.files" || fail "relay ships development files"
! grep -E '^/(usr/bin|etc|lib/systemd)/' "$work/dev.files" || fail "librelay-dev ships programs or service files"
say "file lists ok ($(grep -c . "$work/relay.files") and $(grep -c . "$work/dev.files") entries)"

depends=$(dpkg-deb -f "$relay_deb" Depends)
say "relay Depends: $depends"
for so in libcaf-core libcaf-io libcbor libsodium libssl3 libstdc++6 libc6 init-system-helpers; do
  grep -q "$so" <<<"$depends" || fail "relay's Depends lacks $so (dpkg-shlibdeps)"
done
# Cluster TLS is the relay's own gate (OpenSSL through Asio), not CAF's
# OpenSSL module: a Depends on it would mean a stale link.
if grep -q libcaf-openssl <<<"$depends"; then fail "relay's Depends names libcaf-openssl, which it no longer links"; fi
dev_depends=$(dpkg-deb -f "$dev_deb" Depends)
for dep in libcaf-dev libboost-system-dev libsodium-dev libcbor-dev libssl-dev pkg-config; do
  grep -q "$dep" <<<"$dev_depends" || fail "librelay-dev's Depends lacks $dep"
done
dpkg-deb --ctrl-tarfile "$relay_deb" | tar -xO ./conffiles | grep -qx /etc/default/relay || fail "/etc/default/relay is not a conffile"
mkdir "$work/unpacked"
dpkg-deb -x "$relay_deb" "$work/unpacked" && dpkg-deb -x "$dev_deb" "$work/unpacked"
leaks=$(grep -rIl -e "$build" -e "$source" "$work/unpacked" || true)
[ -z "$leaks" ] || fail "packaged text files name the build or source tree: $leaks"
grep -q '^ExecStart=/usr/bin/relay $RELAY_OPTS$' "$work/unpacked/lib/systemd/system/relay.service" || fail "unit: ExecStart"
grep -q '^EnvironmentFile=-/etc/default/relay$' "$work/unpacked/lib/systemd/system/relay.service" || fail "unit: EnvironmentFile"
grep -q '^RELAY_OPTS="--listen 127.0.0.1:' "$work/unpacked/etc/default/relay" || fail "the service is not bound to loopback by default"

say "dpkg -i"
$SUDO dpkg -i "$relay_deb" "$dev_deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i failed"; }
installed relay && installed librelay-dev || fail "not installed after dpkg -i"
got=$(/usr/bin/relay --version)
[[ $got == "relay $version (commit "*")" ]] || fail "/usr/bin/relay --version printed '$got'"
say "$got; $(/usr/bin/relay-cli --version)"
man -l /usr/share/man/man1/relay.1.gz 2>/dev/null | grep -q -- '--admin-listen' || zcat /usr/share/man/man1/relay.1.gz | grep -q 'admin\\-listen\|admin-listen' || fail "relay(1) lacks --admin-listen"
# Enabled on install (Debian's convention for services).
if [ -d /run/systemd/system ]; then
  systemctl is-enabled relay.service >/dev/null || fail "relay.service is not enabled"
else
  [ -L /etc/systemd/system/multi-user.target.wants/relay.service ] || fail "relay.service was not enabled"
  say "no systemd running: relay.service enabled, not started, install succeeded"
fi

# The installed relay with the packaged options, on a free port instead of 8080.
# shellcheck disable=SC1091
RELAY_OPTS=$(. /etc/default/relay && echo "$RELAY_OPTS")
# shellcheck disable=SC2086  # RELAY_OPTS is a list of words, as systemd splits it
/usr/bin/relay $RELAY_OPTS --listen 127.0.0.1:0 >"$work/relay.out" 2>"$work/relay.err" &
relay_pid=$!
url=
for _ in $(seq 100); do
  url=$(sed -n 's/^listening on \(ws:\/\/127\.0\.0\.1:[0-9]*\)$/\1/p' "$work/relay.out")
  [ -n "$url" ] && break
  kill -0 "$relay_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$url" ] || { cat "$work/relay.err"; fail "the installed relay did not start"; }
say "/usr/bin/relay on $url"

cli=/usr/bin/relay-cli
(cd "$work" && $cli keygen --out alice.key >/dev/null && $cli keygen --out bob.key >/dev/null)
timeout 30 $cli listen --url "$url" --key "$work/alice.key" --count 1 --timeout 20 >"$work/listen.out" 2>&1 &
listen_pid=$!
code=
for _ in $(seq 100); do
  code=$(sed -n 's/^code: //p' "$work/listen.out")
  [ -n "$code" ] && break
  sleep 0.1
done
[ -n "$code" ] || { cat "$work/listen.out"; fail "relay-cli listen printed no code"; }
echo "hello from bob" | timeout 20 $cli connect --url "$url" --key "$work/bob.key" --code "$code" >"$work/connect.out" 2>&1 ||
  { cat "$work/connect.out"; fail "relay-cli connect failed"; }
wait "$listen_pid" || { cat "$work/listen.out"; fail "relay-cli listen failed"; }
listen_pid=
grep -q ': hello from bob$' "$work/listen.out" || { cat "$work/listen.out"; fail "the message did not arrive"; }
say "relay-cli paired through code ${code:0:3}... and delivered a message"

"$source/tests/install/build-consumer.sh" "$source" system "$work/consumer" "${lib#/usr/}"
"$source/tests/install/run-consumer.sh" "$work/consumer"

kill -TERM "$relay_pid"; wait "$relay_pid" || fail "the installed relay did not exit 0 on SIGTERM"
relay_pid=

if wait "$lintian_pid"; then lintian_pid=; else lintian_pid=; cat "$work/lintian.out"; fail "lintian reports errors"; fi
findings=$(grep -v 'root privileges' "$work/lintian.out" || true)
say "lintian: no errors${findings:+, only:}"
[ -z "$findings" ] || printf '%s\n' "$findings"

say "dpkg --purge"
$SUDO dpkg --purge "${packages[@]}" >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg --purge failed"; }
for p in "${packages[@]}"; do ! dpkg-query -W "$p" >/dev/null 2>&1 || fail "$p is still known to dpkg"; done
traces >"$work/traces.after"
if ! diff "$work/traces.before" "$work/traces.after" >"$work/traces.diff"; then
  cat "$work/traces.diff"; fail "the purge left files behind"
fi
say "purged, nothing left behind"
