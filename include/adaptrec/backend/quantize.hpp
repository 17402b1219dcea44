#pragma once
// The conversions behind the bf16 and int8 GEMMs: rounding to bfloat16, and
// symmetric int8 quantization of weights (per output channel) and of
// activations (per row or per matrix). Both CPU paths (Eigen and oneDNN) use
// these, so they multiply the same numbers and differ only in summation order.
#include <adaptrec/backend/cpu/parallel.hpp>
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/shape.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <string>

namespace adaptrec::backend {

// Round to nearest, ties to even, as PyTorch's .bfloat16(); overflow goes to
// infinity and NaN stays a quiet NaN.
inline std::uint16_t float_to_bfloat16_bits(float value) {
  std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<std::uint16_t>((bits >> 16) | 0x40u);
  bits += 0x7FFFu + ((bits >> 16) & 1u);
  return static_cast<std::uint16_t>(bits >> 16);
}

inline float bfloat16_bits_to_float(std::uint16_t bits) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

// The bfloat16 value nearest to `value`, as a T (float or double: every
// bfloat16 is exactly representable in both).
template <class T>
T round_to_bfloat16(T value) {
  return static_cast<T>(bfloat16_bits_to_float(float_to_bfloat16_bits(static_cast<float>(value))));
}

template <class T>
void round_to_bfloat16(const T* x, T* y, index_t n) {
  cpu::parallel_for(n, 4, [&](index_t i) { y[i] = round_to_bfloat16(x[i]); });
}

// The largest magnitude in x[0, n); throws when x holds NaN or infinity,
// which no integer scale can represent. `what` names x for the message.
template <class T>
T finite_abs_max(const T* x, index_t n, const std::string& what) {
  T m = T(0);
  bool finite = true;
  for (index_t i = 0; i < n; ++i) {
    finite = finite && std::isfinite(x[i]);
    m = std::max(m, std::abs(x[i]));
  }
  if (!finite) throw invalid_argument(what + " holds NaN or infinity and cannot be quantized to int8");
  return m;
}

// The scale that maps [-abs_max, abs_max] onto [-levels, levels]; 1 for an
// all-zero input, whose quantized values are then all zero.
template <class T>
T symmetric_scale(T abs_max, int levels) {
  return abs_max > T(0) ? abs_max / T(levels) : T(1);
}

// q = round(x / scale), clamped to [-levels, levels]. `offset` is added to
// the result: 0 gives int8, 128 gives the uint8 oneDNN's u8 x s8 kernels read.
template <class Q, class T>
void quantize(const T* x, index_t n, T scale, int levels, int offset, Q* q) {
  const T inverse = T(1) / scale;
  for (index_t i = 0; i < n; ++i) {
    const T r = std::nearbyint(x[i] * inverse);
    const T clamped = std::clamp(r, T(-levels), T(levels));
    q[i] = static_cast<Q>(static_cast<int>(clamped) + offset);
  }
}

// Quantizes the rows of a [rows, cols] matrix, each with its own scale
// (per_row) or all with one (`shared_scale` > 0 is used as given; otherwise
// it is found from the whole matrix). Writes the scales used, one per row.
template <class Q, class T>
void quantize_rows(const T* x, index_t rows, index_t cols, bool per_row, T shared_scale,
                   int levels, int offset, Q* q, T* row_scales, const std::string& what) {
  // One serial pass finds NaN before the parallel one (an exception may not
  // leave an OpenMP region) and gives the whole matrix's scale.
  const T abs_max = finite_abs_max(x, rows * cols, what);
  if (!per_row && !(shared_scale > T(0))) shared_scale = symmetric_scale(abs_max, levels);
  cpu::parallel_for(rows, cols, [&](index_t r) {
    const T* row = x + r * cols;
    T scale = shared_scale;
    if (per_row) {
      T m = T(0);
      for (index_t c = 0; c < cols; ++c) m = std::max(m, std::abs(row[c]));
      scale = symmetric_scale(m, levels);
    }
    row_scales[r] = scale;
    quantize(row, cols, scale, levels, offset, q + r * cols);
  });
}

// Asymmetric uint8 quantization of each row: x ~ (q - zero_point) * scale
// with q in [0, 255] covering [min(x, 0), max(x, 0)], so a row of skewed
// values (after GELU, say) uses all 256 levels instead of half of them.
// The zero point is an integer, so 0 is represented exactly.
template <class T>
void quantize_rows_asymmetric(const T* x, index_t rows, index_t cols, std::uint8_t* q,
                              T* row_scales, T* row_zero_points, const std::string& what) {
  finite_abs_max(x, rows * cols, what);  // NaN is refused before the parallel pass
  cpu::parallel_for(rows, cols, [&](index_t r) {
    const T* row = x + r * cols;
    T low = T(0), high = T(0);
    for (index_t c = 0; c < cols; ++c) low = std::min(low, row[c]), high = std::max(high, row[c]);
    const T scale = high > low ? (high - low) / T(255) : T(1);
    const T zero_point = std::clamp(std::nearbyint(-low / scale), T(0), T(255));
    row_scales[r] = scale;
    row_zero_points[r] = zero_point;
    const T inverse = T(1) / scale;
    for (index_t c = 0; c < cols; ++c)
      q[r * cols + c] = static_cast<std::uint8_t>(
          std::clamp(std::nearbyint(row[c] * inverse) + zero_point, T(0), T(255)));
  });
}

}  // namespace adaptrec::backend
