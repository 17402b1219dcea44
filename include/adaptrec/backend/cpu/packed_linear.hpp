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
#include <string>
#include <vector>

namespace adaptrec::backend::cpu {

// Int8 inputs as the u8 x s8 kernels read them: x[r, :] ~ (q[r, :] -
// zero_point[r]) * scale[r], asymmetric over the range [min(x, 0), max(x, 0)]
// of each row (per token), of the whole matrix (per tensor), or of the
// calibration sample (calibrated).
template <class T>
void quantize_int8_inputs(const T* x, index_t m, index_t k, const PackedWeight<T>& w,
                          std::uint8_t* q, T* row_scales, T* row_zero_points) {
  const std::string what = "adaptrec::backend::packed_linear: the input of " + w.name();
  AsymmetricScale<T> shared = w.calibrated_input();
  if (w.activation_scaling() == ActivationScaling::per_tensor) {
    const auto [low, high] = finite_range(x, m * k, what);
    shared = AsymmetricScale<T>(low, high);
  }
  quantize_rows_asymmetric(x, m, k, w.activation_scaling() == ActivationScaling::per_token, shared,
                           q, row_scales, row_zero_points, what);
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
      std::vector<std::uint8_t> q(static_cast<std::size_t>(m * k));
      std::vector<T> row_scales(static_cast<std::size_t>(m)), zero_points(static_cast<std::size_t>(m));
      quantize_int8_inputs(x, m, k, w, q.data(), row_scales.data(), zero_points.data());
      std::vector<T> xf(q.size());
      for (index_t i = 0; i < m * k; ++i) xf[i] = T(q[i]) - zero_points[i / k];
      const std::vector<T> wf(w.quantized().begin(), w.quantized().end());
      eigen_gemm(xf.data(), false, wf.data(), true, y, m, n, k, T(1), T(0));
      apply_epilogue(y, m, n, e, row_scales.data(), w.weight_scales().data());
      return;
    }
  }
  apply_epilogue(y, m, n, e);
}

}  // namespace adaptrec::backend::cpu
