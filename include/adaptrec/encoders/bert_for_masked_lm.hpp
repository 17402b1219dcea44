#pragma once
// A BERT encoder with its masked-language-model head, trained by the masked-LM
// objective (Devlin et al., 2019, sec. 3.1): mean cross-entropy of the
// original token at every labelled position (text/mlm_masking.hpp makes the
// labels). Parameter names are Hugging Face BertForMaskedLM's (`bert.*`,
// `cls.predictions.*`; the decoder weight is the word-embedding table and is
// not stored twice), and the checkpoint folder loads in transformers'
// BertForMaskedLM.from_pretrained.
//
// Only the labelled positions reach the head: its decoder costs M x V x H for
// M labels (about 15% of the tokens) instead of B x S x V x H.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/encoders/bert.hpp>
#include <adaptrec/encoders/bert_config.hpp>
#include <adaptrec/encoders/bert_pretrained.hpp>
#include <adaptrec/encoders/masked_lm_head.hpp>
#include <adaptrec/io/pretrained.hpp>
#include <adaptrec/io/safetensors.hpp>
#include <adaptrec/losses/softmax_cross_entropy.hpp>
#include <adaptrec/text/mlm_masking.hpp>
#include <adaptrec/text/token_batch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace adaptrec::encoders {

template <class T = float>
class BertForMaskedLM {
 public:
  using scalar_type = T;

  // Weights drawn as Hugging Face initialises a fresh model (for training from
  // scratch); the encoder has no pooler, as in BertForMaskedLM.
  BertForMaskedLM(const BertConfig& config, Rng& rng, std::uint64_t dropout_seed = 0)
      : bert_(config, rng, /*with_pooler=*/false, dropout_seed), head_(config, rng) {}

  const BertConfig& config() const { return bert_.config(); }
  Bert<T>& bert() { return bert_; }
  BertMaskedLMHead<T>& head() { return head_; }
  Parameter<T>& word_embeddings() { return bert_.embeddings().word_embeddings(); }

  // labels: [B, S] like batch.input_ids, a token id at each position to
  // predict and text::ignored_label elsewhere. Returns the mean cross-entropy
  // over the labelled positions (Hugging Face's loss with ignore_index -100).
  // Throws invalid_argument when no position is labelled.
  T forward(const text::TokenBatch& batch, const Tensor<index_t>& labels) {
    select_labelled(batch, labels);
    Tensor<T> hidden = bert_.forward(batch);
    hidden_shape_ = hidden.shape();
    hidden.reshape(Shape{hidden.rows(), hidden.cols()});
    Tensor<T> rows(Shape{positions_.size(), hidden.cols()});
    backend::gather_rows(hidden, positions_, rows);
    masked_logits_ = head_.forward(rows, word_embeddings());
    return loss_.forward(masked_logits_, masked_labels_);
  }

  // Accumulates the gradient of the last forward's loss into every trainable
  // parameter (the word embeddings receive both the lookup's and the
  // decoder's share).
  void backward() {
    const Tensor<T> d_rows = head_.backward(loss_.backward(), word_embeddings());
    Tensor<T> d_hidden(Shape{hidden_shape_[0] * hidden_shape_[1], hidden_shape_[2]});
    backend::scatter_add_rows(d_rows, positions_, d_hidden);
    d_hidden.reshape(hidden_shape_);
    bert_.backward(d_hidden);
  }

  // The last forward's logits of the labelled positions [M, V], their labels
  // [M] and flat positions b * S + s [M], in row-major order of the batch.
  const Tensor<T>& masked_logits() const { return masked_logits_; }
  const Tensor<index_t>& masked_labels() const { return masked_labels_; }
  const Tensor<index_t>& masked_positions() const { return positions_; }

  // How many labelled positions the last forward predicted correctly (argmax).
  index_t correct_predictions() const {
    const index_t vocab = masked_logits_.cols();
    index_t correct = 0;
    for (index_t m = 0; m < masked_logits_.rows(); ++m) {
      const T* row = masked_logits_.data() + m * vocab;
      index_t best = 0;
      for (index_t v = 1; v < vocab; ++v)
        if (row[v] > row[best]) best = v;
      correct += best == masked_labels_[m];
    }
    return correct;
  }

  // Logits at every position, [B, S, V], for inspection (costs B x S x V x H).
  Tensor<T> logits(const text::TokenBatch& batch) {
    return head_.forward(bert_.forward(batch), word_embeddings());
  }

  void reseed_dropout(std::uint64_t seed) { bert_.reseed_dropout(seed); }
  void train(bool on = true) {
    bert_.train(on);
    head_.train(on);
  }
  void eval() { train(false); }
  bool is_training() const { return bert_.is_training(); }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    bert_.visit_parameters(f, join_name(prefix, "bert"));
    head_.visit_parameters(f, join_name(prefix, "cls.predictions"));
  }

 private:
  void select_labelled(const text::TokenBatch& batch, const Tensor<index_t>& labels) {
    constexpr const char* where = "adaptrec::encoders::BertForMaskedLM::forward";
    batch.validate(where);
    if (!(labels.shape() == batch.input_ids.shape()))
      throw shape_error(std::string(where) + ": labels of shape " + labels.shape().to_string() +
                        " do not match input_ids " + batch.input_ids.shape().to_string());
    const index_t columns = labels.dim(1), vocab = config().vocab_size;
    const index_t count = text::count_labelled(labels);
    if (count == 0)
      throw invalid_argument(std::string(where) + ": no position of the labels " +
                             labels.shape().to_string() + " carries a label (all are " +
                             std::to_string(text::ignored_label) + "), so the loss is undefined");
    positions_ = Tensor<index_t>(Shape{count});
    masked_labels_ = Tensor<index_t>(Shape{count});
    for (index_t i = 0, m = 0; i < labels.size(); ++i) {
      if (labels[i] == text::ignored_label) continue;
      if (labels[i] < 0 || labels[i] >= vocab)
        throw index_error(std::string(where) + ": labels[" + std::to_string(i / columns) + ", " +
                          std::to_string(i % columns) + "] = " + std::to_string(labels[i]) +
                          " is neither " + std::to_string(text::ignored_label) +
                          " nor a token id in [0, " + std::to_string(vocab) + ")");
      positions_[m] = i;
      masked_labels_[m++] = labels[i];
    }
  }

  Bert<T> bert_;
  BertMaskedLMHead<T> head_;
  losses::SoftmaxCrossEntropy<T> loss_;

  Tensor<index_t> positions_;
  Tensor<index_t> masked_labels_;
  Tensor<T> masked_logits_;
  Shape hidden_shape_;
};

struct MaskedLMLoadOptions {
  // Seeds the head's initialisation when the checkpoint has no head.
  std::uint64_t head_seed = 0;
  std::uint64_t dropout_seed = 0;
};

struct MaskedLMSaveOptions {
  io::DType dtype = io::DType::f32;
  // When set, vocab.txt and the tokenizer files found there are copied along.
  std::filesystem::path tokenizer_source;
};

namespace detail {

// Checkpoint tensors a BertForMaskedLM does not hold: the pooler and the
// next-sentence head of BertForPreTraining, and the decoder, which is tied to
// the word embeddings (checked equal when stored).
inline std::vector<std::string> masked_lm_ignored_prefixes() {
  return {"bert.pooler.", "cls.seq_relationship.", "cls.predictions.decoder."};
}

template <class T>
void require_tied_decoder(const io::SafetensorsFile& file, BertForMaskedLM<T>& model) {
  constexpr const char* decoder = "cls.predictions.decoder.weight";
  if (!file.contains(decoder)) return;
  const Tensor<T> stored = file.tensor<T>(decoder);
  const Tensor<T>& tied = model.word_embeddings().value;
  if (!(stored.shape() == tied.shape()) || !std::equal(tied.begin(), tied.end(), stored.begin()))
    throw io_error(file.source() + ": \"" + decoder +
                   "\" differs from the word embeddings; only the tied decoder of BERT's "
                   "masked-LM head is supported");
}

}  // namespace detail

// Reads dir/config.json and dir/model.safetensors. A BertForMaskedLM (or
// BertForPreTraining) checkpoint loads whole; a bare encoder (BertModel, e.g.
// all-MiniLM-L6-v2) loads into the encoder and the head starts from Hugging
// Face's initialisation. Throws io_error naming the file and every missing,
// unexpected or wrongly shaped tensor.
template <class T = float>
BertForMaskedLM<T> load_bert_for_masked_lm(const std::filesystem::path& dir,
                                           const MaskedLMLoadOptions& options = {}) {
  const BertConfig config = BertConfig::from_file(dir / "config.json");
  const io::SafetensorsFile file = io::SafetensorsFile::open(detail::weights_path(dir));
  Rng rng(options.head_seed);
  BertForMaskedLM<T> model(config, rng, options.dropout_seed);

  io::PretrainedLoadOptions load;
  if (file.contains("cls.predictions.bias")) {
    load.ignored_prefixes = detail::masked_lm_ignored_prefixes();
    io::load_named_parameters(model, file, load);
    detail::require_tied_decoder(file, model);
  } else {
    load.prefix = detail::detect_bert_prefix(file);
    load.ignored_prefixes = {load.prefix + "pooler.", "cls."};
    io::load_named_parameters(model.bert(), file, load);
  }
  return model;
}

// Writes dir/config.json (architectures ["BertForMaskedLM"]) and
// dir/model.safetensors with Hugging Face's names; dir is created.
template <class T>
void save_bert_for_masked_lm(BertForMaskedLM<T>& model, const std::filesystem::path& dir,
                             const MaskedLMSaveOptions& options = {}) {
  io::Json config = model.config().to_json();
  config.set("architectures", io::Json::array({"BertForMaskedLM"}));
  config.set("tie_word_embeddings", true);
  detail::write_checkpoint_config(dir, std::move(config), options.dtype);
  io::save_named_parameters(model, dir / "model.safetensors", {}, {}, options.dtype);
  detail::copy_tokenizer_files(options.tokenizer_source, dir);
}

}  // namespace adaptrec::encoders
