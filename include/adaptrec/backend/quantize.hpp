#pragma once
// The conversions behind the bf16 and int8 GEMMs: rounding to bfloat16, and
// int8 quantization: weights symmetrically per output channel, activations
// asymmetrically (uint8 with a zero point) per row or per matrix. Both CPU paths (Eigen and oneDNN) use
// these, so they multiply the same numbers and differ only in summation order.
#include <adaptrec/backend/cpu/parallel.hpp>
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/shape.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

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

// Symmetric quantization of each row of a [rows, cols] matrix (a weight,
// one row per output channel): q = round(x / scale) in [-levels, levels]
// with the row's scale = max |x| / levels. Writes the scales, one per row.
template <class T>
void quantize_rows_symmetric(const T* x, index_t rows, index_t cols, int levels, std::int8_t* q,
                             T* row_scales, const std::string& what) {
  // NaN is refused in one serial pass: an exception may not leave an OpenMP region.
  finite_abs_max(x, rows * cols, what);
  cpu::parallel_for(rows, cols, [&](index_t r) {
    const T* row = x + r * cols;
    T m = T(0);
    for (index_t c = 0; c < cols; ++c) m = std::max(m, std::abs(row[c]));
    const T scale = symmetric_scale(m, levels);
    row_scales[r] = scale;
    const T inverse = T(1) / scale;
    for (index_t c = 0; c < cols; ++c)
      q[r * cols + c] = static_cast<std::int8_t>(
          std::clamp(std::nearbyint(row[c] * inverse), T(-levels), T(levels)));
  });
}

// The range [low, high] of x[0, n), widened to hold 0; throws as
// finite_abs_max does.
template <class T>
std::pair<T, T> finite_range(const T* x, index_t n, const std::string& what) {
  T low = T(0), high = T(0);
  bool finite = true;
  for (index_t i = 0; i < n; ++i) {
    finite = finite && std::isfinite(x[i]);
    low = std::min(low, x[i]);
    high = std::max(high, x[i]);
  }
  if (!finite) throw invalid_argument(what + " holds NaN or infinity and cannot be quantized to int8");
  return {low, high};
}

// Asymmetric uint8 parameters for values in [low, high] (low <= 0 <= high):
// x ~ (q - zero_point) * scale with q in [0, 255], so skewed values (after
// GELU, say) use all 256 levels instead of half of them. The zero point is
// an integer, so 0 is represented exactly.
template <class T>
struct AsymmetricScale {
  T scale = T(1);
  T zero_point = T(0);
  AsymmetricScale() = default;
  AsymmetricScale(T low, T high)
      : scale(high > low ? (high - low) / T(255) : T(1)),
        zero_point(std::clamp(std::nearbyint(-low / scale), T(0), T(255))) {}
};

// q = clamp(round(x / scale) + zero_point, 0, 255): values outside the range
// the parameters were made for are clipped.
template <class T>
void quantize_asymmetric(const T* x, index_t n, const AsymmetricScale<T>& a, std::uint8_t* q) {
  const T inverse = T(1) / a.scale;
  for (index_t i = 0; i < n; ++i)
    q[i] = static_cast<std::uint8_t>(
        std::clamp(std::nearbyint(x[i] * inverse) + a.zero_point, T(0), T(255)));
}

// Asymmetric uint8 quantization of a [rows, cols] matrix: each row over its
// own range (per_row), or every row with `shared`. Writes each row's scale
// and zero point.
template <class T>
void quantize_rows_asymmetric(const T* x, index_t rows, index_t cols, bool per_row,
                              const AsymmetricScale<T>& shared, std::uint8_t* q, T* row_scales,
                              T* row_zero_points, const std::string& what) {
  finite_abs_max(x, rows * cols, what);  // NaN is refused before the parallel pass
  cpu::parallel_for(rows, cols, [&](index_t r) {
    const T* row = x + r * cols;
    AsymmetricScale<T> a = shared;
    if (per_row) {
      T low = T(0), high = T(0);
      for (index_t c = 0; c < cols; ++c) low = std::min(low, row[c]), high = std::max(high, row[c]);
      a = AsymmetricScale<T>(low, high);
    }
    row_scales[r] = a.scale;
    row_zero_points[r] = a.zero_point;
    quantize_asymmetric(row, cols, a, q + r * cols);
  });
}

}  // namespace adaptrec::backend
