#pragma once
// BERT's input embeddings (Devlin et al., 2019, sec. 3, fig. 2): the sum of a
// token's word, position and segment (token type) embeddings, then LayerNorm
// and dropout, with Hugging Face BertEmbeddings' parameter names.
//
// The three tables' gradients are row-sparse as in layers::Embedding: backward
// accumulates only the rows a batch used and lists them in touched_rows. The
// padding token's word row receives no gradient, as nn.Embedding's
// padding_idx does in Hugging Face, so fine-tuning here and there agree.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/encoders/bert_config.hpp>
#include <adaptrec/layers/dropout.hpp>
#include <adaptrec/layers/layer_norm.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace adaptrec::encoders {

// How a new model's weights are set: drawn as BERT initialises them, or left
// to a loader that overwrites every one (drawing MiniLM's 10^7 normal numbers
// would take longer than reading the checkpoint).
enum class WeightInit { bert, deferred };

template <class T = float>
class BertEmbeddings : public TrainingMode {
 public:
  using scalar_type = T;

  // Tables drawn from N(0, initializer_range^2) with the padding row zeroed,
  // as BertPreTrainedModel._init_weights does (all zero when deferred).
  BertEmbeddings(const BertConfig& config, Rng& rng, std::uint64_t dropout_seed = 0,
                 WeightInit init = WeightInit::bert)
      : word_(table(validated(config).vocab_size, config.hidden_size, config, init, rng)),
        position_(table(config.max_position_embeddings, config.hidden_size, config, init, rng)),
        token_type_(table(config.type_vocab_size, config.hidden_size, config, init, rng)),
        layer_norm_(config.hidden_size, static_cast<T>(config.layer_norm_eps)),
        dropout_(static_cast<T>(config.hidden_dropout_prob), dropout_seed),
        pad_token_id_(config.pad_token_id) {
    if (pad_token_id_) {
      const index_t h = hidden_size();
      std::fill_n(word_.value.data() + *pad_token_id_ * h, h, T(0));
    }
  }

  index_t hidden_size() const { return word_.shape()[1]; }
  index_t vocab_size() const { return word_.shape()[0]; }
  index_t max_positions() const { return position_.shape()[0]; }
  index_t type_vocab_size() const { return token_type_.shape()[0]; }
  Parameter<T>& word_embeddings() { return word_; }
  Parameter<T>& position_embeddings() { return position_; }
  Parameter<T>& token_type_embeddings() { return token_type_; }
  layers::LayerNorm<T>& layer_norm() { return layer_norm_; }

  void reseed_dropout(std::uint64_t seed) { dropout_.reseed(seed); }

  // input_ids, token_type_ids: [B, S] (token_type_ids may be empty: all 0, as
  // Hugging Face assumes) -> [B, S, hidden].
  Tensor<T> forward(const Tensor<index_t>& input_ids, const Tensor<index_t>& token_type_ids) {
    constexpr const char* where = "adaptrec::encoders::BertEmbeddings";
    if (input_ids.rank() != 2 || input_ids.size() != input_ids.shape().numel())
      throw shape_error(std::string(where) + ": input_ids must be [batch, sequence], got " +
                        input_ids.shape().to_string());
    if (!token_type_ids.empty() && !(token_type_ids.shape() == input_ids.shape()))
      throw shape_error(std::string(where) + ": token_type_ids of shape " +
                        token_type_ids.shape().to_string() + " do not match input_ids " +
                        input_ids.shape().to_string());
    const index_t batch = input_ids.dim(0), length = input_ids.dim(1), h = hidden_size();
    if (length > max_positions())
      throw index_error(std::string(where) + ": sequence length " + std::to_string(length) +
                        " of input_ids " + input_ids.shape().to_string() +
                        " exceeds max_position_embeddings = " + std::to_string(max_positions()));
    require_ids_below(input_ids, vocab_size(), "input_ids", "vocab_size");
    if (!token_type_ids.empty())
      require_ids_below(token_type_ids, type_vocab_size(), "token_type_ids", "type_vocab_size");

    ids_ = input_ids;
    token_types_ = token_type_ids.empty() ? Tensor<index_t>(input_ids.shape()) : token_type_ids;
    if (!(positions_.shape() == input_ids.shape())) {
      positions_ = Tensor<index_t>(input_ids.shape());
      for (index_t b = 0; b < batch; ++b)
        for (index_t s = 0; s < length; ++s) positions_[b * length + s] = s;
    }

    Tensor<T> sum(Shape{batch, length, h}), part(Shape{batch, length, h});
    backend::gather_rows(word_.value, ids_, sum);
    backend::gather_rows(position_.value, positions_, part);
    backend::axpy(T(1), part, sum);
    backend::gather_rows(token_type_.value, token_types_, part);
    backend::axpy(T(1), part, sum);

    return dropout_.forward(layer_norm_.forward(std::move(sum)));
  }

  // dy: [B, S, hidden]. Accumulates the tables' (and LayerNorm's) gradients
  // and returns the gradient with respect to the summed embeddings, which is
  // also that with respect to the looked-up word rows (Hugging Face's
  // inputs_embeds), for methods that perturb or tune input embeddings.
  Tensor<T> backward(const Tensor<T>& dy) {
    require_shape(dy, Shape{ids_.dim(0), ids_.dim(1), hidden_size()},
                  "adaptrec::encoders::BertEmbeddings::backward");
    Tensor<T> scratch;
    Tensor<T> d_sum = layer_norm_.backward(dropout_.backward(dy, scratch));
    if (word_.trainable) accumulate_word_rows(d_sum);
    accumulate_rows(d_sum, positions_, position_);
    accumulate_rows(d_sum, token_types_, token_type_);
    return d_sum;
  }

  void train(bool on = true) {
    training_ = on;
    layer_norm_.train(on);
    dropout_.train(on);
  }
  void eval() { train(false); }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    f(join_name(prefix, "word_embeddings.weight"), word_);
    f(join_name(prefix, "position_embeddings.weight"), position_);
    f(join_name(prefix, "token_type_embeddings.weight"), token_type_);
    layer_norm_.visit_parameters(f, join_name(prefix, "LayerNorm"));
  }

 private:
  static const BertConfig& validated(const BertConfig& config) {
    config.validate();
    return config;
  }

  static Parameter<T> table(index_t rows, index_t cols, const BertConfig& config, WeightInit init,
                            Rng& rng) {
    if (rows <= 0 || cols <= 0)
      throw invalid_argument("adaptrec::encoders::BertEmbeddings: a table of " +
                             std::to_string(rows) + " x " + std::to_string(cols) +
                             " (sizes must be positive)");
    Parameter<T> p(Shape{rows, cols});
    p.sparse = true;
    if (init == WeightInit::bert)
      fill_normal(p.value, T(0), static_cast<T>(config.initializer_range), rng);
    return p;
  }

  static void require_ids_below(const Tensor<index_t>& ids, index_t limit, const char* name,
                                const char* limit_name) {
    const index_t cols = ids.dim(1);
    for (index_t i = 0; i < ids.size(); ++i)
      if (ids[i] < 0 || ids[i] >= limit)
        throw index_error("adaptrec::encoders::BertEmbeddings: " + std::string(name) + "[" +
                          std::to_string(i / cols) + ", " + std::to_string(i % cols) +
                          "] = " + std::to_string(ids[i]) + " is outside [0, " +
                          std::to_string(limit) + ") (" + limit_name + ")");
  }

  static void accumulate_rows(const Tensor<T>& d_sum, const Tensor<index_t>& ids,
                              Parameter<T>& table) {
    if (!table.trainable) return;
    backend::scatter_add_rows(d_sum, ids, table.grad);
    table.mark_touched_rows(ids.data(), ids.size());
  }

  // Positions holding the padding token are left out, so its row stays zero.
  void accumulate_word_rows(Tensor<T>& d_sum) {
    index_t pads = 0;
    if (pad_token_id_)
      for (index_t id : ids_) pads += id == *pad_token_id_;
    if (pads == 0) {
      accumulate_rows(d_sum, ids_, word_);
      return;
    }
    Tensor<index_t> kept_positions(Shape{ids_.size() - pads}), kept_ids(Shape{ids_.size() - pads});
    for (index_t i = 0, k = 0; i < ids_.size(); ++i)
      if (ids_[i] != *pad_token_id_) {
        kept_positions[k] = i;
        kept_ids[k++] = ids_[i];
      }
    Tensor<T> kept_rows(Shape{kept_ids.size(), hidden_size()});
    const Shape shape = d_sum.shape();
    d_sum.reshape(Shape{ids_.size(), hidden_size()});  // gather_rows reads a [rows, cols] table
    backend::gather_rows(d_sum, kept_positions, kept_rows);
    d_sum.reshape(shape);
    accumulate_rows(kept_rows, kept_ids, word_);
  }

  Parameter<T> word_;
  Parameter<T> position_;
  Parameter<T> token_type_;
  layers::LayerNorm<T> layer_norm_;
  layers::Dropout<T> dropout_;
  std::optional<index_t> pad_token_id_;

  Tensor<index_t> ids_;
  Tensor<index_t> token_types_;
  Tensor<index_t> positions_;
};

}  // namespace adaptrec::encoders
