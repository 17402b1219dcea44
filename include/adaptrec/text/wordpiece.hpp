#pragma once
// WordPiece: splits one word into vocabulary pieces, greedy longest match
// first, pieces after the first spelled with a "##" prefix in the vocabulary
// (Wu et al. 2016, "Google's Neural Machine Translation System", section 4.1;
// the algorithm of Hugging Face's WordpieceTokenizer). A word longer than
// max_input_chars_per_word code points, or with a remainder no piece matches,
// becomes the single unknown token.
#include <adaptrec/core/error.hpp>
#include <adaptrec/text/utf8.hpp>
#include <adaptrec/text/vocabulary.hpp>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace adaptrec::text {

class WordPiece {
 public:
  static constexpr index_t default_max_input_chars_per_word = 100;
  static constexpr std::string_view continuation_prefix = "##";

  // Buffers one thread reuses across words, so splitting allocates nothing
  // once they have grown.
  struct Scratch {
    std::string bytes;
    std::vector<std::size_t> boundaries;
    std::vector<index_t> pieces;
  };

  WordPiece(std::shared_ptr<const Vocabulary> vocabulary, index_t unknown_id,
            index_t max_input_chars_per_word = default_max_input_chars_per_word)
      : vocabulary_(std::move(vocabulary)),
        unknown_id_(unknown_id),
        max_input_chars_per_word_(max_input_chars_per_word) {
    if (!vocabulary_) throw invalid_argument("adaptrec::text::WordPiece: no vocabulary given");
    if (unknown_id < 0 || unknown_id >= vocabulary_->size())
      throw index_error("adaptrec::text::WordPiece: unknown-token id " + std::to_string(unknown_id) +
                        " is out of range for " + vocabulary_->source() + " (" +
                        std::to_string(vocabulary_->size()) + " tokens)");
    if (max_input_chars_per_word < 1)
      throw invalid_argument("adaptrec::text::WordPiece: max_input_chars_per_word must be positive, got " +
                             std::to_string(max_input_chars_per_word));
    // Pieces longer than the longest token cannot match, which bounds the
    // search; the id of a repeated token is the later line's, as in lookups.
    for (const auto& [token, id] : vocabulary_->ids()) {
      if (std::string_view(token).starts_with(continuation_prefix)) {
        const std::string_view rest = std::string_view(token).substr(continuation_prefix.size());
        continuations_.insert_or_assign(std::string(rest), id);
        longest_continuation_ = std::max(longest_continuation_, code_point_count(rest));
      }
      longest_token_ = std::max(longest_token_, code_point_count(token));
    }
  }

  const Vocabulary& vocabulary() const { return *vocabulary_; }
  index_t unknown_id() const { return unknown_id_; }
  index_t max_input_chars_per_word() const { return max_input_chars_per_word_; }

  // Appends the piece ids of `word` (code points, no whitespace) to `ids`.
  void append_ids(std::u32string_view word, Scratch& scratch, std::vector<index_t>& ids) const {
    if (word.empty()) return;
    if (static_cast<index_t>(word.size()) > max_input_chars_per_word_) {
      ids.push_back(unknown_id_);
      return;
    }
    scratch.bytes.clear();
    scratch.boundaries.clear();
    for (const char32_t c : word) {
      scratch.boundaries.push_back(scratch.bytes.size());
      append_utf8(scratch.bytes, c);
    }
    scratch.boundaries.push_back(scratch.bytes.size());

    scratch.pieces.clear();
    const std::string_view bytes = scratch.bytes;
    const std::size_t length = word.size();
    for (std::size_t start = 0; start < length;) {
      const bool first = start == 0;
      const std::size_t longest = first ? longest_token_ : longest_continuation_;
      std::size_t end = std::min(length, start + longest);
      index_t match = -1;
      for (; end > start; --end) {
        const std::string_view piece =
            bytes.substr(scratch.boundaries[start], scratch.boundaries[end] - scratch.boundaries[start]);
        if (first) {
          if (const auto found = vocabulary_->ids().find(piece); found != vocabulary_->ids().end()) {
            match = found->second;
            break;
          }
        } else if (const auto found = continuations_.find(piece); found != continuations_.end()) {
          match = found->second;
          break;
        }
      }
      if (match < 0) {
        ids.push_back(unknown_id_);
        return;
      }
      scratch.pieces.push_back(match);
      start = end;
    }
    ids.insert(ids.end(), scratch.pieces.begin(), scratch.pieces.end());
  }

  std::vector<index_t> ids(std::u32string_view word) const {
    Scratch scratch;
    std::vector<index_t> out;
    append_ids(word, scratch, out);
    return out;
  }

 private:
  static std::size_t code_point_count(std::string_view utf8) {
    return static_cast<std::size_t>(
        std::count_if(utf8.begin(), utf8.end(), [](char b) { return (static_cast<unsigned char>(b) & 0xC0) != 0x80; }));
  }

  std::shared_ptr<const Vocabulary> vocabulary_;
  detail::StringMap<index_t> continuations_;
  std::size_t longest_token_ = 0;
  std::size_t longest_continuation_ = 0;
  index_t unknown_id_;
  index_t max_input_chars_per_word_;
};

}  // namespace adaptrec::text
