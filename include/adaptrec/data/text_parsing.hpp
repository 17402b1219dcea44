#pragma once
// Building blocks shared by the file loaders: whole-file reads, line and field
// splitting over string_views, std::from_chars number parsing, and Latin-1 to
// UTF-8 conversion. Loaders read a file once into memory and never allocate per
// field, which keeps MovieLens 100K well under a tenth of a second.
#include <adaptrec/core/error.hpp>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace adaptrec::data::detail {

inline std::string read_whole_file(const std::filesystem::path& path) {
  struct FileCloser {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) throw io_error("cannot open " + path.string());
  std::string contents;
  char buffer[1 << 16];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) contents.append(buffer, got);
  if (std::ferror(file.get())) throw io_error("error while reading " + path.string());
  return contents;
}

// "file:line: reason", the form every loader's io_error takes.
inline io_error parse_error(const std::filesystem::path& path, std::size_t line,
                            const std::string& reason) {
  return io_error(path.string() + ":" + std::to_string(line) + ": " + reason);
}

// Walks the lines of a buffer. The last line may lack its newline; a trailing
// '\r' (files written on Windows) is dropped; blank lines are skipped.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}

  bool next(std::string_view& line) {
    while (position_ < text_.size()) {
      std::size_t end = text_.find('\n', position_);
      if (end == std::string_view::npos) end = text_.size();
      line = text_.substr(position_, end - position_);
      position_ = end + 1;
      ++line_number_;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty()) return true;
    }
    return false;
  }
  std::size_t line_number() const { return line_number_; }

 private:
  std::string_view text_;
  std::size_t position_ = 0;
  std::size_t line_number_ = 0;
};

// Splits `line` at every occurrence of `separator` (one or more characters) into
// `fields`, reusing its storage.
inline void split_fields(std::string_view line, std::string_view separator,
                         std::vector<std::string_view>& fields) {
  fields.clear();
  std::size_t start = 0;
  while (true) {
    const std::size_t end = line.find(separator, start);
    if (end == std::string_view::npos) {
      fields.push_back(line.substr(start));
      return;
    }
    fields.push_back(line.substr(start, end - start));
    start = end + separator.size();
  }
}

inline std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parses the whole of `text` as a number; false on any leftover character,
// overflow or empty input.
template <class Number>
bool parse_number(std::string_view text, Number& value) {
  if (text.empty()) return false;
  const char* first = text.data();
  const char* last = first + text.size();
  if (*first == '+') ++first;  // from_chars rejects a leading '+'; files do not
  if (first == last) return false;
  const auto [end, ec] = std::from_chars(first, last, value);
  return ec == std::errc() && end == last;
}

inline std::string quoted(std::string_view s) {
  constexpr std::size_t max_shown = 40;
  std::string out = "'";
  out += s.size() <= max_shown ? s : s.substr(0, max_shown);
  if (s.size() > max_shown) out += "...";
  return out + "'";
}

inline bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto byte = static_cast<unsigned char>(s[i]);
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    if (byte < 0x80) {
      ++i;
      continue;
    } else if ((byte & 0xE0) == 0xC0) {
      length = 2;
      code_point = byte & 0x1Fu;
    } else if ((byte & 0xF0) == 0xE0) {
      length = 3;
      code_point = byte & 0x0Fu;
    } else if ((byte & 0xF8) == 0xF0) {
      length = 4;
      code_point = byte & 0x07u;
    } else {
      return false;
    }
    if (i + length > s.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto continuation = static_cast<unsigned char>(s[i + k]);
      if ((continuation & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (continuation & 0x3Fu);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF are invalid.
    constexpr std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < smallest[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF))
      return false;
    i += length;
  }
  return true;
}

// ISO-8859-1 maps byte b to code point U+00b, so each byte >= 0x80 becomes two
// UTF-8 bytes.
inline std::string latin1_to_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (const char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      out.push_back(c);
    } else {
      out.push_back(static_cast<char>(0xC0 | (byte >> 6)));
      out.push_back(static_cast<char>(0x80 | (byte & 0x3F)));
    }
  }
  return out;
}

// The MovieLens releases are ISO-8859-1; copies re-encoded as UTF-8 circulate
// too. Text that is already valid UTF-8 is kept (a Latin-1 title that happens to
// be valid UTF-8 would need a sequence like "Ã©", which no title contains).
inline std::string text_to_utf8(std::string_view s) {
  return is_valid_utf8(s) ? std::string(s) : latin1_to_utf8(s);
}

}  // namespace adaptrec::data::detail
