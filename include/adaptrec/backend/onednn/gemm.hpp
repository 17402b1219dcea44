#pragma once
// Float32 GEMM through oneDNN's BLAS-like `dnnl_sgemm`.
//
// oneDNN picks its kernel when the program runs (AVX2/FMA, AVX-512 or AMX,
// whatever the CPU has), so a library compiled for baseline x86-64 still
// multiplies at the machine's speed; Eigen's kernels are fixed at compile time
// by -march. Only the C API is included: it keeps every translation unit that
// reaches backend/ops.hpp free of dnnl.hpp's templates.
#include <oneapi/dnnl/dnnl.h>

#include <adaptrec/core/error.hpp>
#include <adaptrec/core/shape.hpp>
#include <string>

namespace adaptrec::backend::onednn {

// C = alpha * op(A) * op(B) + beta * C on row-major matrices, dense unless
// leading dimensions are given. With beta == 0, C is only written (BLAS
// semantics).
inline void sgemm(const float* a, bool trans_a, const float* b, bool trans_b, float* c, index_t m,
                  index_t n, index_t k, float alpha, float beta, index_t lda = 0, index_t ldb = 0,
                  index_t ldc = 0) {
  if (m == 0 || n == 0) return;
  if (ldc == 0) ldc = n;
  if (k == 0) {  // an empty sum, which dnnl_sgemm refuses: C = beta * C
    for (index_t i = 0; i < m; ++i)
      for (index_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  if (lda == 0) lda = trans_a ? m : k;
  if (ldb == 0) ldb = trans_b ? k : n;
  const dnnl_status_t status =
      dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  if (status != dnnl_success)
    throw error("adaptrec::backend::onednn::sgemm: dnnl_sgemm failed with status " +
                std::to_string(static_cast<int>(status)) + " for m=" + std::to_string(m) +
                " n=" + std::to_string(n) + " k=" + std::to_string(k));
}

// The instruction set oneDNN's kernels use on this CPU (after any
// ONEDNN_MAX_CPU_ISA limit), in oneDNN's own spelling.
inline std::string effective_isa() {
  switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41:
      return "sse41";
    case dnnl_cpu_isa_avx:
      return "avx";
    case dnnl_cpu_isa_avx2:
      return "avx2";
    case dnnl_cpu_isa_avx2_vnni:
      return "avx2_vnni";
    case dnnl_cpu_isa_avx512_mic:
      return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops:
      return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core:
      return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni:
      return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16:
      return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx:
      return "avx512_core_amx";
    default:
      return "isa " + std::to_string(static_cast<int>(dnnl_get_effective_cpu_isa()));
  }
}

// Whether oneDNN's int8 kernels here sum u8 x s8 products straight into
// int32 (AVX-512 VNNI, AVX-VNNI, AMX). Without it (AVX2, plain AVX-512) they
// go through vpmaddubsw, which saturates a pair of products in int16, so
// weights must stay within 7 bits (backend/packed_weight.hpp).
inline bool has_int8_dot_product() {
  const auto isa = static_cast<unsigned>(dnnl_get_effective_cpu_isa());
  const auto has = [isa](dnnl_cpu_isa_t feature) {
    return (isa & static_cast<unsigned>(feature)) == static_cast<unsigned>(feature);
  };
  return has(dnnl_cpu_isa_avx512_core_vnni) || has(dnnl_cpu_isa_avx2_vnni);
}

inline std::string version() {
  const dnnl_version_t* v = dnnl_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}

}  // namespace adaptrec::backend::onednn
