#pragma once
// The element types a safetensors file can hold, with their names in the
// header ("F32", "BF16", ...) and their sizes in bytes.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

namespace adaptrec::io {

enum class DType { f32, f64, f16, bf16, i64, i32, i16, i8, u8, boolean };

namespace detail {
struct DTypeInfo {
  DType dtype;
  std::string_view name;
  std::size_t size;
  bool floating;
};
inline constexpr DTypeInfo dtype_table[] = {
    {DType::f32, "F32", 4, true},  {DType::f64, "F64", 8, true},    {DType::f16, "F16", 2, true},
    {DType::bf16, "BF16", 2, true}, {DType::i64, "I64", 8, false},  {DType::i32, "I32", 4, false},
    {DType::i16, "I16", 2, false}, {DType::i8, "I8", 1, false},     {DType::u8, "U8", 1, false},
    {DType::boolean, "BOOL", 1, false},
};
constexpr const DTypeInfo& info(DType dtype) { return dtype_table[static_cast<int>(dtype)]; }
}  // namespace detail

// The spelling in a safetensors header.
constexpr std::string_view dtype_name(DType dtype) { return detail::info(dtype).name; }
constexpr std::size_t dtype_size(DType dtype) { return detail::info(dtype).size; }
constexpr bool is_floating(DType dtype) { return detail::info(dtype).floating; }

// The dtype spelled `name`, or nothing for names adaptrec does not read
// (U16, U32, U64, F8_E4M3, ...).
constexpr std::optional<DType> parse_dtype(std::string_view name) {
  for (const auto& entry : detail::dtype_table)
    if (entry.name == name) return entry.dtype;
  return std::nullopt;
}

// The dtype that stores a C++ element type without conversion.
template <class T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, bool>) {
    return DType::boolean;
  } else if constexpr (std::is_same_v<T, float>) {
    return DType::f32;
  } else if constexpr (std::is_same_v<T, double>) {
    return DType::f64;
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    static_assert(sizeof(T) <= 8);
    if constexpr (sizeof(T) == 1) return DType::i8;
    else if constexpr (sizeof(T) == 2) return DType::i16;
    else if constexpr (sizeof(T) == 4) return DType::i32;
    else return DType::i64;
  } else {
    static_assert(std::is_integral_v<T> && sizeof(T) == 1,
                  "adaptrec::io: no safetensors dtype stores this element type (float, double, "
                  "bool, signed integers and 8-bit unsigned integers do)");
    return DType::u8;
  }
}

}  // namespace adaptrec::io
