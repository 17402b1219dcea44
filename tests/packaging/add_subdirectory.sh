#!/usr/bin/env bash
# Configures, builds and runs tests/packaging/subproject, which adds adaptrec's
# source tree with add_subdirectory and links adaptrec::adaptrec.
#
# Usage: add_subdirectory.sh <adaptrec source dir> <work dir> <ADAPTREC_WITH_CUDA>
# The environment may name the tools: CMAKE (default cmake), CXX, CMAKE_GENERATOR.
set -euo pipefail
source_dir=$1 work=$2 with_cuda=$3
cmake=${CMAKE:-cmake}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

step() { echo "+ $*"; "$@"; }

rm -rf "$work"
mkdir -p "$work"
step "$cmake" -S "$here/subproject" -B "$work/build" -DCMAKE_BUILD_TYPE=Debug \
  -DADAPTREC_SOURCE_DIR="$source_dir" -DADAPTREC_WITH_CUDA="$with_cuda"
step "$cmake" --build "$work/build"
step "$work/build/downstream"
echo "OK: adaptrec works through add_subdirectory"
