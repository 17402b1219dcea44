#pragma once
// Strict UTF-8: text becomes Unicode scalar values (char32_t) and back.
//
// Well-formed sequences are those of the Unicode Standard 15.0, Table 3-7: no
// overlong forms, no encoded surrogates (U+D800..U+DFFF), nothing above
// U+10FFFF, no truncated sequences. Ill-formed input is an error, never
// replaced: a tokenizer that silently dropped bytes would give the model other
// text than the user wrote.
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/shape.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace adaptrec::text {

// Where text came from, for error messages: a file name and a 1-based line,
// either of which may be absent.
struct TextSource {
  std::string_view name;
  index_t line = 0;

  std::string describe() const {
    std::string where(name);
    if (line > 0) where += (where.empty() ? "line " : ":") + std::to_string(line);
    return where;
  }
};

// "U+00E9", the notation of the Unicode Standard, for messages.
inline std::string code_point_name(char32_t code_point) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string digits;
  for (char32_t rest = code_point; rest != 0 || digits.size() < 4; rest >>= 4)
    digits.insert(digits.begin(), hex[rest & 0xF]);
  return "U+" + digits;
}

namespace detail {

[[noreturn]] inline void throw_invalid_utf8(std::string_view bytes, std::size_t offset,
                                            const char* reason, const TextSource& source) {
  static constexpr char hex[] = "0123456789ABCDEF";
  const auto byte = static_cast<unsigned char>(bytes[offset]);
  std::string message = "adaptrec::text: invalid UTF-8";
  if (const std::string where = source.describe(); !where.empty()) message += " in " + where;
  message += " at byte offset " + std::to_string(offset) + " (byte 0x";
  message.push_back(hex[byte >> 4]);
  message.push_back(hex[byte & 0xF]);
  message += "): ";
  message += reason;
  throw invalid_argument(message);
}

}  // namespace detail

// Appends the code points of `bytes` to `out`. Throws invalid_argument naming
// the byte offset (and `source` when given) of the first ill-formed sequence;
// `out` then holds the code points before it.
inline void append_decoded_utf8(std::string_view bytes, std::u32string& out,
                                const TextSource& source = {}) {
  const std::size_t size = bytes.size();
  const auto at = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  std::size_t i = 0;
  while (i < size) {
    const unsigned char lead = at(i);
    if (lead < 0x80) {
      out.push_back(lead);
      ++i;
      continue;
    }
    std::size_t length;
    char32_t code_point;
    // The smallest value each length may encode, and the second byte's range
    // that Table 3-7 allows after E0, ED, F0 and F4.
    unsigned char second_low = 0x80, second_high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      code_point = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      code_point = lead & 0x0F;
      if (lead == 0xE0) second_low = 0xA0;
      if (lead == 0xED) second_high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      code_point = lead & 0x07;
      if (lead == 0xF0) second_low = 0x90;
      if (lead == 0xF4) second_high = 0x8F;
    } else if (lead >= 0x80 && lead <= 0xBF) {
      detail::throw_invalid_utf8(bytes, i, "continuation byte without a lead byte", source);
    } else if (lead == 0xC0 || lead == 0xC1) {
      detail::throw_invalid_utf8(bytes, i, "overlong encoding of an ASCII character", source);
    } else {
      detail::throw_invalid_utf8(bytes, i, "byte never valid in UTF-8 (beyond U+10FFFF)", source);
    }
    for (std::size_t k = 1; k < length; ++k) {
      if (i + k >= size)
        detail::throw_invalid_utf8(bytes, i, "sequence truncated by the end of the text", source);
      const unsigned char next = at(i + k);
      const unsigned char low = k == 1 ? second_low : 0x80;
      const unsigned char high = k == 1 ? second_high : 0xBF;
      if (next < low || next > high) {
        const char* reason = next < 0x80 || next > 0xBF ? "sequence truncated by a non-continuation byte"
                             : lead == 0xED               ? "encoded surrogate (U+D800..U+DFFF)"
                             : lead == 0xF4               ? "code point beyond U+10FFFF"
                                                          : "overlong encoding";
        detail::throw_invalid_utf8(bytes, i, reason, source);
      }
      code_point = (code_point << 6) | (next & 0x3F);
    }
    out.push_back(code_point);
    i += length;
  }
}

inline std::u32string decode_utf8(std::string_view bytes, const TextSource& source = {}) {
  std::u32string out;
  out.reserve(bytes.size());
  append_decoded_utf8(bytes, out, source);
  return out;
}

// Appends the UTF-8 bytes of one scalar value. Throws invalid_argument for a
// surrogate or a value above U+10FFFF, which have no UTF-8 form.
inline void append_utf8(std::string& out, char32_t code_point) {
  const auto put = [&](char32_t value) { out.push_back(static_cast<char>(value)); };
  if (code_point < 0x80) {
    put(code_point);
  } else if (code_point < 0x800) {
    put(0xC0 | (code_point >> 6));
    put(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    if (code_point >= 0xD800 && code_point <= 0xDFFF)
      throw invalid_argument("adaptrec::text: surrogate " + code_point_name(code_point) +
                             " has no UTF-8 encoding");
    put(0xE0 | (code_point >> 12));
    put(0x80 | ((code_point >> 6) & 0x3F));
    put(0x80 | (code_point & 0x3F));
  } else if (code_point <= 0x10FFFF) {
    put(0xF0 | (code_point >> 18));
    put(0x80 | ((code_point >> 12) & 0x3F));
    put(0x80 | ((code_point >> 6) & 0x3F));
    put(0x80 | (code_point & 0x3F));
  } else {
    throw invalid_argument("adaptrec::text: " + code_point_name(code_point) +
                           " is beyond U+10FFFF and has no UTF-8 encoding");
  }
}

inline void append_utf8(std::string& out, std::u32string_view code_points) {
  for (const char32_t c : code_points) append_utf8(out, c);
}

inline std::string encode_utf8(std::u32string_view code_points) {
  std::string out;
  out.reserve(code_points.size());
  append_utf8(out, code_points);
  return out;
}

}  // namespace adaptrec::text
