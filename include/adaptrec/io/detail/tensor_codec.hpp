#pragma once
// Converting tensor elements between C++ types and the little-endian bytes of
// a safetensors data section. On a big-endian host every element is swapped.
// Conversions that lose information silently are refused: floating-point data
// never becomes integers, and integers are range-checked.
#include <adaptrec/core/error.hpp>
#include <adaptrec/io/detail/half.hpp>
#include <adaptrec/io/dtype.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>

namespace adaptrec::io::detail {

template <class U>
U byteswap(U value) {
  static_assert(std::is_unsigned_v<U>);
  U swapped = 0;
  for (std::size_t i = 0; i < sizeof(U); ++i) {
    swapped = static_cast<U>((swapped << 8) | (value & 0xFF));
    value = static_cast<U>(value >> 8);
  }
  return swapped;
}

template <class U>
U load_little_endian(const char* bytes) {
  U value;
  std::memcpy(&value, bytes, sizeof(U));
  if constexpr (std::endian::native == std::endian::big) value = byteswap(value);
  return value;
}

template <class U>
void store_little_endian(char* bytes, U value) {
  if constexpr (std::endian::native == std::endian::big) value = byteswap(value);
  std::memcpy(bytes, &value, sizeof(U));
}

// Whether integer `value` is representable in T (bool: 0 or 1).
template <class T, class V>
bool integer_fits(V value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value == 0 || value == 1;
  } else {
    using Checked = std::conditional_t<sizeof(T) == 1,
                                       std::conditional_t<std::is_signed_v<T>, signed char,
                                                          unsigned char>,
                                       T>;
    return std::in_range<Checked>(+value);
  }
}

template <class T, class Read>
void decode_floating(std::size_t count, T* out, Read read) {
  if constexpr (std::is_floating_point_v<T>) {
    for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<T>(read(i));
  } else {
    (void)count, (void)out, (void)read;
    throw io_error("floating-point data does not convert to an integer type without loss");
  }
}

template <class T, class Read>
void decode_integer(std::size_t count, T* out, Read read) {
  for (std::size_t i = 0; i < count; ++i) {
    const auto value = read(i);
    if constexpr (!std::is_floating_point_v<T>) {
      if (!integer_fits<T>(value))
        throw io_error("value " + std::to_string(value) + " at element " + std::to_string(i) +
                       " does not fit in the requested integer type");
    }
    out[i] = static_cast<T>(value);
  }
}

// Decodes `count` elements of `source` from `bytes` into `out`.
template <class T>
void decode_elements(DType source, const char* bytes, std::size_t count, T* out) {
  constexpr bool little_endian = std::endian::native == std::endian::little;
  if constexpr (little_endian && !std::is_same_v<T, bool>) {
    if (source == dtype_of<T>()) {
      if (count) std::memcpy(out, bytes, count * sizeof(T));
      return;
    }
  }
  const auto at = [bytes](std::size_t i, std::size_t size) { return bytes + i * size; };
  switch (source) {
    case DType::f32:
      return decode_floating(count, out, [&](std::size_t i) {
        return std::bit_cast<float>(load_little_endian<std::uint32_t>(at(i, 4)));
      });
    case DType::f64:
      return decode_floating(count, out, [&](std::size_t i) {
        return std::bit_cast<double>(load_little_endian<std::uint64_t>(at(i, 8)));
      });
    case DType::f16:
      return decode_floating(count, out, [&](std::size_t i) {
        return half_bits_to_float(load_little_endian<std::uint16_t>(at(i, 2)));
      });
    case DType::bf16:
      return decode_floating(count, out, [&](std::size_t i) {
        return bfloat16_bits_to_float(load_little_endian<std::uint16_t>(at(i, 2)));
      });
    case DType::i64:
      return decode_integer(count, out, [&](std::size_t i) {
        return static_cast<std::int64_t>(load_little_endian<std::uint64_t>(at(i, 8)));
      });
    case DType::i32:
      return decode_integer(count, out, [&](std::size_t i) {
        return static_cast<std::int32_t>(load_little_endian<std::uint32_t>(at(i, 4)));
      });
    case DType::i16:
      return decode_integer(count, out, [&](std::size_t i) {
        return static_cast<std::int16_t>(load_little_endian<std::uint16_t>(at(i, 2)));
      });
    case DType::i8:
      return decode_integer(count, out,
                            [&](std::size_t i) { return static_cast<std::int8_t>(bytes[i]); });
    case DType::u8:
      return decode_integer(count, out,
                            [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[i]); });
    case DType::boolean:
      // Any nonzero byte is true, as in NumPy and PyTorch.
      for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<T>(bytes[i] != 0);
      return;
  }
}

template <class Stored, class T, class Convert>
void encode_as(const T* values, std::size_t count, char* out, Convert convert) {
  for (std::size_t i = 0; i < count; ++i)
    store_little_endian<Stored>(out + i * sizeof(Stored), convert(values[i]));
}

template <class Target>
struct StoredBits {
  using type = std::make_unsigned_t<Target>;
};
template <>
struct StoredBits<bool> {
  using type = std::uint8_t;
};

template <class Target, class T>
void encode_integer(const T* values, std::size_t count, char* out, DType target) {
  if constexpr (std::is_floating_point_v<T>) {
    (void)values, (void)count, (void)out;
    throw invalid_argument("floating-point values do not convert to " +
                           std::string(dtype_name(target)) + " without loss");
  } else {
    using Stored = typename StoredBits<Target>::type;
    for (std::size_t i = 0; i < count; ++i) {
      if (!integer_fits<Target>(values[i]))
        throw invalid_argument("value " + std::to_string(+values[i]) + " at element " +
                               std::to_string(i) + " does not fit in " +
                               std::string(dtype_name(target)));
      store_little_endian<Stored>(out + i * sizeof(Stored),
                                  static_cast<Stored>(static_cast<Target>(values[i])));
    }
  }
}

// Encodes `count` values as `target`, little-endian, into `out`, which holds
// count * dtype_size(target) bytes.
template <class T>
void encode_elements(DType target, const T* values, std::size_t count, char* out) {
  switch (target) {
    case DType::f32:
      return encode_as<std::uint32_t>(values, count, out, [](T v) {
        return std::bit_cast<std::uint32_t>(static_cast<float>(v));
      });
    case DType::f64:
      return encode_as<std::uint64_t>(values, count, out, [](T v) {
        return std::bit_cast<std::uint64_t>(static_cast<double>(v));
      });
    case DType::f16:
      return encode_as<std::uint16_t>(
          values, count, out, [](T v) { return double_to_half_bits(static_cast<double>(v)); });
    case DType::bf16:
      return encode_as<std::uint16_t>(
          values, count, out, [](T v) { return double_to_bfloat16_bits(static_cast<double>(v)); });
    case DType::i64: return encode_integer<std::int64_t>(values, count, out, target);
    case DType::i32: return encode_integer<std::int32_t>(values, count, out, target);
    case DType::i16: return encode_integer<std::int16_t>(values, count, out, target);
    case DType::i8: return encode_integer<std::int8_t>(values, count, out, target);
    case DType::u8: return encode_integer<std::uint8_t>(values, count, out, target);
    case DType::boolean: return encode_integer<bool>(values, count, out, target);
  }
}

}  // namespace adaptrec::io::detail
