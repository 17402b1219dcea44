#!/usr/bin/env bash
# Runs `conan create` on adaptrec's recipe, with test_package, in a Conan home
# inside the build folder (never ~/.conan2) and with every remote disabled: the
# recipe needs nothing from ConanCenter.
#
# Usage: conan_create.sh <adaptrec source dir> <build dir>
# The conan client is $CONAN, else <build dir>/venv/bin/conan (where
# scripts/test.sh installs it), else conan on PATH. Without one the test is
# skipped (exit 77), or fails when CI=true.
set -euo pipefail
source_dir=$1 build_dir=$2
cmake=${CMAKE:-cmake}

conan=${CONAN:-}
if [[ -z $conan && -x $build_dir/venv/bin/conan ]]; then
  conan=$build_dir/venv/bin/conan
fi
if [[ -z $conan ]]; then
  conan=$(command -v conan || true)
fi
if [[ -z $conan ]]; then
  reason="no conan client (looked at \$CONAN, $build_dir/venv/bin/conan and PATH;"
  reason+=" scripts/test.sh installs one with pip into <build dir>/venv)"
  if [[ ${CI:-} == true ]]; then
    echo "FAIL: $reason" >&2
    exit 1
  fi
  echo "SKIP: $reason"
  exit 77
fi

step() { echo "+ $*"; "$@"; }

version=$("$conan" --version)
[[ $version == "Conan version 2."* ]] || { echo "FAIL: $conan is '$version', not Conan 2" >&2; exit 1; }

export CONAN_HOME=$build_dir/conan-home
step "$conan" profile detect --force
step "$conan" remote disable "*"
# Older revisions of the recipe would only pile up: each run creates afresh.
step "$conan" remove "adaptrec/*" --confirm
# test_package builds outside the source tree, with the same CMake as adaptrec.
step "$conan" create "$source_dir" \
  -c tools.cmake:cmake_program="$cmake" \
  -c tools.cmake.cmake_layout:test_folder="$build_dir/conan-test-package"
echo "OK: conan create passed"
