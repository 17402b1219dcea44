#!/usr/bin/env bash
# Builds and runs the main example, examples/movielens_two_tower, on the
# MovieLens data in $ADAPTREC_DATA (default ../shared/data beside the
# repository). Installs what a fresh Debian 12 machine is missing first, and
# builds in $BUILD_DIR (default build/release). Arguments go to the example.
set -euo pipefail
# shellcheck source=scripts/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

ADAPTREC_DATA=${ADAPTREC_DATA:-$repo_root/../shared/data}
if [[ ! -d $ADAPTREC_DATA ]]; then
  echo "error: no data folder at $ADAPTREC_DATA; set ADAPTREC_DATA to the folder holding ml-100k/" >&2
  exit 1
fi
ADAPTREC_DATA=$(cd "$ADAPTREC_DATA" && pwd)
export ADAPTREC_DATA

adaptrec_install_system_packages
adaptrec_configure
adaptrec_build --target movielens_two_tower
say "running the two-tower example on $ADAPTREC_DATA"
run "$BUILD_DIR/examples/movielens_two_tower" --data "$ADAPTREC_DATA" "$@"
