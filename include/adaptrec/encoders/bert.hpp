#pragma once
// A BERT-family text encoder (Devlin et al., 2019): input embeddings, a stack
// of Transformer encoder layers and, optionally, BERT's pooler. Parameter
// names are exactly Hugging Face BertModel's (`embeddings.*`,
// `encoder.layer.N.*`, `pooler.dense.*`), so checkpoints map one to one
// (bert_pretrained.hpp loads and saves them).
//
// A pre-LN model (config.pre_layer_norm, not a Hugging Face option) ends with
// one more layer norm, named `encoder.final_layer_norm.*`; Hugging Face's
// BertModel has no such tensor and cannot load such a model.
//
// Parameter-efficient methods attach here without changing the weights: soft
// tokens in front of the first layer (an InputPrompt, prompt tuning) and
// per-layer key/value prefixes (layers::AttentionPrefix, prefix tuning), whose
// parameters the model visits at its root, under the method's names.
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/encoders/bert_config.hpp>
#include <adaptrec/encoders/bert_embeddings.hpp>
#include <adaptrec/encoders/input_prompt.hpp>
#include <adaptrec/encoders/pooling.hpp>
#include <adaptrec/layers/attention_prefix.hpp>
#include <adaptrec/layers/layer_norm.hpp>
#include <adaptrec/layers/transformer_encoder_layer.hpp>
#include <adaptrec/text/token_batch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace adaptrec::encoders {

inline layers::TransformerLayerOptions transformer_layer_options(const BertConfig& config) {
  layers::TransformerLayerOptions options;
  options.hidden = config.hidden_size;
  options.heads = config.num_attention_heads;
  options.intermediate = config.intermediate_size;
  options.activation = config.activation();
  options.layer_norm_eps = config.layer_norm_eps;
  options.hidden_dropout = config.hidden_dropout_prob;
  options.attention_dropout = config.attention_probs_dropout_prob;
  options.pre_layer_norm = config.pre_layer_norm;
  return options;
}

template <class T = float>
class Bert {
 public:
  using scalar_type = T;
  using input_type = text::TokenBatch;
  using output_type = Tensor<T>;

  // Weights as BertPreTrainedModel._init_weights draws them: matrices and
  // tables N(0, initializer_range^2), biases 0, layer-norm scales 1, the
  // padding row 0. Each dropout layer gets its own stream from dropout_seed.
  // WeightInit::deferred skips the drawing, for loaders that overwrite all.
  Bert(const BertConfig& config, Rng& rng, bool with_pooler = true, std::uint64_t dropout_seed = 0,
       WeightInit init = WeightInit::bert)
      : config_(config), embeddings_(config, rng, stream_seed(dropout_seed, 0), init) {
    const layers::TransformerLayerOptions options = transformer_layer_options(config_);
    layers_.reserve(static_cast<std::size_t>(config_.num_hidden_layers));
    for (index_t i = 0; i < config_.num_hidden_layers; ++i)
      layers_.emplace_back(options, rng, stream_seed(dropout_seed, i + 1));
    if (config_.pre_layer_norm)
      final_layer_norm_.emplace(config_.hidden_size, static_cast<T>(config_.layer_norm_eps));
    if (with_pooler) pooler_.emplace(config_.hidden_size, rng);
    if (init == WeightInit::deferred) return;

    const auto bert_init = [&](const std::string& name, Parameter<T>& p) {
      if (p.shape().rank() == 2)
        fill_normal(p.value, T(0), static_cast<T>(config_.initializer_range), rng);
      else if (name.ends_with("bias"))
        p.value.set_zero();
    };
    for (auto& layer : layers_) layer.visit_parameters(bert_init, "");
    if (pooler_) pooler_->visit_parameters(bert_init, "");
  }

  const BertConfig& config() const { return config_; }
  index_t hidden_size() const { return config_.hidden_size; }
  std::size_t num_layers() const { return layers_.size(); }
  bool has_pooler() const { return pooler_.has_value(); }

  BertEmbeddings<T>& embeddings() { return embeddings_; }
  layers::TransformerEncoderLayer<T>& layer(std::size_t i) {
    if (i >= layers_.size())
      throw index_error("adaptrec::encoders::Bert: layer " + std::to_string(i) +
                        " does not exist (the model has " + std::to_string(layers_.size()) + ")");
    return layers_[i];
  }
  BertPooler<T>& pooler() {
    if (!pooler_) throw invalid_argument("adaptrec::encoders::Bert: this model has no pooler");
    return *pooler_;
  }

  // The attached soft prompt, or null. The model does not own it.
  InputPrompt<T>* prompt() const { return prompt_; }
  void attach_prompt(InputPrompt<T>* prompt) {
    if (prompt_ && prompt && prompt_ != prompt)
      throw invalid_argument(
          "adaptrec::encoders::Bert::attach_prompt: a prompt is already attached; detach it "
          "first");
    prompt_ = prompt;
  }
  void detach_prompt() { prompt_ = nullptr; }

  // Restarts every dropout stream, e.g. so that repeated forwards of a
  // gradient check draw the same masks.
  void reseed_dropout(std::uint64_t seed) {
    embeddings_.reseed_dropout(stream_seed(seed, 0));
    for (std::size_t i = 0; i < layers_.size(); ++i)
      layers_[i].reseed_dropout(stream_seed(seed, static_cast<index_t>(i) + 1));
  }

  // batch: [B, S] ids, token types and attention mask (which becomes every
  // layer's key mask) -> last_hidden_state [B, S, hidden]. An attached
  // prompt's n soft tokens run in front of the tokens ([B, n + S, hidden]
  // through the layers) and are dropped from the result.
  Tensor<T> forward(const text::TokenBatch& batch) {
    batch.validate("adaptrec::encoders::Bert::forward");
    key_mask_ = batch.attention_mask.template cast<T>();
    Tensor<T> h = embeddings_.forward(batch.input_ids, batch.token_type_ids);
    prompt_length_ = 0;
    if (prompt_) {
      const Tensor<T>& rows = checked_prompt_rows(prompt_->forward());
      prompt_length_ = rows.dim(0);
      h = layers::detail::prepend_rows(rows, h);
      key_mask_ = layers::detail::mask_with_leading_ones(key_mask_, prompt_length_);
    }
    for (auto& layer : layers_) h = layer.forward(h, key_mask_);
    if (prompt_length_ > 0) h = layers::detail::drop_leading_rows(h, prompt_length_);
    if (final_layer_norm_) h = final_layer_norm_->forward(h);
    hidden_shape_ = h.shape();
    return h;
  }

  // d_hidden: [B, S, hidden]. Accumulates the gradients of all trainable
  // parameters and returns the gradient with respect to the word-embedding
  // rows looked up for each token (Hugging Face's inputs_embeds) when the
  // embeddings or a prompt train. Otherwise the result is empty: layers below
  // the lowest trainable parameter (a trainable prompt or prefix counts for
  // the layer it enters) are not visited, and that layer computes no input
  // gradient.
  Tensor<T> backward(const Tensor<T>& d_hidden) {
    require_shape(d_hidden, hidden_shape_, "adaptrec::encoders::Bert::backward");
    if (prompt_length_ > 0 && !prompt_)
      throw error("adaptrec::encoders::Bert::backward: the prompt was detached after forward; "
                  "run forward again");
    const std::size_t lowest = lowest_trainable_layer();
    Tensor<T> g;
    const Tensor<T>* current = &d_hidden;
    if (final_layer_norm_) {
      g = final_layer_norm_->backward(d_hidden);
      current = &g;
    }
    if (lowest > 0 && lowest == layers_.size()) return Tensor<T>{};
    if (prompt_length_ > 0) {
      g = layers::detail::pad_leading_rows(*current, prompt_length_);
      current = &g;
    }
    const bool inputs_train = lowest == 0 && inputs_trainable();
    for (std::size_t i = layers_.size(); i-- > lowest;) {
      const bool needed = i > lowest || inputs_train;
      g = layers_[i].backward(*current, needed ? InputGradient::needed : InputGradient::skipped);
      current = &g;
    }
    if (!inputs_train) return Tensor<T>{};
    if (prompt_length_ == 0) return embeddings_.backward(*current);
    Tensor<T> d_prompt;
    const Tensor<T> d_tokens =
        layers::detail::split_leading_rows(*current, prompt_length_, d_prompt);
    prompt_->backward(d_prompt);
    return embeddings_.backward(d_tokens);
  }

  // hidden [B, S, H] (from forward on `batch`) -> [B, H].
  Tensor<T> pool(const Tensor<T>& hidden, const text::TokenBatch& batch, Pooling pooling) {
    pooled_with_ = pooling;
    pooled_hidden_shape_ = hidden.shape();
    switch (pooling) {
      case Pooling::cls:
        return cls_pool(hidden);
      case Pooling::mean:
        pooled_mask_ = batch.attention_mask;
        return mean_pool(hidden, pooled_mask_);
      case Pooling::pooler:
        return pooler().forward(hidden);
    }
    throw invalid_argument("adaptrec::encoders::Bert::pool: unknown pooling");
  }

  // d_pooled [B, H] -> d_hidden [B, S, H] for the last pool().
  Tensor<T> pool_backward(const Tensor<T>& d_pooled) {
    switch (pooled_with_) {
      case Pooling::cls:
        return cls_pool_backward(d_pooled, pooled_hidden_shape_);
      case Pooling::mean:
        return mean_pool_backward(d_pooled, pooled_mask_);
      case Pooling::pooler:
        return pooler().backward(d_pooled);
    }
    throw invalid_argument("adaptrec::encoders::Bert::pool_backward: unknown pooling");
  }

  // One vector per sequence: forward then pool. encode_backward undoes both.
  Tensor<T> encode(const text::TokenBatch& batch, Pooling pooling) {
    return pool(forward(batch), batch, pooling);
  }
  Tensor<T> encode_backward(const Tensor<T>& d_pooled) { return backward(pool_backward(d_pooled)); }

  // The layer norm after the last layer of a pre-LN model (absent post-LN).
  bool has_final_layer_norm() const { return final_layer_norm_.has_value(); }
  layers::LayerNorm<T>& final_layer_norm() {
    if (!final_layer_norm_)
      throw invalid_argument(
          "adaptrec::encoders::Bert::final_layer_norm: a post-LN model has none "
          "(config.pre_layer_norm is false)");
    return *final_layer_norm_;
  }

  // Adaptation helpers: frozen parameters keep their values and receive no
  // gradient.
  void freeze_embeddings() { set_trainable(embeddings_, false); }
  // Freezes the embeddings and layers 0 .. n-1.
  void freeze_bottom_layers(std::size_t n) {
    if (n > layers_.size())
      throw invalid_argument(
          "adaptrec::encoders::Bert::freeze_bottom_layers: " + std::to_string(n) +
          " layers requested, the model has " + std::to_string(layers_.size()));
    freeze_embeddings();
    for (std::size_t i = 0; i < n; ++i) set_trainable(layers_[i], false);
  }

  // f(name, linear) for every Linear layer, named as its parameters are.
  template <class F>
  void for_each_linear(F&& f) {
    for (std::size_t i = 0; i < layers_.size(); ++i)
      layers_[i].for_each_linear(f, "encoder.layer." + std::to_string(i));
    if (pooler_) f(std::string("pooler.dense"), pooler_->dense());
  }

  // Serving precision for every Linear layer (layers/linear.hpp): bf16 or
  // int8 weights converted once, fp32 on oneDNN's reordered layout, kept
  // until set again or clear_precision. Embeddings, layer norms and the
  // attention's score GEMMs stay in float32. Calibrated int8 takes each
  // layer's range from calibrate() unless options give one.
  void set_precision(backend::Precision precision, const backend::Int8Options& int8 = {}) {
    for_each_linear([&](const std::string& name, layers::Linear<T>& l) {
      l.set_precision(precision, int8, name);
    });
  }
  void clear_precision() {
    for_each_linear([](const std::string&, layers::Linear<T>& l) { l.clear_precision(); });
  }
  // The precision every Linear layer runs in, or nullopt when they differ
  // (a layer set on its own).
  std::optional<backend::Precision> precision() {
    std::optional<backend::Precision> p;
    bool mixed = false;
    for_each_linear([&](const std::string&, layers::Linear<T>& l) {
      mixed = mixed || (p && *p != l.precision());
      p = l.precision();
    });
    return mixed ? std::nullopt : p;
  }
  // Records every Linear layer's input range over forwards of `sample`, for
  // set_precision(int8, {.activations = calibrated}).
  void calibrate(const std::vector<text::TokenBatch>& sample) {
    for_each_linear([](const std::string&, layers::Linear<T>& l) { l.observe_input_range(true); });
    const bool was_training = training_;
    train(false);
    for (const auto& batch : sample) {
      const Tensor<T> hidden = forward(batch);
      if (pooler_) pooler_->forward(hidden);
    }
    train(was_training);
    for_each_linear([](const std::string&, layers::Linear<T>& l) { l.observe_input_range(false); });
  }

  void train(bool on = true) {
    training_ = on;
    embeddings_.train(on);
    for (auto& layer : layers_) layer.train(on);
    if (final_layer_norm_) final_layer_norm_->train(on);
    if (pooler_) pooler_->train(on);
  }
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // An attached prompt's and prefixes' parameters follow the model's own, at
  // its root under the method's names (`prompt_embeddings`); prefixes sharing
  // their parameters are visited once.
  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    embeddings_.visit_parameters(f, join_name(prefix, "embeddings"));
    for (std::size_t i = 0; i < layers_.size(); ++i)
      layers_[i].visit_parameters(f, join_name(prefix, "encoder.layer." + std::to_string(i)));
    if (final_layer_norm_)
      final_layer_norm_->visit_parameters(f, join_name(prefix, "encoder.final_layer_norm"));
    if (pooler_) pooler_->visit_parameters(f, join_name(prefix, "pooler"));
    const layers::ParameterVisitor<T> visit = [&f](const std::string& n, Parameter<T>& p) {
      f(n, p);
    };
    if (prompt_) prompt_->visit_parameters(visit, prefix);
    std::vector<layers::SharedParameters<T>*> visited;
    for (auto& layer : layers_) {
      layers::AttentionPrefix<T>* attached = layer.attention().prefix();
      if (!attached) continue;
      layers::SharedParameters<T>* shared = &attached->parameters();
      if (std::find(visited.begin(), visited.end(), shared) != visited.end()) continue;
      visited.push_back(shared);
      shared->visit_parameters(visit, prefix);
    }
  }

 private:
  static std::uint64_t stream_seed(std::uint64_t seed, index_t stream) {
    return layers::detail::dropout_stream_seed(seed, static_cast<std::uint64_t>(stream));
  }

  const Tensor<T>& checked_prompt_rows(const Tensor<T>& rows) const {
    if (rows.rank() != 2 || rows.dim(0) <= 0 || rows.dim(1) != hidden_size())
      throw shape_error("adaptrec::encoders::Bert::forward: prompt rows of shape " +
                        rows.shape().to_string() + " are not [n > 0, hidden=" +
                        std::to_string(hidden_size()) + "]");
    return rows;
  }

  // Backward must reach down to the lowest layer with a trainable parameter
  // (0 when the embeddings or the prompt have one, i if layer i's prefix
  // has); num_layers() when nothing is trainable.
  // The embeddings, or a prompt in front of the tokens.
  bool inputs_trainable() { return any_trainable(embeddings_) || (prompt_ && prompt_->trainable()); }

  std::size_t lowest_trainable_layer() {
    if (inputs_trainable()) return 0;
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      const layers::AttentionPrefix<T>* prefix = layers_[i].attention().prefix();
      if (any_trainable(layers_[i]) || (prefix && prefix->trainable())) return i;
    }
    return layers_.size();
  }

  BertConfig config_;
  BertEmbeddings<T> embeddings_;
  std::vector<layers::TransformerEncoderLayer<T>> layers_;
  std::optional<layers::LayerNorm<T>> final_layer_norm_;
  std::optional<BertPooler<T>> pooler_;
  bool training_ = true;
  InputPrompt<T>* prompt_ = nullptr;

  Tensor<T> key_mask_;
  index_t prompt_length_ = 0;  // n of the last forward's prompt, 0 without one
  Shape hidden_shape_;
  Pooling pooled_with_ = Pooling::cls;
  Shape pooled_hidden_shape_;
  Tensor<index_t> pooled_mask_;
};

}  // namespace adaptrec::encoders
