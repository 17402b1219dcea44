#pragma once
// The conversions behind the bf16 and int8 GEMMs: rounding to bfloat16, and
// int8 quantization: weights symmetrically per output channel, activations
// asymmetrically (uint8 with a zero point) per row or per matrix. Both CPU paths (Eigen and oneDNN) use
// these, so they multiply the same numbers and differ only in summation order.
#include <adaptrec/backend/cpu/parallel.hpp>
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/shape.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

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

namespace detail {

template <class T>
struct Range {
  T low = T(0), high = T(0);  // widened to hold 0
  bool finite = true;
};

// One vectorised pass over x[0, n) (Eigen's packet min and max); NaN and
// infinity show up in the sum of x - x, which is 0 only when all are finite.
template <class T>
Range<T> range_of(const T* x, index_t n) {
  if (n == 0) return {};
  Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>> v(x, n);
  return {std::min(T(0), v.minCoeff()), std::max(T(0), v.maxCoeff()),
          std::isfinite((v - v).sum())};
}

// Exceptions may not leave an OpenMP region: parallel passes record which
// rows were not finite, and this throws after them.
inline void require_finite(bool finite, const std::string& what) {
  if (!finite) throw invalid_argument(what + " holds NaN or infinity and cannot be quantized to int8");
}

inline bool all_set(const std::vector<unsigned char>& flags) {
  return std::all_of(flags.begin(), flags.end(), [](unsigned char f) { return f != 0; });
}

}  // namespace detail

// The range [low, high] of x[0, n), widened to hold 0, in one parallel pass.
// Throws invalid_argument when x holds NaN or infinity, which no integer
// scale can represent; `what` names x for the message.
template <class T>
std::pair<T, T> finite_range(const T* x, index_t n, const std::string& what) {
  constexpr index_t chunk = 1 << 14;
  const index_t chunks = (n + chunk - 1) / chunk;
  std::vector<detail::Range<T>> ranges(static_cast<std::size_t>(chunks));
  cpu::parallel_for(chunks, chunk, [&](index_t c) {
    const index_t begin = c * chunk;
    ranges[static_cast<std::size_t>(c)] = detail::range_of(x + begin, std::min(chunk, n - begin));
  });
  detail::Range<T> all;
  for (const auto& r : ranges)
    all.low = std::min(all.low, r.low), all.high = std::max(all.high, r.high),
    all.finite = all.finite && r.finite;
  detail::require_finite(all.finite, what);
  return {all.low, all.high};
}

// The largest magnitude in x[0, n); throws as finite_range does.
template <class T>
T finite_abs_max(const T* x, index_t n, const std::string& what) {
  const auto [low, high] = finite_range(x, n, what);
  return std::max(-low, high);
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
  std::vector<unsigned char> finite(static_cast<std::size_t>(rows));
  cpu::parallel_for(rows, cols, [&](index_t r) {
    const T* row = x + r * cols;
    const detail::Range<T> range = detail::range_of(row, cols);
    finite[static_cast<std::size_t>(r)] = range.finite;
    if (!range.finite) return;  // rounding NaN to an integer is undefined
    const T scale = symmetric_scale(std::max(-range.low, range.high), levels);
    row_scales[r] = scale;
    const T inverse = T(1) / scale;
    for (index_t c = 0; c < cols; ++c)
      q[r * cols + c] = static_cast<std::int8_t>(
          std::clamp(std::nearbyint(row[c] * inverse), T(-levels), T(levels)));
  });
  detail::require_finite(detail::all_set(finite), what);
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
  std::vector<unsigned char> finite(static_cast<std::size_t>(rows));
  cpu::parallel_for(rows, cols, [&](index_t r) {
    const T* row = x + r * cols;
    const detail::Range<T> range = detail::range_of(row, cols);
    finite[static_cast<std::size_t>(r)] = range.finite;
    if (!range.finite) return;  // rounding NaN to an integer is undefined
    const AsymmetricScale<T> a = per_row ? AsymmetricScale<T>(range.low, range.high) : shared;
    row_scales[r] = a.scale;
    row_zero_points[r] = a.zero_point;
    quantize_asymmetric(row, cols, a, q + r * cols);
  });
  detail::require_finite(detail::all_set(finite), what);
}

}  // namespace adaptrec::backend
