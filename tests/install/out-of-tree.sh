#!/usr/bin/env bash
# `cmake --install` into a fresh temporary prefix, then examples/out_of_tree
# configured and built against that prefix alone, its two programs run
# against each other. Also: no installed text file names the build tree or
# the source tree.
#   out-of-tree.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(realpath "$1") source=$(realpath "$2")
work=$(mktemp -d /tmp/relay-out-of-tree.XXXXXX)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
prefix=$work/prefix
lib=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$build/CMakeCache.txt")

cmake --install "$build" --prefix "$prefix" >"$work/install.log"
echo "out-of-tree: installed $(find "$prefix" -type f | wc -l) files into the temporary prefix"
for f in bin/relay bin/relay-cli include/relay/version.hpp include/relay/client/connection.hpp \
         include/relay/net/server.hpp $lib/librelay_net.a $lib/librelay_client.a \
         $lib/cmake/relay/relayConfig.cmake $lib/cmake/relay/relayConfigVersion.cmake \
         $lib/cmake/relay/relayTargets.cmake $lib/cmake/relay/FindCAF.cmake $lib/pkgconfig/relay-client.pc; do
  [ -e "$prefix/$f" ] || { echo "out-of-tree: $f was not installed"; exit 1; }
done
# Nothing with an absolute path outside the prefix (the service files).
if [ -e "$prefix/etc" ] || find "$prefix" -name relay.service | grep -q .; then
  echo "out-of-tree: a plain install must not install the systemd files"; exit 1
fi
leaks=$(grep -rIl -e "$build" -e "$source" "$prefix" || true)
if [ -n "$leaks" ]; then
  echo "out-of-tree: installed files name the build or source tree:"; printf '  %s\n' $leaks
  grep -rIn -e "$build" -e "$source" $leaks | head -5
  exit 1
fi
echo "out-of-tree: no installed text file names $build or $source"

"$here/build-consumer.sh" "$source" "$prefix" "$work/consumer" "$lib"
"$here/run-consumer.sh" "$work/consumer"
