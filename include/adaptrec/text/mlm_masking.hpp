#pragma once
// Masking for the masked-language-model objective (Devlin et al., 2019, sec.
// 3.1, "Task #1: Masked LM"), with the semantics of Hugging Face's
// DataCollatorForLanguageModeling: every real token that is not a special
// token is selected with probability selection_probability (15%); a selected
// token becomes [MASK] with probability mask_probability (80%), a token drawn
// uniformly from the whole vocabulary with probability random_probability
// (10%), and stays as it is otherwise (10%). The label of a selected position
// is its original id; every other position gets ignored_label, the
// ignore_index of PyTorch's cross-entropy, so the loss covers selected
// positions only. Keeping 10% unchanged and 10% random stops the encoder from
// learning that only [MASK] positions matter, since [MASK] never occurs when
// the encoder is used later (sec. 3.1 and appendix C.2).
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/core/tensor.hpp>
#include <adaptrec/data/shuffle.hpp>
#include <adaptrec/text/bert_tokenizer.hpp>
#include <adaptrec/text/token_batch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace adaptrec::text {

// The label of a position that takes no part in the loss (PyTorch's and Hugging
// Face's ignore_index).
inline constexpr index_t ignored_label = -100;

struct MaskingOptions {
  double selection_probability = 0.15;  // Hugging Face's mlm_probability
  double mask_probability = 0.8;        // of a selected token: becomes [MASK]
  double random_probability = 0.1;      // of a selected token: becomes a random token

  // Throws invalid_argument naming `where` and the offending option.
  void validate(const std::string& where = "adaptrec::text::MaskingOptions") const {
    auto probability = [&](const char* name, double p) {
      if (!(p >= 0.0 && p <= 1.0))
        throw invalid_argument(where + ": " + name + " = " + std::to_string(p) +
                               " must lie in [0, 1]");
    };
    probability("selection_probability", selection_probability);
    probability("mask_probability", mask_probability);
    probability("random_probability", random_probability);
    if (selection_probability == 0.0)
      throw invalid_argument(where + ": selection_probability = 0 selects no token to predict");
    if (mask_probability + random_probability > 1.0)
      throw invalid_argument(where + ": mask_probability + random_probability = " +
                             std::to_string(mask_probability + random_probability) +
                             " exceeds 1");
  }
};

// What masking needs to know about a vocabulary: its size (random tokens are
// drawn from all of it), the [MASK] id, and the ids never selected ([CLS],
// [SEP], [PAD], [UNK], [MASK]: Hugging Face's all_special_ids).
struct MaskingVocabulary {
  index_t vocab_size = 0;
  index_t mask_token_id = -1;
  std::vector<index_t> special_token_ids;

  void validate(const std::string& where = "adaptrec::text::MaskingVocabulary") const {
    if (vocab_size <= 0)
      throw invalid_argument(where + ": vocab_size must be positive, got " +
                             std::to_string(vocab_size));
    auto in_range = [&](const std::string& what, index_t id) {
      if (id < 0 || id >= vocab_size)
        throw index_error(where + ": " + what + " " + std::to_string(id) + " is outside [0, " +
                          std::to_string(vocab_size) + ")");
    };
    in_range("mask_token_id", mask_token_id);
    for (index_t id : special_token_ids) in_range("special token id", id);
  }

  bool is_special(index_t id) const {
    return std::find(special_token_ids.begin(), special_token_ids.end(), id) !=
           special_token_ids.end();
  }
};

// The masking view of a tokenizer: its vocabulary size (Hugging Face draws
// random tokens from len(tokenizer)), its [MASK] and its special tokens.
inline MaskingVocabulary masking_vocabulary(const BertTokenizer& tokenizer) {
  MaskingVocabulary vocabulary{tokenizer.vocabulary().size(), tokenizer.mask_id(), {}};
  for (const std::string& token : tokenizer.options().special_tokens())
    vocabulary.special_token_ids.push_back(
        tokenizer.vocabulary().required_id(token, "special token"));
  return vocabulary;
}

// Masks `batch.input_ids` in place and returns the labels, [batch, sequence].
// Positions with attention_mask 0 (padding) and special tokens are never
// selected. Throws index_error naming the position of an id outside the
// vocabulary, before anything changes.
inline Tensor<index_t> mask_tokens(TokenBatch& batch, const MaskingOptions& options,
                                   const MaskingVocabulary& vocabulary, Rng& rng) {
  constexpr const char* where = "adaptrec::text::mask_tokens";
  options.validate(where);
  vocabulary.validate(where);
  batch.validate(where);
  Tensor<index_t>& ids = batch.input_ids;
  const index_t columns = batch.sequence_length();
  for (index_t i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || ids[i] >= vocabulary.vocab_size)
      throw index_error(std::string(where) + ": input_ids[" + std::to_string(i / columns) + ", " +
                        std::to_string(i % columns) + "] = " + std::to_string(ids[i]) +
                        " is outside the vocabulary [0, " +
                        std::to_string(vocabulary.vocab_size) + ")");

  // One table lookup per token instead of a search through the special ids.
  std::vector<unsigned char> special(static_cast<std::size_t>(vocabulary.vocab_size), 0);
  for (index_t id : vocabulary.special_token_ids) special[static_cast<std::size_t>(id)] = 1;

  // data/shuffle.hpp's draws, which give the same masks with every standard
  // library (std::*_distribution is implementation-defined).
  const auto random_token = [&] {
    return static_cast<index_t>(
        data::uniform_below(rng, static_cast<std::uint64_t>(vocabulary.vocab_size)));
  };
  const double random_below = options.mask_probability + options.random_probability;
  Tensor<index_t> labels = Tensor<index_t>::full(ids.shape(), ignored_label);
  const index_t* attention = batch.attention_mask.data();
  for (index_t i = 0; i < ids.size(); ++i) {
    if (attention[i] == 0 || special[static_cast<std::size_t>(ids[i])]) continue;
    if (!(data::uniform_unit(rng) < options.selection_probability)) continue;
    labels[i] = ids[i];
    const double replacement = data::uniform_unit(rng);
    if (replacement < options.mask_probability)
      ids[i] = vocabulary.mask_token_id;
    else if (replacement < random_below)
      ids[i] = random_token();
  }
  return labels;
}

// The number of positions that carry a label.
inline index_t count_labelled(const Tensor<index_t>& labels) {
  return static_cast<index_t>(
      std::count_if(labels.begin(), labels.end(), [](index_t l) { return l != ignored_label; }));
}

}  // namespace adaptrec::text
