#!/usr/bin/env bash
# Configures and builds examples/out_of_tree against one installed relay
# only: PREFIX (an install prefix), or "system" for the librelay-dev package
# in /usr. Checks that find_package(relay) found that one and no other (no
# package registry, no build tree), then builds shout_client a second time
# with plain g++ and `pkg-config relay-client`.
#   build-consumer.sh SOURCE_DIR PREFIX|system WORK_DIR LIBDIR
# LIBDIR: the install's library directory below the prefix, e.g.
# lib/x86_64-linux-gnu (CMAKE_INSTALL_LIBDIR of the relay's build).
# Leaves WORK_DIR/build/{shout_relay,shout_client} and WORK_DIR/shout_client_pc.
set -euo pipefail
source_dir=$1 prefix=$2 work=$3 libdir=$4
mkdir -p "$work"
# A copy outside the checkout: the consumer cannot reach into the tree.
rm -rf "$work/src" "$work/build"
cp -r "$source_dir/examples/out_of_tree" "$work/src"
# ccache hits across runs need paths relative to one base (the work dir).
export CCACHE_BASEDIR=$work CCACHE_NOHASHDIR=1
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
args=(-S "$work/src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}"
      -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
if [ "$prefix" = system ]; then
  expected_dir=/usr/$libdir/cmake/relay
  pc_path=
else
  args+=(-DCMAKE_PREFIX_PATH="$prefix")
  expected_dir=$prefix/$libdir/cmake/relay
  pc_path=$prefix/$libdir/pkgconfig
fi
configure_log=$(cmake "${args[@]}" 2>&1) || { printf '%s\n' "$configure_log"; exit 1; }
found=$(sed -n 's/^-- relay \([0-9.]*\) from //p' <<<"$configure_log")
if [ "$(realpath -m "$found")" != "$(realpath -m "$expected_dir")" ]; then
  echo "build-consumer: find_package(relay) used '$found', expected $expected_dir"
  exit 1
fi
echo "build-consumer: find_package(relay) found $found"
cmake --build "$work/build" -j "${JOBS:-2}" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

# pkg-config: the client library without CMake.
cflags_libs=$(PKG_CONFIG_PATH=$pc_path pkg-config --cflags --libs relay-client)
echo "build-consumer: pkg-config relay-client: $cflags_libs"
# shellcheck disable=SC2086  # pkg-config output is a list of words
(cd "$work" && ${launcher:+ccache} g++ -O1 -o shout_client_pc src/shout_client.cpp $cflags_libs)
echo "build-consumer: built shout_relay, shout_client and shout_client_pc"
