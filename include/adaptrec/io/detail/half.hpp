#pragma once
// IEEE 754 binary16 ("F16") and bfloat16 ("BF16") bit patterns to and from
// float and double. Widening is exact; narrowing rounds to nearest, ties to
// even, overflows to infinity and keeps NaN a (quiet) NaN, as IEEE 754-2008
// section 4.3.1 and PyTorch's .half() / .bfloat16() do.
#include <bit>
#include <cstdint>
#include <limits>

namespace adaptrec::io::detail {

inline float half_bits_to_float(std::uint16_t half) {
  const std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000u) << 16;
  const std::uint32_t exponent = (half >> 10) & 0x1Fu;
  const std::uint32_t mantissa = half & 0x3FFu;
  if (exponent == 0x1F)  // infinity, or NaN with its payload kept
    return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in float
    const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  // Rebias the exponent from 15 to 127.
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

inline float bfloat16_bits_to_float(std::uint16_t bfloat16) {
  // bfloat16 is the upper half of a float.
  return std::bit_cast<float>(static_cast<std::uint32_t>(bfloat16) << 16);
}

// Rounds `value` to the nearest binary float with `exponent_bits` and
// `mantissa_bits` (round half to even) and returns its bit pattern. Every
// float is a double, so one routine on doubles serves both input types
// without the double rounding of going through float.
template <int exponent_bits, int mantissa_bits>
std::uint16_t round_double_to_small_float(double value) {
  static_assert(1 + exponent_bits + mantissa_bits == 16);
  constexpr int bias = (1 << (exponent_bits - 1)) - 1;
  constexpr int min_normal_exponent = 1 - bias;
  constexpr std::uint32_t infinity = ((1u << exponent_bits) - 1) << mantissa_bits;

  const auto bits = std::bit_cast<std::uint64_t>(value);
  const auto sign = static_cast<std::uint16_t>((bits >> 48) & 0x8000u);
  const int stored_exponent = static_cast<int>((bits >> 52) & 0x7FF);
  const std::uint64_t fraction = bits & ((std::uint64_t{1} << 52) - 1);
  if (stored_exponent == 0x7FF) {
    if (fraction == 0) return static_cast<std::uint16_t>(sign | infinity);
    // Quiet NaN, keeping the top of the payload.
    const auto payload = static_cast<std::uint32_t>(fraction >> (52 - mantissa_bits));
    return static_cast<std::uint16_t>(sign | infinity | (1u << (mantissa_bits - 1)) | payload);
  }
  // value = significand * 2^(exponent - 52)
  const std::uint64_t significand =
      stored_exponent ? fraction | (std::uint64_t{1} << 52) : fraction;
  const int exponent = stored_exponent ? stored_exponent - 1023 : -1022;

  // Keep the bits down to the target's last mantissa place: 2^(exponent -
  // mantissa_bits) for normals, the fixed subnormal step below that.
  const int last_place = exponent >= min_normal_exponent ? exponent - mantissa_bits
                                                         : min_normal_exponent - mantissa_bits;
  const int shift = last_place - (exponent - 52);
  std::uint64_t rounded = 0;
  if (shift < 60) {
    rounded = significand >> shift;
    const std::uint64_t remainder = significand & ((std::uint64_t{1} << shift) - 1);
    const std::uint64_t halfway = std::uint64_t{1} << (shift - 1);
    if (remainder > halfway || (remainder == halfway && (rounded & 1))) ++rounded;
  }  // else the value is below half the smallest subnormal and rounds to zero
  // `rounded` carries the implicit bit for normals; adding it to the biased
  // exponent field minus one lets a carry out of the mantissa bump the
  // exponent, and lets subnormals round up into the smallest normal.
  std::uint64_t result = rounded;
  if (exponent >= min_normal_exponent)
    result += static_cast<std::uint64_t>(exponent + bias - 1) << mantissa_bits;
  if (result >= infinity) return static_cast<std::uint16_t>(sign | infinity);
  return static_cast<std::uint16_t>(sign | result);
}

inline std::uint16_t double_to_half_bits(double value) {
  return round_double_to_small_float<5, 10>(value);
}
inline std::uint16_t double_to_bfloat16_bits(double value) {
  return round_double_to_small_float<8, 7>(value);
}

}  // namespace adaptrec::io::detail
