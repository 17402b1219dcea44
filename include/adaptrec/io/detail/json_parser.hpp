#pragma once
// A strict RFC 8259 JSON reader: no comments, no trailing commas, no NaN, no
// leading zeros, no duplicate object keys, no unpaired surrogates, no invalid
// UTF-8. Nesting is limited, so hostile input cannot exhaust the stack; every
// error names the source, line, column and byte offset.
#include <adaptrec/core/error.hpp>
#include <adaptrec/io/detail/json.hpp>
#include <adaptrec/io/detail/utf8.hpp>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace adaptrec::io::detail {

class JsonParser {
 public:
  // serde_json's default recursion limit, which the Hugging Face tools run
  // under; real configs and safetensors headers nest 3 or 4 levels.
  static constexpr int max_depth = 128;

  JsonParser(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  Json parse_document() {
    // RFC 8259, section 8.1: a parser may ignore a byte order mark.
    if (text_.starts_with("\xEF\xBB\xBF")) at_ = 3;
    skip_whitespace();
    Json value = parse_value(0);
    skip_whitespace();
    if (at_ < text_.size()) fail(describe_next() + " after the JSON value");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& reason) const { fail_at(at_, reason); }

  [[noreturn]] void fail_at(std::size_t offset, const std::string& reason) const {
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::size_t i = 0; i < offset && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw io_error(std::string(source_.empty() ? "JSON text" : source_) + ":" +
                   std::to_string(line) + ":" + std::to_string(column) + ": " + reason +
                   " (byte offset " + std::to_string(offset) + ")");
  }

  static std::string hex_byte(unsigned char c) {
    constexpr char hex[] = "0123456789ABCDEF";
    return std::string("0x") + hex[c >> 4] + hex[c & 0xF];
  }

  std::string describe_next() const {
    if (at_ >= text_.size()) return "unexpected end of input";
    const auto c = static_cast<unsigned char>(text_[at_]);
    if (c >= 0x21 && c < 0x7F) return std::string("unexpected '") + static_cast<char>(c) + "'";
    return "unexpected byte " + hex_byte(c);
  }

  bool peek(char c) const { return at_ < text_.size() && text_[at_] == c; }
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }
  bool peek_digit() const { return at_ < text_.size() && is_digit(text_[at_]); }

  void skip_whitespace() {
    while (at_ < text_.size()) {
      const char c = text_[at_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++at_;
    }
  }

  void expect(char c, const char* context) {
    if (!peek(c)) fail(describe_next() + ", expected '" + c + "' " + context);
    ++at_;
  }

  Json parse_value(int depth) {
    if (at_ >= text_.size()) fail("unexpected end of input, expected a value");
    switch (text_[at_]) {
      case '{': return parse_object(depth + 1);
      case '[': return parse_array(depth + 1);
      case '"': return Json(parse_string());
      case 't': return parse_literal("true", Json(true));
      case 'f': return parse_literal("false", Json(false));
      case 'n': return parse_literal("null", Json());
      default:
        if (text_[at_] == '-' || is_digit(text_[at_])) return parse_number();
        fail(describe_next() + ", expected a value");
    }
  }

  Json parse_literal(std::string_view word, Json value) {
    if (text_.substr(at_, word.size()) != word)
      fail("invalid literal, expected '" + std::string(word) + "'");
    at_ += word.size();
    return value;
  }

  void check_depth(int depth) const {
    if (depth > max_depth)
      fail("nesting deeper than " + std::to_string(max_depth) + " levels");
  }

  Json parse_array(int depth) {
    check_depth(depth);
    ++at_;
    Json::Array values;
    skip_whitespace();
    if (peek(']')) {
      ++at_;
      return Json(std::move(values));
    }
    while (true) {
      skip_whitespace();
      values.push_back(parse_value(depth));
      skip_whitespace();
      if (peek(']')) break;
      expect(',', "or ']' in an array");
    }
    ++at_;
    return Json(std::move(values));
  }

  Json parse_object(int depth) {
    check_depth(depth);
    ++at_;
    JsonObject object;
    std::vector<std::size_t> key_offsets;
    skip_whitespace();
    if (!peek('}')) {
      while (true) {
        skip_whitespace();
        if (!peek('"')) fail(describe_next() + ", expected a string key");
        key_offsets.push_back(at_);
        std::string key = parse_string();
        skip_whitespace();
        expect(':', "after an object key");
        skip_whitespace();
        Json value = parse_value(depth);
        object.members_.emplace_back(std::move(key), std::move(value));
        skip_whitespace();
        if (peek('}')) break;
        expect(',', "or '}' in an object");
      }
    }
    ++at_;
    if (const std::size_t repeated = object.rebuild_index(); repeated != std::string::npos)
      fail_at(key_offsets[repeated], "duplicate key \"" + object.members_[repeated].first + "\"");
    return Json(std::move(object));
  }

  std::string parse_string() {
    const std::size_t opening_quote = at_++;
    std::string out;
    while (true) {
      // Plain ASCII runs are copied in one piece.
      std::size_t run_end = at_;
      while (run_end < text_.size()) {
        const auto c = static_cast<unsigned char>(text_[run_end]);
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
        ++run_end;
      }
      out.append(text_.substr(at_, run_end - at_));
      at_ = run_end;
      if (at_ >= text_.size()) fail_at(opening_quote, "unterminated string");
      const auto c = static_cast<unsigned char>(text_[at_]);
      if (c == '"') {
        ++at_;
        return out;
      }
      if (c == '\\') {
        parse_escape(out);
      } else if (c < 0x20) {
        fail("unescaped control character " + hex_byte(c) + " in a string");
      } else {
        const std::size_t length = utf8_sequence_length(text_, at_);
        if (length == 0) fail("invalid UTF-8 in a string");
        out.append(text_.substr(at_, length));
        at_ += length;
      }
    }
  }

  void parse_escape(std::string& out) {
    const std::size_t backslash = at_++;
    if (at_ >= text_.size()) fail_at(backslash, "unterminated escape sequence");
    const char kind = text_[at_++];
    switch (kind) {
      case '"': out.push_back('"'); return;
      case '\\': out.push_back('\\'); return;
      case '/': out.push_back('/'); return;
      case 'b': out.push_back('\b'); return;
      case 'f': out.push_back('\f'); return;
      case 'n': out.push_back('\n'); return;
      case 'r': out.push_back('\r'); return;
      case 't': out.push_back('\t'); return;
      case 'u': break;
      default: fail_at(backslash, "invalid escape sequence");
    }
    char32_t unit = parse_hex4(backslash);
    if (unit >= 0xDC00 && unit <= 0xDFFF)
      fail_at(backslash, "low surrogate without a preceding high surrogate");
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      // Outside the Basic Multilingual Plane, JSON spells a code point as a
      // UTF-16 surrogate pair (RFC 8259, section 7).
      if (text_.substr(at_, 2) != "\\u")
        fail_at(backslash, "high surrogate not followed by a low surrogate");
      at_ += 2;
      const char32_t low = parse_hex4(at_ - 2);
      if (low < 0xDC00 || low > 0xDFFF)
        fail_at(backslash, "high surrogate not followed by a low surrogate");
      unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(out, unit);
  }

  char32_t parse_hex4(std::size_t escape_start) {
    char32_t value = 0;
    for (int i = 0; i < 4; ++i, ++at_) {
      if (at_ >= text_.size()) fail_at(escape_start, "\\u needs four hex digits");
      const char c = text_[at_];
      value <<= 4;
      if (c >= '0' && c <= '9') value |= static_cast<char32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') value |= static_cast<char32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') value |= static_cast<char32_t>(c - 'A' + 10);
      else fail_at(escape_start, "\\u needs four hex digits");
    }
    return value;
  }

  void expect_digits(const char* after) {
    if (!peek_digit()) fail(describe_next() + ", expected a digit " + after);
    while (peek_digit()) ++at_;
  }

  Json parse_number() {
    const std::size_t start = at_;
    if (peek('-')) ++at_;
    if (peek('0')) {
      ++at_;
      if (peek_digit()) fail("leading zeros are not allowed in a number");
    } else {
      expect_digits("in a number");
    }
    bool integral = true;
    if (peek('.')) {
      ++at_;
      integral = false;
      expect_digits("after the decimal point");
    }
    if (peek('e') || peek('E')) {
      ++at_;
      integral = false;
      if (peek('+') || peek('-')) ++at_;
      expect_digits("in the exponent");
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + at_;
    if (integral) {
      std::int64_t value = 0;
      const auto [end, ec] = std::from_chars(first, last, value);
      if (ec == std::errc{} && end == last) return Json(value);
      // Past int64: kept as the nearest double, as JavaScript would.
    }
    double value = 0;
    const auto [end, ec] = std::from_chars(first, last, value);
    if (ec == std::errc::result_out_of_range) {
      // Too small rounds to zero, as in JavaScript and Python; too large has
      // no double to round to.
      if (decimal_exponent(std::string_view(first, last)) < 0)
        return Json(*first == '-' ? -0.0 : 0.0);
      fail_at(start, "number " + std::string(first, last) + " is out of the range of a double");
    }
    if (ec != std::errc{} || end != last) fail_at(start, "malformed number");
    return Json(value);
  }

  // The power of ten of the first significant digit of a grammatical number
  // with at least one nonzero digit (1.5e3 -> 3, 0.02 -> -2), saturating.
  static std::int64_t decimal_exponent(std::string_view number) {
    if (number.starts_with('-')) number.remove_prefix(1);
    const std::size_t e = number.find_first_of("eE");
    std::int64_t exponent = 0;
    if (e != std::string_view::npos) {
      std::string_view digits = number.substr(e + 1);
      const bool negative = digits.starts_with('-');
      if (digits.starts_with('-') || digits.starts_with('+')) digits.remove_prefix(1);
      const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), exponent);
      if (result.ec == std::errc::result_out_of_range) exponent = std::int64_t{1} << 62;
      if (negative) exponent = -exponent;
      number = number.substr(0, e);
    }
    const std::size_t point = std::min(number.find('.'), number.size());
    const std::size_t first_significant = number.find_first_not_of("0.");
    if (first_significant == std::string_view::npos) return 0;
    const auto position = static_cast<std::int64_t>(first_significant);
    const auto integer_digits = static_cast<std::int64_t>(point);
    return exponent + (first_significant < point ? integer_digits - 1 - position
                                                 : integer_digits - position);
  }

  std::string_view text_;
  std::string_view source_;
  std::size_t at_ = 0;
};

}  // namespace adaptrec::io::detail
