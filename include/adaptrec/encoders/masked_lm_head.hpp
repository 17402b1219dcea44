#pragma once
// BERT's masked-language-model head (Devlin et al., 2019, sec. 3.1; Hugging
// Face's BertLMPredictionHead): a dense H -> H layer, the config's activation
// and a layer norm (BertPredictionHeadTransform), then a decoder to vocabulary
// logits whose weight is the word-embedding table [V, H] plus an own bias [V].
// Sharing the decoder weight with the input embeddings (Press & Wolf, "Using
// the Output Embedding to Improve Language Models", EACL 2017) is how BERT was
// trained, so the head owns no decoder weight: forward and backward take the
// embedding Parameter, and backward adds the decoder's gradient into its grad.
//
// Names as in Hugging Face under `cls.predictions`: `transform.dense.*`,
// `transform.LayerNorm.*`, `bias`.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/encoders/bert_config.hpp>
#include <adaptrec/layers/activation.hpp>
#include <adaptrec/layers/layer_norm.hpp>
#include <adaptrec/layers/linear.hpp>

#include <numeric>
#include <string>
#include <vector>

namespace adaptrec::encoders {

template <class T = float>
class BertMaskedLMHead : public TrainingMode {
 public:
  using scalar_type = T;

  // Weights as BertPreTrainedModel._init_weights draws them: the dense weight
  // N(0, initializer_range^2), biases 0, layer norm 1 and 0.
  BertMaskedLMHead(const BertConfig& config, Rng& rng)
      : dense_(validated(config).hidden_size, config.hidden_size, rng),
        activation_(config.activation()),
        layer_norm_(config.hidden_size, static_cast<T>(config.layer_norm_eps)),
        bias_(Shape{config.vocab_size}) {
    reset_parameters(config.initializer_range, rng);
  }

  index_t hidden_size() const { return dense_.in_features(); }
  index_t vocab_size() const { return bias_.shape()[0]; }
  layers::Linear<T>& dense() { return dense_; }
  layers::LayerNorm<T>& layer_norm() { return layer_norm_; }
  Parameter<T>& bias() { return bias_; }

  // Hugging Face's initialisation, e.g. for a head put on a checkpoint that
  // has none.
  void reset_parameters(double initializer_range, Rng& rng) {
    fill_normal(dense_.weight().value, T(0), static_cast<T>(initializer_range), rng);
    dense_.bias().value.set_zero();
    layer_norm_.weight().value.fill(T(1));
    layer_norm_.bias().value.set_zero();
    bias_.value.set_zero();
  }

  // hidden [..., H] and the decoder weight [V, H] -> logits [..., V].
  // The cost is rows x V x H, so callers pass only the rows they score.
  Tensor<T> forward(const Tensor<T>& hidden, const Parameter<T>& decoder_weight) {
    require_decoder(decoder_weight, "forward");
    if (hidden.rank() < 1 || hidden.cols() != hidden_size())
      throw shape_error("adaptrec::encoders::BertMaskedLMHead: hidden states of shape " +
                        hidden.shape().to_string() +
                        " do not end in hidden_size = " + std::to_string(hidden_size()));
    transformed_ = layer_norm_.forward(activation_.forward(dense_.forward(hidden)));
    Shape logits_shape = hidden.shape();
    logits_shape[logits_shape.rank() - 1] = vocab_size();
    Tensor<T> logits(logits_shape);
    backend::gemm(transformed_, backend::Trans::no, decoder_weight.value, backend::Trans::yes,
                  logits);
    backend::add_row_vector(logits, bias_.value);
    return logits;
  }

  // d_logits [..., V] -> d_hidden [..., H]. decoder_weight.grad gains
  // d_logits^T transformed in every row, so a row-sparse table (the word
  // embeddings) lists all its rows as touched: its gradient is dense now.
  Tensor<T> backward(const Tensor<T>& d_logits, Parameter<T>& decoder_weight) {
    require_decoder(decoder_weight, "backward");
    if (d_logits.rows() != transformed_.rows() || d_logits.cols() != vocab_size())
      throw shape_error("adaptrec::encoders::BertMaskedLMHead::backward: gradient of shape " +
                        d_logits.shape().to_string() + " does not match the last forward's " +
                        std::to_string(transformed_.rows()) + " rows of " +
                        std::to_string(vocab_size()) + " logits");
    if (bias_.trainable) backend::accumulate_column_sums(d_logits, bias_.grad);
    if (decoder_weight.trainable) {
      backend::gemm(d_logits, backend::Trans::yes, transformed_, backend::Trans::no,
                    decoder_weight.grad, T(1), T(1));
      if (decoder_weight.sparse) mark_all_rows(decoder_weight);
    }
    Tensor<T> d_transformed(transformed_.shape());
    backend::gemm(d_logits, backend::Trans::no, decoder_weight.value, backend::Trans::no,
                  d_transformed);
    return dense_.backward(activation_.backward(layer_norm_.backward(d_transformed)));
  }

  void train(bool on = true) {
    training_ = on;
    dense_.train(on);
    activation_.train(on);
    layer_norm_.train(on);
  }
  void eval() { train(false); }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    dense_.visit_parameters(f, join_name(prefix, "transform.dense"));
    layer_norm_.visit_parameters(f, join_name(prefix, "transform.LayerNorm"));
    f(join_name(prefix, "bias"), bias_);
  }

 private:
  static const BertConfig& validated(const BertConfig& config) {
    config.validate("adaptrec::encoders::BertMaskedLMHead");
    return config;
  }

  void require_decoder(const Parameter<T>& decoder_weight, const char* step) const {
    if (!(decoder_weight.shape() == Shape{vocab_size(), hidden_size()}))
      throw shape_error(std::string("adaptrec::encoders::BertMaskedLMHead::") + step +
                        ": the decoder weight (word embeddings) has shape " +
                        decoder_weight.shape().to_string() + ", expected " +
                        Shape{vocab_size(), hidden_size()}.to_string());
  }

  void mark_all_rows(Parameter<T>& table) {
    if (static_cast<index_t>(all_rows_.size()) != table.value.rows()) {
      all_rows_.resize(static_cast<std::size_t>(table.value.rows()));
      std::iota(all_rows_.begin(), all_rows_.end(), index_t{0});
    }
    table.mark_touched_rows(all_rows_.data(), static_cast<index_t>(all_rows_.size()));
  }

  layers::Linear<T> dense_;
  layers::DynamicActivation<T> activation_;
  layers::LayerNorm<T> layer_norm_;
  Parameter<T> bias_;

  Tensor<T> transformed_;
  std::vector<index_t> all_rows_;
};

}  // namespace adaptrec::encoders
