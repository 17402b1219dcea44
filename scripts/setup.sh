# shellcheck shell=bash
# Sourced by scripts/test.sh and scripts/demo.sh (not run on its own): the
# steps both share on a fresh Debian 12 machine. Each step prints what it does
# and costs nothing when its work is already done.
#
# Environment: BUILD_DIR (default build/release), ADAPTREC_CMAKE_ARGS (extra
# configure arguments, e.g. "-DADAPTREC_BUILD_BENCHMARKS=OFF"), CI (true makes
# optional steps mandatory).

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$repo_root/build/release}
mkdir -p "$BUILD_DIR"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)

say() { printf '==> %s\n' "$*"; }
run() {
  printf '+ %s\n' "$*"
  "$@"
}

# The Debian packages adaptrec's build, tests, examples and benchmarks need.
# Tools count as present when on PATH, whatever installed them.
adaptrec_install_system_packages() {
  local missing=() tool package
  for tool in cmake g++ make; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  # For the virtual environment of adaptrec_install_python_tools.
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    missing+=(python3-venv)
  fi
  if command -v dpkg >/dev/null 2>&1; then
    for package in libeigen3-dev librange-v3-dev libboost-test-dev libbenchmark-dev libdnnl-dev; do
      dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
  else
    say "no dpkg: not a Debian system, leaving it to CMake to find Eigen, range-v3, Boost.Test and Google Benchmark"
  fi
  if ((${#missing[@]} == 0)); then
    say "system packages: all present"
    return
  fi

  local sudo=()
  if [[ $(id -u) != 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo)
    else
      echo "error: missing ${missing[*]}; as root run: apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  say "installing missing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! run "${sudo[@]}" apt-get install -y "${missing[@]}"; then
    say "apt-get install failed; refreshing the package lists and trying again"
    run "${sudo[@]}" apt-get update
    run "${sudo[@]}" apt-get install -y "${missing[@]}"
  fi
}

# Python tools (the Conan 2 client, for the `conan` test) in a virtual
# environment inside the build folder, where tests/packaging/conan_create.sh
# looks. Without network access this is fatal only when CI=true; otherwise
# the conan test reports itself skipped.
adaptrec_install_python_tools() {
  local venv=$BUILD_DIR/venv
  if [[ -x $venv/bin/conan ]] && "$venv/bin/conan" --version 2>/dev/null | grep -q '^Conan version 2\.'; then
    say "python tools: conan present in $venv"
    return
  fi
  say "installing the Conan 2 client into $venv"
  if run python3 -m venv "$venv" && run "$venv/bin/python" -m pip install --quiet 'conan>=2,<3'; then
    return
  fi
  if [[ ${CI:-} == true ]]; then
    echo "error: could not install conan into $venv" >&2
    exit 1
  fi
  say "warning: could not install conan; the conan test will be skipped"
}

adaptrec_configure() {
  say "configuring adaptrec (Release) in $BUILD_DIR"
  # shellcheck disable=SC2086  # ADAPTREC_CMAKE_ARGS is a list of arguments
  run cmake -S "$repo_root" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release ${ADAPTREC_CMAKE_ARGS:-}
}

# Builds with all cores; arguments go to `cmake --build` (e.g. --target NAME).
adaptrec_build() {
  local jobs
  jobs=$(nproc 2>/dev/null || echo 2)
  say "building${*:+ ($*)} with $jobs jobs"
  run cmake --build "$BUILD_DIR" -j"$jobs" "$@"
}
