#pragma once
// The record scanner behind read_delimited: splits a buffer into records of
// fields, undoing RFC 4180 quoting, and remembers where each field started so
// errors can name line and column.
#include <adaptrec/core/error.hpp>
#include <adaptrec/data/text_parsing.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace adaptrec::data::detail {

class DelimitedReader {
 public:
  DelimitedReader(std::string_view text, char delimiter) : text_(text), delimiter_(delimiter) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") position_ = line_start_ = 3;
  }

  // Reads the next non-blank record into `fields` (views valid until the next
  // call); false at the end of the text.
  bool next(std::vector<std::string_view>& fields, const std::filesystem::path& path) {
    while (position_ < text_.size()) {
      record_line_ = line_;
      spans_.clear();
      scratch_.clear();
      read_record(path);
      const bool blank = spans_.size() == 1 && !spans_[0].quoted && spans_[0].length == 0;
      if (blank) continue;
      fields.clear();
      for (const Span& s : spans_)
        fields.push_back(s.in_scratch ? std::string_view(scratch_).substr(s.offset, s.length)
                                      : text_.substr(s.offset, s.length));
      return true;
    }
    return false;
  }

  std::size_t record_line() const { return record_line_; }
  // 1-based line and column where field `i` of the current record starts.
  std::pair<std::size_t, std::size_t> field_position(std::size_t i) const {
    return {spans_[i].line, spans_[i].column};
  }

 private:
  struct Span {
    bool in_scratch;
    bool quoted;
    std::size_t offset, length, line, column;
  };

  bool at_end(std::size_t p) const { return p >= text_.size(); }

  void read_record(const std::filesystem::path& path) {
    while (true) {
      Span span{false, false, 0, 0, line_, position_ - line_start_ + 1};
      std::size_t p = position_;
      if (delimiter_ != ' ')
        while (!at_end(p) && text_[p] == ' ') ++p;
      if (!at_end(p) && text_[p] == '"') {
        p = read_quoted(p + 1, span, path);
        if (delimiter_ != ' ')
          while (!at_end(p) && text_[p] == ' ') ++p;
        const bool field_ends = at_end(p) || text_[p] == delimiter_ || text_[p] == '\n' ||
                                (text_[p] == '\r' && (at_end(p + 1) || text_[p + 1] == '\n'));
        if (!field_ends)
          throw io_error(path.string() + ":" + std::to_string(line_) + ":" +
                         std::to_string(p - line_start_ + 1) +
                         ": unexpected character after a closing quote");
      } else {
        p = position_;
        while (!at_end(p) && text_[p] != delimiter_ && text_[p] != '\n') ++p;
        span.offset = position_;
        span.length = p - position_;
        const bool ends_line = at_end(p) || text_[p] == '\n';
        if (ends_line && span.length > 0 && text_[p - 1] == '\r') --span.length;
      }
      spans_.push_back(span);
      if (!at_end(p) && text_[p] == delimiter_) {
        position_ = p + 1;
        continue;
      }
      if (!at_end(p) && text_[p] == '\r') ++p;
      if (!at_end(p) && text_[p] == '\n') {
        ++p;
        ++line_;
        line_start_ = p;
      }
      position_ = p;
      return;
    }
  }

  // Reads a quoted field's content from `p` (just past the opening quote) and
  // returns the position just past the closing quote.
  std::size_t read_quoted(std::size_t p, Span& span, const std::filesystem::path& path) {
    span.quoted = true;
    const std::size_t content_start = p;
    bool has_doubled_quotes = false;
    while (true) {
      if (at_end(p))
        throw io_error(path.string() + ":" + std::to_string(span.line) + ":" +
                       std::to_string(span.column) + ": unterminated quoted field");
      const char c = text_[p];
      if (c == '\n') {
        ++line_;
        line_start_ = p + 1;
      } else if (c == '"') {
        if (!at_end(p + 1) && text_[p + 1] == '"') {
          has_doubled_quotes = true;
          p += 2;
          continue;
        }
        break;
      }
      ++p;
    }
    const std::string_view content = text_.substr(content_start, p - content_start);
    if (!has_doubled_quotes) {
      span.offset = content_start;
      span.length = content.size();
    } else {
      span.in_scratch = true;
      span.offset = scratch_.size();
      for (std::size_t i = 0; i < content.size(); ++i) {
        scratch_.push_back(content[i]);
        if (content[i] == '"') ++i;  // the second quote of a doubled pair
      }
      span.length = scratch_.size() - span.offset;
    }
    return p + 1;
  }

  std::string_view text_;
  char delimiter_;
  std::size_t position_ = 0;
  std::size_t line_ = 1;
  std::size_t line_start_ = 0;
  std::size_t record_line_ = 1;
  std::vector<Span> spans_;
  std::string scratch_;
};

}  // namespace adaptrec::data::detail
