#pragma once
// Masked-language-model pretraining of a BERT encoder on a text corpus:
// domain-adaptive pretraining when the model starts from a checkpoint
// (Gururangan et al., "Don't Stop Pretraining", ACL 2020), or training a small
// domain encoder from scratch. The recipe is BERT's (Devlin et al., 2019,
// sec. 3.1 and appendix A.2) as Hugging Face's run_mlm.py runs it: fresh
// 80/10/10 masks every epoch (dynamic masking, Liu et al., "RoBERTa", 2019,
// sec. 4.1), AdamW without weight decay on biases and layer-norm weights, a
// linear warmup then linear decay of the learning rate, gradient clipping by
// global norm. A held-out part of the corpus, masked once with a fixed seed,
// gives a loss and masked-token accuracy that compare across epochs.
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/data/shuffle.hpp>
#include <adaptrec/encoders/bert_for_masked_lm.hpp>
#include <adaptrec/optim/adamw.hpp>
#include <adaptrec/optim/clip.hpp>
#include <adaptrec/optim/schedule.hpp>
#include <adaptrec/text/bert_tokenizer.hpp>
#include <adaptrec/text/mlm_masking.hpp>
#include <adaptrec/train/progress.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

namespace adaptrec::train {

struct MlmPretrainOptions {
  int epochs = 3;
  std::size_t batch_size = 32;
  index_t max_length = 64;  // tokens per text, [CLS] and [SEP] included
  double learning_rate = 5e-5;
  double weight_decay = 0.01;
  double warmup_fraction = 0.06;  // of all steps
  double max_grad_norm = 1.0;     // 0: no clipping
  double held_out_fraction = 0.1;
  std::uint64_t seed = 42;
  text::MaskingOptions masking;
  bool verbose = false;  // a progress line per epoch on stderr

  // Throws invalid_argument naming the option.
  void validate() const {
    auto fail = [](const std::string& option, const std::string& why) {
      throw invalid_argument("adaptrec::train::MlmPretrainOptions: " + option + " " + why);
    };
    if (epochs < 0) fail("epochs", "must be >= 0, got " + std::to_string(epochs));
    if (batch_size == 0) fail("batch_size", "must be positive");
    if (max_length < 3) fail("max_length", "must be >= 3, got " + std::to_string(max_length));
    if (!(learning_rate >= 0) || !std::isfinite(learning_rate))
      fail("learning_rate", "must be finite and >= 0, got " + std::to_string(learning_rate));
    if (!(weight_decay >= 0) || !std::isfinite(weight_decay))
      fail("weight_decay", "must be finite and >= 0, got " + std::to_string(weight_decay));
    if (!(warmup_fraction >= 0 && warmup_fraction <= 1))
      fail("warmup_fraction", "must lie in [0, 1], got " + std::to_string(warmup_fraction));
    if (!(max_grad_norm >= 0) || !std::isfinite(max_grad_norm))
      fail("max_grad_norm", "must be finite and >= 0, got " + std::to_string(max_grad_norm));
    if (!(held_out_fraction >= 0 && held_out_fraction < 1))
      fail("held_out_fraction", "must lie in [0, 1), got " + std::to_string(held_out_fraction));
    masking.validate("adaptrec::train::MlmPretrainOptions: masking");
  }
};

// Mean cross-entropy and argmax accuracy over the masked tokens of a set.
struct MlmEvaluation {
  double loss = 0;
  double accuracy = 0;
  index_t masked_tokens = 0;
};

struct MlmEpochResult {
  int epoch = 0;              // from 1
  double train_loss = 0;      // mean over the epoch's masked tokens
  MlmEvaluation held_out;     // empty (0 tokens) without a held-out set
  std::int64_t steps = 0;
  double seconds = 0;
};

struct MlmPretrainResult {
  MlmEvaluation initial_held_out;  // before the first update
  std::vector<MlmEpochResult> epochs;
  std::size_t train_texts = 0;
  std::size_t held_out_texts = 0;
  std::int64_t steps = 0;
  // Batches in which masking selected no token (short texts, small batches).
  std::int64_t skipped_batches = 0;
  double seconds = 0;
};

// One masked batch: the masked tokens and their labels.
struct MaskedBatch {
  text::TokenBatch tokens;
  Tensor<index_t> labels;
};

// Tokenizes and masks corpus[indices] in batches; batches in which nothing
// was selected are left out.
inline std::vector<MaskedBatch> make_masked_batches(
    const text::BertTokenizer& tokenizer, const std::vector<std::string>& corpus,
    const std::vector<std::size_t>& indices, std::size_t batch_size, index_t max_length,
    const text::MaskingOptions& masking, Rng& rng) {
  const text::MaskingVocabulary vocabulary = text::masking_vocabulary(tokenizer);
  std::vector<MaskedBatch> batches;
  std::vector<std::string> texts;
  for (std::size_t begin = 0; begin < indices.size(); begin += batch_size) {
    texts.clear();
    for (std::size_t i = begin; i < std::min(indices.size(), begin + batch_size); ++i)
      texts.push_back(corpus[indices[i]]);
    MaskedBatch batch{tokenizer.encode_batch(texts, max_length), {}};
    batch.labels = text::mask_tokens(batch.tokens, masking, vocabulary, rng);
    if (text::count_labelled(batch.labels) > 0) batches.push_back(std::move(batch));
  }
  return batches;
}

// Evaluates in eval mode (no dropout) and restores the model's mode.
template <class T>
MlmEvaluation evaluate_masked_lm(encoders::BertForMaskedLM<T>& model,
                                 const std::vector<MaskedBatch>& batches) {
  const bool was_training = model.is_training();
  model.eval();
  double loss_sum = 0;
  index_t correct = 0, tokens = 0;
  for (const MaskedBatch& batch : batches) {
    const double loss = static_cast<double>(model.forward(batch.tokens, batch.labels));
    const index_t count = model.masked_labels().size();
    loss_sum += loss * static_cast<double>(count);
    correct += model.correct_predictions();
    tokens += count;
  }
  model.train(was_training);
  MlmEvaluation result;
  result.masked_tokens = tokens;
  if (tokens > 0) {
    result.loss = loss_sum / static_cast<double>(tokens);
    result.accuracy = static_cast<double>(correct) / static_cast<double>(tokens);
  }
  return result;
}

namespace detail {

// Hugging Face's run_mlm / Trainer grouping: no weight decay on biases and
// layer-norm weights (BERT's original optimizer excluded the same).
inline bool decays(const std::string& name) {
  return name.find("bias") == std::string::npos && name.find("LayerNorm.weight") == std::string::npos;
}

template <class T>
void require_compatible(encoders::BertForMaskedLM<T>& model, const text::BertTokenizer& tokenizer,
                        const MlmPretrainOptions& options) {
  constexpr const char* where = "adaptrec::train::pretrain_masked_lm";
  const encoders::BertConfig& config = model.config();
  if (tokenizer.vocabulary().size() > config.vocab_size)
    throw invalid_argument(std::string(where) + ": the tokenizer's vocabulary (" +
                           tokenizer.vocabulary().source() + ") has " +
                           std::to_string(tokenizer.vocabulary().size()) +
                           " tokens but the model's vocab_size is " +
                           std::to_string(config.vocab_size));
  if (options.max_length > config.max_position_embeddings)
    throw invalid_argument(std::string(where) + ": max_length " +
                           std::to_string(options.max_length) + " exceeds the model's " +
                           std::to_string(config.max_position_embeddings) + " positions");
}

}  // namespace detail

// Trains `model` in place on `corpus` (one text per entry). Throws
// invalid_argument for bad options, an empty training set, a tokenizer that
// does not fit the model, or a held-out set in which no token was masked.
template <class T>
MlmPretrainResult pretrain_masked_lm(encoders::BertForMaskedLM<T>& model,
                                     const text::BertTokenizer& tokenizer,
                                     const std::vector<std::string>& corpus,
                                     const MlmPretrainOptions& options) {
  constexpr const char* where = "adaptrec::train::pretrain_masked_lm";
  options.validate();
  detail::require_compatible(model, tokenizer, options);
  const auto start = std::chrono::steady_clock::now();

  // The split and the held-out masks depend on the seed alone.
  Rng rng(options.seed);
  std::vector<std::size_t> order(corpus.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  data::shuffle_in_place(order, rng);
  const auto held = static_cast<std::size_t>(
      std::llround(options.held_out_fraction * static_cast<double>(corpus.size())));
  const std::vector<std::size_t> held_out(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(held));
  std::vector<std::size_t> training(order.begin() + static_cast<std::ptrdiff_t>(held), order.end());
  if (training.empty())
    throw invalid_argument(std::string(where) + ": no training text (corpus of " +
                           std::to_string(corpus.size()) + " texts, held_out_fraction " +
                           std::to_string(options.held_out_fraction) + ")");
  const std::vector<MaskedBatch> held_out_batches = make_masked_batches(
      tokenizer, corpus, held_out, options.batch_size, options.max_length, options.masking, rng);

  MlmPretrainResult result;
  result.train_texts = training.size();
  result.held_out_texts = held_out.size();
  if (!held_out.empty()) {
    result.initial_held_out = evaluate_masked_lm(model, held_out_batches);
    if (result.initial_held_out.masked_tokens == 0)
      throw invalid_argument(std::string(where) + ": masking selected no token in the " +
                             std::to_string(held_out.size()) +
                             " held-out texts; raise held_out_fraction or set it to 0");
  }

  std::vector<NamedParameter<T>> decayed, not_decayed;
  for (const NamedParameter<T>& p : collect_parameters(model))
    (detail::decays(p.name) ? decayed : not_decayed).push_back(p);
  optim::AdamW<T> decaying(decayed, {.learning_rate = static_cast<T>(options.learning_rate),
                                     .weight_decay = static_cast<T>(options.weight_decay)});
  optim::AdamW<T> plain(not_decayed, {.learning_rate = static_cast<T>(options.learning_rate),
                                      .weight_decay = T(0)});
  const std::vector<NamedParameter<T>> all = collect_parameters(model);
  const std::int64_t batches_per_epoch =
      static_cast<std::int64_t>((training.size() + options.batch_size - 1) / options.batch_size);
  const std::int64_t total_steps = std::max<std::int64_t>(1, batches_per_epoch * options.epochs);
  const optim::LinearWarmupLinearDecay schedule(
      std::llround(options.warmup_fraction * static_cast<double>(total_steps)), total_steps);

  model.train();
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    const auto epoch_start = std::chrono::steady_clock::now();
    Progress progress("mlm epoch " + std::to_string(epoch) + "/" + std::to_string(options.epochs),
                      options.verbose);
    data::shuffle_in_place(training, rng);
    // Masks drawn afresh per epoch, from the same generator as the shuffle.
    const std::vector<MaskedBatch> batches = make_masked_batches(
        tokenizer, corpus, training, options.batch_size, options.max_length, options.masking, rng);
    result.skipped_batches += batches_per_epoch - static_cast<std::int64_t>(batches.size());

    MlmEpochResult epoch_result;
    epoch_result.epoch = epoch;
    double loss_sum = 0;
    index_t tokens = 0;
    for (const MaskedBatch& batch : batches) {
      zero_grad(model);
      const double loss = static_cast<double>(model.forward(batch.tokens, batch.labels));
      model.backward();
      if (options.max_grad_norm > 0) optim::clip_grad_norm(all, static_cast<T>(options.max_grad_norm));
      optim::apply_schedule(decaying, static_cast<T>(options.learning_rate), schedule, result.steps);
      optim::apply_schedule(plain, static_cast<T>(options.learning_rate), schedule, result.steps);
      decaying.step();
      plain.step();
      ++result.steps;
      ++epoch_result.steps;
      const index_t count = model.masked_labels().size();
      loss_sum += loss * static_cast<double>(count);
      tokens += count;
      progress.update(static_cast<std::size_t>(batch.tokens.batch_size()), loss);
    }
    epoch_result.train_loss = tokens > 0 ? loss_sum / static_cast<double>(tokens) : 0.0;
    if (!held_out.empty()) epoch_result.held_out = evaluate_masked_lm(model, held_out_batches);
    epoch_result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
    char suffix[96] = "";
    if (!held_out.empty())
      std::snprintf(suffix, sizeof suffix, "held-out loss %.4f  masked accuracy %.4f",
                    epoch_result.held_out.loss, epoch_result.held_out.accuracy);
    progress.finish(suffix);
    result.epochs.push_back(epoch_result);
  }
  zero_grad(model);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace adaptrec::train
