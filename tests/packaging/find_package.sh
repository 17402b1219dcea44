#!/usr/bin/env bash
# Installs adaptrec into a fresh prefix, then configures, builds and runs
# tests/packaging/downstream, which calls find_package(adaptrec 0.1 CONFIG
# REQUIRED), against it. Also checks that asking for 0.2 or 1.0 is refused.
#
# Usage: find_package.sh <adaptrec source dir> <work dir> <ADAPTREC_WITH_CUDA>
# The environment may name the tools: CMAKE (default cmake), CXX, CMAKE_GENERATOR.
set -euo pipefail
source_dir=$1 work=$2 with_cuda=$3
cmake=${CMAKE:-cmake}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prefix=$work/prefix
package_dir=$prefix/share/cmake/adaptrec

step() { echo "+ $*"; "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work"

step "$cmake" -S "$source_dir" -B "$work/adaptrec-build" -DADAPTREC_WITH_CUDA="$with_cuda" \
  -DADAPTREC_BUILD_TESTS=OFF -DADAPTREC_BUILD_EXAMPLES=OFF -DADAPTREC_BUILD_BENCHMARKS=OFF
step "$cmake" --install "$work/adaptrec-build" --prefix "$prefix" >/dev/null

for file in adaptrecConfig.cmake adaptrecConfigVersion.cmake adaptrecTargets.cmake; do
  [[ -f $package_dir/$file ]] || fail "the install has no $package_dir/$file"
done
[[ -f $prefix/include/adaptrec/layers/linear.hpp ]] || fail "the install has no headers"
# The installed package must stand alone, not point back into the source tree.
if grep -rlF "$source_dir" "$package_dir"; then
  fail "the installed CMake package refers to the source tree $source_dir"
fi

step "$cmake" -S "$here/downstream" -B "$work/downstream-build" -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_PREFIX_PATH="$prefix"
grep -qxF "adaptrec_DIR:PATH=$package_dir" "$work/downstream-build/CMakeCache.txt" ||
  fail "find_package found adaptrec elsewhere: $(grep '^adaptrec_DIR' "$work/downstream-build/CMakeCache.txt")"
step "$cmake" --build "$work/downstream-build"
step "$work/downstream-build/downstream"

# The version file must refuse newer minor and major versions. The check
# happens before adaptrecConfig.cmake is read, so no language is needed.
for version in 0.2 1.0; do
  project=$work/version-$version
  mkdir -p "$project"
  cat >"$project/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(adaptrec_version_check LANGUAGES NONE)
find_package(adaptrec $version CONFIG REQUIRED)
CMAKE
  echo "+ find_package(adaptrec $version CONFIG REQUIRED) must fail"
  if "$cmake" -S "$project" -B "$project/build" -DCMAKE_PREFIX_PATH="$prefix" >"$project/log" 2>&1; then
    cat "$project/log"
    fail "find_package(adaptrec $version) accepted adaptrec 0.1"
  fi
  if ! grep -qF "requested version \"$version\"" "$project/log"; then
    cat "$project/log"
    fail "find_package(adaptrec $version) failed for another reason than the version"
  fi
done
# A missing dependency must leave adaptrec "not found", naming the dependency
# (find_dependency), rather than break later at a missing imported target.
project=$work/missing-dependency
mkdir -p "$project"
cat >"$project/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(adaptrec_missing_dependency LANGUAGES NONE)
find_package(adaptrec 0.1 CONFIG)
if(adaptrec_FOUND OR TARGET adaptrec::adaptrec)
  message(FATAL_ERROR "adaptrec was found although Eigen3 was not")
endif()
CMAKE
echo "+ find_package(adaptrec 0.1 CONFIG) with Eigen3 disabled must report adaptrec not found"
if ! "$cmake" -S "$project" -B "$project/build" -DCMAKE_PREFIX_PATH="$prefix" \
     -DCMAKE_DISABLE_FIND_PACKAGE_Eigen3=TRUE >"$project/log" 2>&1 ||
   ! grep -qF "dependency Eigen3 could not be found" "$project/log"; then
  cat "$project/log"
  fail "find_package(adaptrec) without Eigen3 did not report adaptrec not found because of Eigen3"
fi
echo "OK: installed adaptrec works through find_package, refuses 0.2 and 1.0, names missing dependencies"
