#pragma once
// The vocabulary of a WordPiece checkpoint (vocab.txt): one token per line, the
// token's id is its 0-based line number.
//
// Lines are read as Hugging Face's load_vocab reads them (Python text mode with
// universal newlines): "\n", "\r\n" and a lone "\r" all end a line, nothing
// else is stripped, and a final line without a newline still counts. When a
// token repeats, the later line's id wins the token -> id lookup, as in the
// OrderedDict load_vocab fills.
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/shape.hpp>
#include <adaptrec/io/detail/file.hpp>
#include <adaptrec/text/utf8.hpp>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace adaptrec::text {

namespace detail {

// Lets unordered_map<std::string, ...> be searched with a string_view without
// building a std::string (C++20 heterogeneous lookup). Deliberately not
// noexcept: libstdc++ then stores each node's hash, so a lookup that walks a
// bucket compares stored hashes instead of rehashing every token it passes.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>{}(text);
  }
};

template <class Value>
using StringMap = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;

}  // namespace detail

class Vocabulary {
 public:
  Vocabulary() = default;

  // Tokens in id order. `source` names them in error messages.
  explicit Vocabulary(std::vector<std::string> tokens, std::string source = "<vocabulary>")
      : tokens_(std::move(tokens)), source_(std::move(source)) {
    ids_.reserve(tokens_.size());
    for (std::size_t i = 0; i < tokens_.size(); ++i) ids_.insert_or_assign(tokens_[i], static_cast<index_t>(i));
  }

  // Reads vocab.txt. Throws io_error when the file cannot be read and
  // invalid_argument naming the file and line when a line is not valid UTF-8.
  static Vocabulary load(const std::filesystem::path& path) {
    const std::string bytes = io::detail::read_file_bytes(path);
    const std::string name = path.string();
    std::vector<std::string> tokens;
    std::u32string scratch;
    std::size_t start = 0;
    while (start < bytes.size()) {
      std::size_t end = bytes.find_first_of("\r\n", start);
      if (end == std::string::npos) end = bytes.size();
      const std::string_view line(bytes.data() + start, end - start);
      scratch.clear();
      append_decoded_utf8(line, scratch, TextSource{name, static_cast<index_t>(tokens.size()) + 1});
      tokens.emplace_back(line);
      start = end;
      if (start < bytes.size()) start += bytes.compare(start, 2, "\r\n") == 0 ? 2 : 1;
    }
    return Vocabulary(std::move(tokens), name);
  }

  // Number of lines, so valid ids are 0 .. size() - 1. A repeated token makes
  // this larger than the number of distinct tokens.
  index_t size() const { return static_cast<index_t>(tokens_.size()); }
  const std::string& source() const { return source_; }

  std::optional<index_t> find(std::string_view token) const {
    const auto found = ids_.find(token);
    if (found == ids_.end()) return std::nullopt;
    return found->second;
  }
  bool contains(std::string_view token) const { return ids_.find(token) != ids_.end(); }

  // Throws index_error naming the token and the vocabulary file when absent.
  index_t id(std::string_view token) const {
    if (const auto found = find(token)) return *found;
    throw index_error("adaptrec::text::Vocabulary: token \"" + std::string(token) + "\" is not in " +
                      source_);
  }

  // The id of a token the tokenizer cannot work without ([CLS], [UNK], ...);
  // `role` says which one (e.g. "cls_token"). Throws io_error naming the
  // vocabulary file when absent.
  index_t required_id(std::string_view token, std::string_view role) const {
    if (const auto found = find(token)) return *found;
    throw io_error("adaptrec::text::Vocabulary: " + source_ + " has no line \"" + std::string(token) +
                   "\", the " + std::string(role) + " the tokenizer needs");
  }

  // The text of line `id`. Throws index_error naming the id when out of range.
  const std::string& token(index_t id) const {
    if (id < 0 || id >= size())
      throw index_error("adaptrec::text::Vocabulary: token id " + std::to_string(id) +
                        " is out of range for " + source_ + " (" + std::to_string(size()) + " tokens)");
    return tokens_[static_cast<std::size_t>(id)];
  }

  // Token -> id, for code that walks the whole vocabulary (WordPiece).
  const detail::StringMap<index_t>& ids() const { return ids_; }
  const std::vector<std::string>& tokens() const { return tokens_; }

 private:
  std::vector<std::string> tokens_;
  detail::StringMap<index_t> ids_;
  std::string source_;
};

}  // namespace adaptrec::text
