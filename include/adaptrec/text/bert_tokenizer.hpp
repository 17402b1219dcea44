#pragma once
// The tokenizer of BERT-family checkpoints (vocab.txt + tokenizer_config.json),
// giving the token ids of Hugging Face's slow BertTokenizer on the same input:
// PreTrainedTokenizer.tokenize (lower-casing outside special tokens, splitting
// special tokens out of the text), BasicTokenizer, WordPiece, then
// "[CLS] a [SEP]" or "[CLS] a [SEP] b [SEP]" with token-type ids, "longest
// first" truncation and padding into a TokenBatch.
#include <adaptrec/backend/cpu/parallel.hpp>
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/tensor.hpp>
#include <adaptrec/text/basic_tokenizer.hpp>
#include <adaptrec/text/bert_tokenizer_options.hpp>
#include <adaptrec/text/token_batch.hpp>
#include <adaptrec/text/utf8.hpp>
#include <adaptrec/text/vocabulary.hpp>
#include <adaptrec/text/wordpiece.hpp>

#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace adaptrec::text {

// One encoded text or pair, special tokens included.
struct Encoding {
  std::vector<index_t> ids;
  std::vector<index_t> token_type_ids;
};

enum class Padding {
  longest,     // to the longest sequence of the batch
  max_length,  // to the max_length given
};

class BertTokenizer {
 public:
  BertTokenizer(Vocabulary vocabulary, BertTokenizerOptions options = {})
      : vocabulary_(std::make_shared<const Vocabulary>(std::move(vocabulary))),
        options_(std::move(options)),
        unknown_id_(vocabulary_->required_id(options_.unk_token, "unk_token")),
        classifier_id_(vocabulary_->required_id(options_.cls_token, "cls_token")),
        separator_id_(vocabulary_->required_id(options_.sep_token, "sep_token")),
        padding_id_(vocabulary_->required_id(options_.pad_token, "pad_token")),
        mask_id_(vocabulary_->required_id(options_.mask_token, "mask_token")),
        basic_(basic_options(options_)),
        wordpiece_(vocabulary_, unknown_id_, options_.max_input_chars_per_word) {
    // The config's added tokens keep their ids; special tokens it does not
    // list are vocab.txt's.
    for (const AddedTokenOption& token : options_.added_tokens)
      add_token(token.content, token.id, token.special || token.normalized);
    for (const std::string& token : options_.special_tokens())
      add_token(token, vocabulary_->required_id(token, "special token"), true);
  }

  // vocab.txt and, when present, tokenizer_config.json and
  // special_tokens_map.json of a Hugging Face checkpoint folder.
  static BertTokenizer from_pretrained(const std::filesystem::path& dir) {
    return BertTokenizer(Vocabulary::load(dir / "vocab.txt"), BertTokenizerOptions::load_pretrained(dir));
  }

  const Vocabulary& vocabulary() const { return *vocabulary_; }
  const BertTokenizerOptions& options() const { return options_; }
  index_t unknown_id() const { return unknown_id_; }
  index_t classifier_id() const { return classifier_id_; }
  index_t separator_id() const { return separator_id_; }
  index_t padding_id() const { return padding_id_; }
  index_t mask_id() const { return mask_id_; }

  // The pieces of `text`, without [CLS]/[SEP]. Throws invalid_argument naming
  // the byte offset when `text` is not valid UTF-8.
  std::vector<std::string> tokenize(std::string_view text) const {
    std::vector<std::string> tokens;
    for_each_token(text, [&](index_t id, std::u32string_view verbatim) {
      tokens.push_back(verbatim.empty() ? token(id) : encode_utf8(verbatim));
    });
    return tokens;
  }

  // The piece ids of `text`, without [CLS]/[SEP].
  std::vector<index_t> tokenize_to_ids(std::string_view text) const {
    std::vector<index_t> ids;
    for_each_token(text, [&](index_t id, std::u32string_view) { ids.push_back(id); });
    return ids;
  }

  // [CLS] a [SEP] (b [SEP]) with token-type ids 0 for a and 1 for b. With
  // max_length, pieces are cut from the ends as Hugging Face's truncation
  // "longest_first" cuts them: from the longer of a and b until both are
  // equally long, then from both, b losing the odd piece. Throws
  // invalid_argument when max_length cannot hold the special tokens and at
  // least one piece of a non-empty single text. Without max_length nothing is
  // cut (Hugging Face without truncation=True); options().model_max_length is
  // the model's limit.
  Encoding encode_with_types(std::string_view text, std::optional<std::string_view> text_b = {},
                             std::optional<index_t> max_length = {}) const {
    if (max_length) check_max_length(*max_length, text_b.has_value(), "encode");
    std::vector<index_t> a = tokenize_to_ids(text), b;
    if (text_b) b = tokenize_to_ids(*text_b);
    return assemble(std::move(a), text_b ? &b : nullptr, max_length);
  }

  std::vector<index_t> encode(std::string_view text, std::optional<std::string_view> text_b = {},
                              std::optional<index_t> max_length = {}) const {
    return encode_with_types(text, text_b, max_length).ids;
  }

  // A padded batch: each text encoded and truncated to max_length, then padded
  // with [PAD] (token type 0, mask 0) to the longest row or to max_length.
  TokenBatch encode_batch(const std::vector<std::string>& texts, index_t max_length,
                          Padding padding = Padding::longest) const {
    return encode_batch_impl(texts, nullptr, max_length, padding);
  }
  // Pairs: texts[i] is sequence a and text_pairs[i] sequence b of row i.
  TokenBatch encode_batch(const std::vector<std::string>& texts, const std::vector<std::string>& text_pairs,
                          index_t max_length, Padding padding = Padding::longest) const {
    if (texts.size() != text_pairs.size())
      throw invalid_argument("adaptrec::text::BertTokenizer::encode_batch: " + std::to_string(texts.size()) +
                             " texts but " + std::to_string(text_pairs.size()) + " pair texts");
    return encode_batch_impl(texts, &text_pairs, max_length, padding);
  }

  // The token of an id: added tokens first, then vocab.txt. An id whose line
  // repeats a later line's token reads as the unknown token, as in Hugging
  // Face's ids_to_tokens. Throws index_error naming the id when out of range.
  std::string token(index_t id) const {
    for (const auto& added : added_)
      if (added.id == id) return encode_utf8(added.text);
    const std::string& text = vocabulary_->token(id);
    return vocabulary_->find(text) == id ? text : options_.unk_token;
  }

  std::vector<std::string> convert_ids_to_tokens(std::span<const index_t> ids) const {
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (const index_t id : ids) tokens.push_back(token(id));
    return tokens;
  }

  // Text from ids as Hugging Face's decode gives it: pieces joined by spaces,
  // " ##" joins removed, then (clean_up_tokenization_spaces) no space before
  // . ? ! , and English contractions.
  std::string decode(std::span<const index_t> ids, bool skip_special_tokens = false) const;

 private:
  struct AddedToken {
    std::u32string text;
    index_t id;
    bool keep_case;  // left alone by lower-casing: special, or normalized
  };
  struct Workspace {
    std::u32string code_points, lowered;
    BasicTokenizer::Scratch basic;
    WordPiece::Scratch wordpiece;
    std::vector<index_t> ids;
  };

  static BasicTokenizerOptions basic_options(const BertTokenizerOptions& options);
  void add_token(std::string_view text, index_t id, bool keep_case);
  // The added token matching at `text[at]`, longest first, or nullptr.
  const AddedToken* added_token_at(std::u32string_view text, std::size_t at, bool only_keep_case) const;
  static Workspace& thread_workspace();

  // Calls emit(id, verbatim) per token; verbatim is the word itself for
  // never_split words (whose id is the unknown one when vocab.txt lacks them)
  // and empty otherwise.
  template <class Emit>
  void for_each_token(std::string_view text, Emit&& emit) const;

  void check_max_length(index_t max_length, bool pair, const char* where) const;
  Encoding assemble(std::vector<index_t> a, std::vector<index_t>* b, std::optional<index_t> max_length) const;
  TokenBatch encode_batch_impl(const std::vector<std::string>& texts, const std::vector<std::string>* pairs,
                               index_t max_length, Padding padding) const;

  std::shared_ptr<const Vocabulary> vocabulary_;
  BertTokenizerOptions options_;
  index_t unknown_id_, classifier_id_, separator_id_, padding_id_, mask_id_;
  BasicTokenizer basic_;
  WordPiece wordpiece_;
  std::vector<AddedToken> added_;
};

}  // namespace adaptrec::text

#include <adaptrec/text/detail/bert_tokenizer_impl.hpp>
