#!/usr/bin/env bash
# Builds bench_lora_step (Release) and times one training step of a
# MiniLM-L6-shaped encoder (batch 32 x 64 tokens, mean pooling, AdamW) with
# LoRA (rank 8 on query and value, backbone frozen) and with full fine-tuning,
# in adaptrec and in PyTorch with Hugging Face PEFT, for 1 and 2 threads, in
# float32 and (PRECISIONS="fp32 bf16") bf16 mixed precision; then
# prints a side-by-side table: median ms per step (wall / process CPU), the
# throughput ratio, GFLOP/s and peak memory. Every (framework, mode, precision, threads)
# case runs in its own process, so each peak is the case's own.
#
#   PYTHON=/tmp/torch-venv/bin/python benchmarks/run_lora_peers.sh
#   BUILD_DIR=build/x THREADS="2" MODES=lora WARMUP=2 STEPS=5 JOBS=1 \
#     benchmarks/run_lora_peers.sh --native
#
# PYTHON's environment needs torch, transformers and peft
# (/tmp/torch-venv/bin/pip install torch transformers peft). MiniLM comes from
# the adaptrec cache (scripts/fetch_minilm.sh); without it both sides time a
# randomly initialised model of the same config.
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
modes="${MODES:-lora full}"
precisions="${PRECISIONS:-fp32}"
warmup="${WARMUP:-3}"
steps="${STEPS:-10}"
python="${PYTHON:-/tmp/torch-venv/bin/python}"
jobs="${JOBS:-2}"
results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DADAPTREC_BUILD_BENCHMARKS=ON \
  -DADAPTREC_BUILD_TESTS=OFF -DADAPTREC_BUILD_EXAMPLES=OFF -DADAPTREC_INSTALL=OFF \
  -DADAPTREC_WITH_CUDA=OFF -DADAPTREC_BENCHMARK_NATIVE="$native" >/dev/null
cmake --build "$build" --target bench_lora_step -j"$jobs" >/dev/null

"$python" - "$python" <<'PY'
import re, sys
import peft, torch, transformers
config = torch.__config__.show()
mkl = re.search(r"Math Kernel Library Version ([^\s-]+)", config)
dnn = re.search(r"MKL-DNN (v[^\s]+)", config)
print(f"peer: {sys.argv[1]}, torch {torch.__version__}"
      + (f" (MKL {mkl.group(1)}" if mkl else " (")
      + (f", oneDNN {dnn.group(1)})" if dnn else ")")
      + f", CPU capability {torch.backends.cpu.get_cpu_capability()}, "
      f"transformers {transformers.__version__}, peft {peft.__version__}")
PY
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; adaptrec -march=native: $native;" \
  "warm-up $warmup, median of $steps steps; load before: $(cut -d' ' -f1-3 /proc/loadavg)"

for t in $threads; do
  for precision in $precisions; do
    for mode in $modes; do
      name="$mode"; [[ "$precision" == bf16 ]] && name="${mode}_bf16"
      "$build/benchmarks/bench_lora_step" --benchmark_filter="^lora_step/[^/]+/$name/threads:$t/" \
        --warmup="$warmup" --steps="$steps" --benchmark_format=json \
        >"$results/adaptrec_${name}_$t.json" 2>/dev/null
      "$python" "$here/peers/lora_step.py" --mode "$mode" --precision "$precision" --threads "$t" \
        --warmup "$warmup" --steps "$steps" >"$results/torch_${name}_$t.json"
    done
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" -c 'import json, sys; print("adaptrec " + json.load(open(sys.argv[1]))["context"]["cpu_backend"])' \
  "$(ls "$results"/adaptrec_*.json | head -n1)"

"$python" - "$results" "$threads" "$modes" "$precisions" <<'PY'
import json, sys

results, threads, base_modes, precisions = (sys.argv[1], sys.argv[2].split(),
                                            sys.argv[3].split(), sys.argv[4].split())
modes = [m if p == "fp32" else m + "_bf16" for p in precisions for m in base_modes]
rows = {}  # (threads, mode) -> {framework: record in peers/lora_step.py's fields}
for t in threads:
    for mode in modes:
        with open(f"{results}/adaptrec_{mode}_{t}.json") as f:
            (run,) = [r for r in json.load(f)["benchmarks"] if r.get("run_type") == "iteration"]
        adaptrec = {"ms": run["median_ms"], "cpu_ms": run["median_cpu_ms"],
                    "gflop": run["GFLOP"], "gflop_per_s": run["GFLOP/s"],
                    "first_loss": run["first_loss"], "weights": run["label"],
                    "trainable": run["trainable"], "step_peak_mib": run["step_peak_MiB"],
                    "peak_mib": run["peak_MiB"]}
        with open(f"{results}/torch_{mode}_{t}.json") as f:
            rows[(t, mode)] = {"adaptrec": adaptrec, "torch": json.loads(f.read())}

print("Per step: median wall / process CPU ms; speedup = PyTorch ms / adaptrec ms (above 1:")
print("adaptrec has the higher throughput), on wall-clock and on CPU time; memory in MiB:")
print("peak RSS during the steps above the RSS after loading, and the process's absolute peak.")
print(f"{'thr':>3} {'mode':<9} {'GFLOP':>6} {'adaptrec ms':>15} {'PyTorch ms':>15} "
      f"{'speedup':>11} {'GFLOP/s':>11} {'adaptrec MiB':>14} {'PyTorch MiB':>14} "
      f"{'loss(step 1)':>21} {'trainable':>9}")
for (t, mode), r in sorted(rows.items(), key=lambda kv: (int(kv[0][0]), kv[0][1])):
    a, p = r["adaptrec"], r["torch"]
    print(f"{t:>3} {mode:<9} {a['gflop']:>6.1f} {a['ms']:>7.1f}/{a['cpu_ms']:>7.1f} "
          f"{p['ms']:>7.1f}/{p['cpu_ms']:>7.1f} {p['ms'] / a['ms']:>5.2f}/"
          f"{p['cpu_ms'] / a['cpu_ms']:>5.2f} {a['gflop_per_s']:>5.1f}/{p['gflop_per_s']:>5.1f} "
          f"{a['step_peak_mib']:>6.0f}/{a['peak_mib']:>7.0f} "
          f"{p['step_peak_mib']:>6.0f}/{p['peak_mib']:>7.0f} "
          f"{a['first_loss']:>10.6f}/{p['first_loss']:>10.6f} {int(a['trainable']):>9}")
print(f"weights: adaptrec {sorted({r['adaptrec']['weights'] for r in rows.values()})}, "
      f"PyTorch {sorted({'weights=' + r['torch']['weights'] for r in rows.values()})}")

if "lora" in modes and "full" in modes:  # in float32
    print("LoRA against full fine-tuning in each framework (lora / full):")
    print(f"{'thr':>3} {'framework':<9} {'time':>6} {'step peak':>9} {'abs peak':>8}")
    for t in sorted(threads, key=int):
        for side in ("adaptrec", "torch"):
            lora, full = rows[(t, "lora")][side], rows[(t, "full")][side]
            print(f"{t:>3} {side:<9} {lora['ms'] / full['ms']:>6.2f} "
                  f"{lora['step_peak_mib'] / full['step_peak_mib']:>9.2f} "
                  f"{lora['peak_mib'] / full['peak_mib']:>8.2f}")
PY
