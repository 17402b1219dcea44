#pragma once
// y = epilogue(x W^T) for a packed weight, on Eigen: the reference path,
// for float and double. bf16 rounds x as the weight was rounded and
// multiplies in T; int8 quantizes x, multiplies the integers (exactly, in T,
// while sums stay below 2^24 in float) and scales the result. oneDNN's path
// (backend/onednn/matmul.hpp) multiplies the same numbers.
#include <adaptrec/backend/cpu/epilogue.hpp>
#include <adaptrec/backend/cpu/gemm.hpp>
#include <adaptrec/backend/packed_weight.hpp>

#include <cstdint>
#include <vector>

namespace adaptrec::backend::cpu {

// The scales int8 inputs get: one per row, or the same for every row.
template <class T>
void quantize_int8_inputs(const T* x, index_t m, index_t k, const PackedWeight<T>& w, int offset,
                          auto* q, T* row_scales) {
  const bool per_row = w.activation_scaling() == ActivationScaling::per_token;
  const T shared = w.activation_scaling() == ActivationScaling::calibrated ? w.input_scale() : T(0);
  // A calibrated range of zero means every input is zero: any scale will do.
  const T given = w.activation_scaling() == ActivationScaling::calibrated && !(shared > T(0))
                      ? T(1)
                      : shared;
  quantize_rows(x, m, k, per_row, given, int8_activation_levels, offset, q, row_scales,
                "adaptrec::backend::packed_linear: the input of " + w.name());
}

template <class T>
void eigen_packed_linear(const T* x, index_t m, const PackedWeight<T>& w, T* y,
                         const Epilogue<T>& e) {
  const index_t n = w.out_features(), k = w.in_features();
  switch (w.precision()) {
    case Precision::fp32:
      eigen_gemm(x, false, w.values().data(), true, y, m, n, k, T(1), T(0));
      break;
    case Precision::bf16: {
      std::vector<T> rounded(static_cast<std::size_t>(m * k));
      round_to_bfloat16(x, rounded.data(), m * k);
      eigen_gemm(rounded.data(), false, w.values().data(), true, y, m, n, k, T(1), T(0));
      break;
    }
    case Precision::int8: {
      std::vector<std::int8_t> qx(static_cast<std::size_t>(m * k));
      std::vector<T> row_scales(static_cast<std::size_t>(m));
      quantize_int8_inputs(x, m, k, w, 0, qx.data(), row_scales.data());
      const std::vector<T> xf(qx.begin(), qx.end());
      const std::vector<T> wf(w.quantized().begin(), w.quantized().end());
      eigen_gemm(xf.data(), false, wf.data(), true, y, m, n, k, T(1), T(0));
      apply_epilogue(y, m, n, e, row_scales.data(), w.weight_scales().data());
      return;
    }
  }
  apply_epilogue(y, m, n, e);
}

}  // namespace adaptrec::backend::cpu
