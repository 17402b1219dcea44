#!/usr/bin/env bash
# Builds adaptrec and runs its tests, from a fresh Debian 12 machine on: installs
# what is missing, configures a Release build in $BUILD_DIR (default
# build/release), builds with all cores and runs ctest. Arguments go to ctest,
# e.g. `bash scripts/test.sh -L unit` or `-R layers`.
set -euo pipefail
# shellcheck source=scripts/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

adaptrec_install_system_packages
adaptrec_install_python_tools
adaptrec_configure
adaptrec_build --target all
say "running the tests"
run ctest --test-dir "$BUILD_DIR" --output-on-failure "$@"
