#pragma once
// BERT's basic tokenization (Devlin et al. 2019, "BERT", appendix A.2; the
// BasicTokenizer of Hugging Face's tokenization_bert.py, followed step by
// step): drop invalid and control characters, map whitespace to spaces, put
// spaces around CJK ideographs, normalize to NFC, split on whitespace, then per
// word lower-case and strip accents as configured, and split off every
// punctuation character as a word of its own.
#include <adaptrec/text/unicode.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace adaptrec::text {

struct BasicTokenizerOptions {
  bool do_lower_case = true;
  // Unset: strip accents exactly when lower-casing, as the original BERT did.
  std::optional<bool> strip_accents;
  bool tokenize_chinese_chars = true;
  // Words (after whitespace splitting) that are neither lower-cased, stripped
  // nor split on punctuation.
  std::vector<std::u32string> never_split;
};

// BERT's character classes (tokenization_utils.py: _is_whitespace,
// _is_control, _is_punctuation). Tab, newline and carriage return are
// whitespace, not control characters; all non-alphanumeric printable ASCII is
// punctuation, including "$", "^", "`" that Unicode files under symbols.
inline bool is_bert_whitespace(char32_t c) {
  return c == U' ' || c == U'\t' || c == U'\n' || c == U'\r' || is_space_separator(c);
}
inline bool is_bert_control(char32_t c) {
  return c != U'\t' && c != U'\n' && c != U'\r' && is_other_category(c);
}
inline bool is_bert_punctuation(char32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  return c >= 128 && is_punctuation_category(c);
}

// The "CJK Unified Ideographs" blocks of BasicTokenizer._is_chinese_char, as
// listed there: Hangul, Hiragana and Katakana are not among them.
inline bool is_cjk_ideograph(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

class BasicTokenizer {
 public:
  // Buffers one thread reuses across calls.
  struct Scratch {
    std::u32string cleaned, normalized, lowered, stripped;
  };

  BasicTokenizer() = default;
  explicit BasicTokenizer(BasicTokenizerOptions options) : options_(std::move(options)) {}

  const BasicTokenizerOptions& options() const { return options_; }

  // Calls emit(word, is_never_split) for each output word, in order; a word
  // from never_split comes through untouched with is_never_split true.
  template <class Emit>
  void split(std::u32string_view text, Scratch& scratch, Emit&& emit) const {
    std::u32string& cleaned = scratch.cleaned;
    cleaned.clear();
    for (const char32_t c : text) {
      if (c == 0 || c == 0xFFFD || is_bert_control(c)) continue;
      if (is_bert_whitespace(c)) {
        cleaned.push_back(U' ');
      } else if (options_.tokenize_chinese_chars && is_cjk_ideograph(c)) {
        cleaned.push_back(U' ');
        cleaned.push_back(c);
        cleaned.push_back(U' ');
      } else {
        cleaned.push_back(c);
      }
    }
    // NFC of the whole text equals NFC word by word: the separators are
    // starters that neither decompose nor compose with anything.
    const std::u32string_view all = cleaned;
    std::size_t at = 0;
    while (at < all.size()) {
      while (at < all.size() && is_python_whitespace(all[at])) ++at;
      std::size_t end = at;
      while (end < all.size() && !is_python_whitespace(all[end])) ++end;
      if (end > at) process_word(all.substr(at, end - at), scratch, emit);
      at = end;
    }
  }

  std::vector<std::u32string> split(std::u32string_view text) const {
    Scratch scratch;
    std::vector<std::u32string> words;
    split(text, scratch, [&](std::u32string_view word, bool) { words.emplace_back(word); });
    return words;
  }

 private:
  template <class Emit>
  void process_word(std::u32string_view raw, Scratch& scratch, Emit& emit) const {
    scratch.normalized.clear();
    append_nfc(scratch.normalized, raw);
    std::u32string_view word = scratch.normalized;
    if (std::find(options_.never_split.begin(), options_.never_split.end(), word) != options_.never_split.end()) {
      emit(word, true);
      return;
    }
    if (options_.do_lower_case) {
      scratch.lowered.clear();
      append_lowercase(scratch.lowered, word);
      word = scratch.lowered;
    }
    if (options_.strip_accents.value_or(options_.do_lower_case)) {
      scratch.stripped.clear();
      append_without_accents(scratch.stripped, word);
      word = scratch.stripped;
    }
    std::size_t start = 0;
    for (std::size_t i = 0; i < word.size(); ++i) {
      if (!is_bert_punctuation(word[i])) continue;
      if (i > start) emit(word.substr(start, i - start), false);
      emit(word.substr(i, 1), false);
      start = i + 1;
    }
    if (start < word.size()) emit(word.substr(start), false);
  }

  BasicTokenizerOptions options_;
};

}  // namespace adaptrec::text
