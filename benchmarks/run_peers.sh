#!/usr/bin/env bash
# Builds the adaptrec benchmarks (Release) and times one training step of the
# two-tower and DCN example models in adaptrec and in PyTorch, for 1 and 2
# threads, then prints a side-by-side table (median of REPEATS runs each).
#
#   benchmarks/run_peers.sh                  # build/bench, default flags
#   benchmarks/run_peers.sh --native         # build/bench-native, -march=native
#   PYTHON=/tmp/torch-venv/bin/python benchmarks/run_peers.sh   # PyPI torch (MKL)
#   BUILD_DIR=build/x THREADS="1" REPEATS=5 JOBS=2 PYTHON=/usr/bin/python3 \
#     PEER_ARGS="--warmup 10 --steps 30 --repeats 5" benchmarks/run_peers.sh
#
# PYTHON picks the interpreter whose `torch` is the peer (default /usr/bin/python3:
# Debian's python3-torch, reference BLAS). For the fair peer, PyPI's wheel:
#   python3 -m venv /tmp/torch-venv && /tmp/torch-venv/bin/pip install torch numpy
# The script prints the torch version and BLAS backend it used before the table.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
native=OFF
build="${BUILD_DIR:-$root/build/bench}"
if [[ "${1:-}" == "--native" ]]; then
  native=ON
  build="${BUILD_DIR:-$root/build/bench-native}"
fi
threads="${THREADS:-1 2}"
repeats="${REPEATS:-3}"
python="${PYTHON:-/usr/bin/python3}"
jobs="${JOBS:-2}"
peer_args="${PEER_ARGS:---warmup 5 --steps 10 --repeats 3}"
results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DADAPTREC_BUILD_BENCHMARKS=ON \
  -DADAPTREC_BUILD_TESTS=OFF -DADAPTREC_BUILD_EXAMPLES=OFF -DADAPTREC_INSTALL=OFF \
  -DADAPTREC_WITH_CUDA=OFF -DADAPTREC_BENCHMARK_NATIVE="$native" >/dev/null
cmake --build "$build" --target bench_train_step -j"$jobs" >/dev/null

# Which PyTorch is the peer: version, BLAS, oneDNN, CPU capability (before timing,
# so that a broken interpreter fails fast).
"$python" - "$python" <<'PY'
import re, sys
import torch
config = torch.__config__.show()
blas = re.search(r"BLAS_INFO=([^,\s]+)", config)
mkl = re.search(r"Math Kernel Library Version ([^\s-]+)", config)
dnn = re.search(r"MKL-DNN (v[^\s]+)", config)
capability = torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else \
    re.search(r"CPU capability usage: (\S+)", config).group(1)
print(f"peer: {sys.argv[1]} (Python {sys.version.split()[0]}), torch {torch.__version__}, "
      f"BLAS_INFO={blas.group(1) if blas else '?'}"
      + (f" (MKL {mkl.group(1)})" if mkl else "")
      + (f", oneDNN {dnn.group(1)}" if dnn else "") + f", CPU capability {capability}")
PY

for t in $threads; do
  "$build/benchmarks/bench_train_step" --benchmark_filter="/threads:$t/" \
    --benchmark_repetitions="$repeats" --benchmark_min_time=1 \
    --benchmark_format=json >"$results/adaptrec_$t.json" 2>/dev/null
  for model in two_tower dcn; do
    for _ in $(seq "$repeats"); do
      "$python" "$here/peers/${model}_step.py" --threads "$t" $peer_args >>"$results/torch_${model}_$t.jsonl"
    done
  done
done

"$python" - "$results" "$threads" <<'PY'
import json, statistics, sys

# Wall-clock is what a user waits; process CPU time (all threads) is steadier
# on a shared machine, where a busy neighbour stretches wall-clock only.
results, threads = sys.argv[1], sys.argv[2].split()
print(f"{'model':<10} {'threads':>7} {'adaptrec ms':>12} {'PyTorch ms':>11} {'ratio a/t':>10} "
      f"{'speedup':>8} {'adaptrec cpu ms':>16} {'PyTorch cpu ms':>15} {'cpu ratio':>10}")
for model, bench in (("two_tower", "two_tower_step"), ("dcn", "dcn_step")):
    for t in threads:
        with open(f"{results}/adaptrec_{t}.json") as f:
            runs = [r for r in json.load(f)["benchmarks"]
                    if r["run_name"].startswith(bench + "/") and r.get("run_type") == "iteration"]
        with open(f"{results}/torch_{model}_{t}.jsonl") as f:
            theirs = [json.loads(line) for line in f]
        a = statistics.median(r["real_time"] for r in runs)
        a_cpu = statistics.median(r["cpu_time"] for r in runs)
        p = statistics.median(r["ms_per_step"] for r in theirs)
        p_cpu = statistics.median(r["cpu_ms_per_step"] for r in theirs)
        print(f"{model:<10} {t:>7} {a:>12.2f} {p:>11.2f} {a / p:>10.2f} {p / a:>7.2f}x "
              f"{a_cpu:>16.2f} {p_cpu:>15.2f} {a_cpu / p_cpu:>10.2f}")
PY
