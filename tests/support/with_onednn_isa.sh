#!/usr/bin/env bash
# with_onednn_isa.sh ISA COMMAND...: runs COMMAND with oneDNN's kernels
# limited to ISA (ONEDNN_MAX_CPU_ISA), the path a CPU without the features
# above it takes. When this CPU lacks ISA itself, oneDNN would fall back to
# the best path the CPU has, which the plain test run already covers: exit 77
# (ctest's SKIP_RETURN_CODE) and say why.
set -euo pipefail
isa="$1"
shift
case "$isa" in
  SSE41) need="sse4_1" ;;
  AVX) need="avx" ;;
  AVX2) need="avx2 fma" ;;
  AVX512_CORE) need="avx512f avx512bw avx512vl avx512dq" ;;
  AVX512_CORE_VNNI) need="avx512f avx512bw avx512vl avx512dq avx512_vnni" ;;
  AVX512_CORE_BF16) need="avx512f avx512bw avx512vl avx512dq avx512_vnni avx512_bf16" ;;
  AVX512_CORE_AMX) need="avx512f avx512bw avx512vl avx512dq avx512_vnni avx512_bf16 amx_tile amx_int8 amx_bf16" ;;
  *) echo "with_onednn_isa.sh: unknown ISA '$isa'" >&2; exit 2 ;;
esac
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
for f in $need; do
  if [[ "$flags" != *" $f "* ]]; then
    echo "skipped: this CPU lacks $f, so ONEDNN_MAX_CPU_ISA=$isa is not a path it can take"
    exit 77
  fi
done
ONEDNN_MAX_CPU_ISA="$isa" exec "$@"
