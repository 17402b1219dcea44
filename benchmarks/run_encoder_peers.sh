#!/usr/bin/env bash
# Builds bench_encoder_forward (Release) and times BERT encoder inference
# (MiniLM-L6 and BERT-base shapes, batch 32) and the tokenizer in adaptrec, in
# PyTorch (eager float32 and bf16 autocast) and in ONNX Runtime (float32 and
# dynamically quantized int8), for 1 and 2 threads, then prints a side-by-side
# table with ratios (wall-clock and process CPU time, medians of REPEATS).
#
#   PYTHON=/tmp/torch-venv/bin/python benchmarks/run_encoder_peers.sh
#   BUILD_DIR=build/x THREADS="1" REPEATS=3 MODELS=minilm_l6 CASES=full_128 \
#     BACKENDS=torch_fp32,ort_fp32 benchmarks/run_encoder_peers.sh --native
#
# PYTHON's environment needs torch, transformers and onnxruntime (and onnx,
# onnxscript for the export): /tmp/torch-venv/bin/pip install onnxruntime onnx onnxscript.
# The ONNX files are exported once into $ONNX_CACHE (default build/encoder-onnx).
# MiniLM comes from the adaptrec cache (scripts/fetch_minilm.sh).
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
warmup="${WARMUP:-1}"
python="${PYTHON:-/tmp/torch-venv/bin/python}"
jobs="${JOBS:-2}"
models="${MODELS:-minilm_l6,bert_base}"
cases="${CASES:-full_128,titles_pad128,titles_longest}"
backends="${BACKENDS:-torch_fp32,torch_bf16,ort_fp32,ort_int8}"
onnx_cache="${ONNX_CACHE:-$root/build/encoder-onnx}"
results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DADAPTREC_BUILD_BENCHMARKS=ON \
  -DADAPTREC_BUILD_TESTS=OFF -DADAPTREC_BUILD_EXAMPLES=OFF -DADAPTREC_INSTALL=OFF \
  -DADAPTREC_WITH_CUDA=OFF -DADAPTREC_BENCHMARK_NATIVE="$native" >/dev/null
cmake --build "$build" --target bench_encoder_forward -j"$jobs" >/dev/null

"$python" - "$python" <<'PY'
import re, sys
import onnxruntime, torch, transformers
config = torch.__config__.show()
mkl = re.search(r"Math Kernel Library Version ([^\s-]+)", config)
dnn = re.search(r"MKL-DNN (v[^\s]+)", config)
print(f"peers: {sys.argv[1]}, torch {torch.__version__}"
      + (f" (MKL {mkl.group(1)}" if mkl else " (")
      + (f", oneDNN {dnn.group(1)})" if dnn else ")")
      + f", CPU capability {torch.backends.cpu.get_cpu_capability()}, "
      f"transformers {transformers.__version__}, onnxruntime {onnxruntime.__version__}")
PY
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# The adaptrec filter: the chosen models and cases, and the tokenizer.
filter="^(encoder_forward(_fp32|_bf16|_int8)?/(${models//,/|})/(${cases//,/|})|tokenizer/)"
for t in $threads; do
  "$build/benchmarks/bench_encoder_forward" --benchmark_filter="$filter.*/threads:$t/" \
    --benchmark_repetitions="$repeats" --benchmark_min_time=0.5 \
    --benchmark_format=json >"$results/adaptrec_$t.json" 2>/dev/null
  "$python" "$here/peers/encoder_forward.py" --threads "$t" --repeats "$repeats" \
    --warmup "$warmup" --models "$models" --cases "$cases" --backends "$backends" \
    --tokenizer --onnx-cache "$onnx_cache" >"$results/peers_$t.jsonl"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

"$python" - "$results" "$threads" "$backends" <<'PY'
import json, re, statistics, sys

results, threads, backends = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(",")
rows = {}  # (bench, model, case, threads) -> {side: (wall ms, cpu ms)}
for t in threads:
    with open(f"{results}/adaptrec_{t}.json") as f:
        runs = [r for r in json.load(f)["benchmarks"] if r.get("run_type") == "iteration"]
    by_name = {}
    for r in runs:
        by_name.setdefault(r["run_name"], []).append(r)
    for name, reps in by_name.items():
        parts = name.split("/")
        is_encoder = parts[0].startswith("encoder_forward")
        key = ("encoder_forward", parts[1], parts[2], t) if is_encoder \
            else ("tokenizer", "tokenizer", "titles_100k", t)
        # encoder_forward_bf16 -> adaptrec_bf16 (packed); plain encoder_forward is
        # the float32 training path, encoder_forward_fp32 the packed float32 one.
        side = "adaptrec" + parts[0][len("encoder_forward"):] if is_encoder else "adaptrec"
        rows.setdefault(key, {})[side] = (statistics.median(r["real_time"] for r in reps),
                                          statistics.median(r["cpu_time"] for r in reps))
    with open(f"{results}/peers_{t}.jsonl") as f:
        for line in f:
            p = json.loads(line)
            key = ("encoder_forward", p["model"], p["case"], t) if p["bench"] == "encoder_forward" \
                else ("tokenizer", "tokenizer", "titles_100k", t)
            rows.setdefault(key, {})[p["backend"]] = (p["ms"], p["cpu_ms"])

peers = backends + ["hf_fast"]
print("Milliseconds per batch of 32 (tokenizer: per 100,000 titles), median wall / process CPU;")
print("ratio = adaptrec / peer (below 1: adaptrec faster), on wall-clock and on CPU time.")
header = f"{'model':<10} {'case':<15} {'thr':>3} {'ours':<13} {'ms':>17}"
for p in peers:
    header += f" {p:>17} {'ratio':>11}"
print(header)
for key in sorted(rows):
    sides = rows[key]
    if "adaptrec" not in sides:
        continue
    for ours in ("adaptrec", "adaptrec_fp32", "adaptrec_bf16", "adaptrec_int8"):
        if ours not in sides:
            continue
        a = sides[ours]
        line = f"{key[1]:<10} {key[2]:<15} {key[3]:>3} {ours:<13} {a[0]:>8.1f}/{a[1]:>8.1f}"
        for p in peers:
            if p in sides:
                w, c = sides[p]
                line += f" {w:>8.1f}/{c:>8.1f} {a[0] / w:>5.2f}/{a[1] / c:>5.2f}"
            else:
                line += f" {'-':>17} {'-':>11}"
        print(line)
PY
