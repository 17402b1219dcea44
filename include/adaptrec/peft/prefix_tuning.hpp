#pragma once
// Prefix tuning (Li & Liang, "Prefix-Tuning: Optimizing Continuous Prompts
// for Generation", ACL 2021, sec. 4) on a BERT-family backbone: every layer's
// self-attention gets n trainable key rows and n value rows in front of the
// keys and values of each sequence (layers/attention_prefix.hpp).
//
// All prefixes form one table P [n, 2 L H] whose row i reads [layer 0 key |
// layer 0 value | layer 1 key | ...], the layout Hugging Face PEFT's
// get_prompt gives past_key_values ([n, 2L, heads, head_dim], split per
// layer into key and value). P is either a parameter, `prompt_embeddings`,
// the tensor PEFT saves for PREFIX_TUNING, or, with `reparameterize`, the
// output of the paper's MLP (sec. 4.3) P = MLP(P'), P' [n, H] -> Linear(H,
// prefix_hidden) -> tanh -> Linear(prefix_hidden, 2 L H), which PEFT's
// PrefixEncoder calls prefix_projection and names `prompt_encoder.embedding`
// and `prompt_encoder.transform.{0,2}`. The MLP only steadies training; once
// trained it can be dropped and P kept (sec. 4.3): fold() does that, and
// computes exactly the P the MLP made. Initialisation follows PEFT: P and
// P' from N(0, 1) (nn.Embedding's default), the MLP as nn.Linear.
//
// The tokens keep their positions 0 .. S-1. Hugging Face's BertModel, handed
// the prefix as past_key_values, numbers them from n instead (it takes the
// prefix for a decoder's cache), so the same prompt_embeddings give slightly
// different outputs there.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/encoders/bert.hpp>
#include <adaptrec/io/json.hpp>
#include <adaptrec/layers/activation.hpp>
#include <adaptrec/layers/attention_prefix.hpp>
#include <adaptrec/layers/linear.hpp>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace adaptrec::peft {

struct PrefixTuningOptions {
  index_t num_virtual_tokens = 20;
  bool reparameterize = false;  // PEFT's prefix_projection
  index_t prefix_hidden = 512;  // the MLP's width (PEFT's encoder_hidden_size)
};

namespace detail {

// The table P and the bookkeeping that lets every layer read its slice once
// per forward and hand back its gradient: P is recomputed when a layer reads
// it a second time (a new forward), and P's gradient goes back through the
// MLP once every layer that read it has reported.
template <class T>
class PrefixTable final : public layers::SharedParameters<T> {
 public:
  PrefixTable(std::size_t layers, index_t hidden, const PrefixTuningOptions& options, Rng& rng)
      : length_(options.num_virtual_tokens),
        layers_(layers),
        hidden_(hidden),
        widths_(2 * layers, hidden),
        read_(layers, false),
        awaiting_(layers, false) {
    const index_t width = 2 * static_cast<index_t>(layers) * hidden;
    if (options.reparameterize) {
      embedding_ = Parameter<T>(Shape{length_, hidden});
      fill_normal(embedding_.value, T(0), T(1), rng);
      transform_in_.emplace(hidden, options.prefix_hidden, rng);
      transform_out_.emplace(options.prefix_hidden, width, rng);
    } else {
      prompt_embeddings_ = Parameter<T>(Shape{length_, width});
      fill_normal(prompt_embeddings_.value, T(0), T(1), rng);
    }
    for (std::size_t i = 0; i < 2 * layers; ++i) d_parts_.emplace_back(Shape{length_, hidden});
  }

  index_t length() const { return length_; }
  std::size_t num_layers() const { return layers_; }
  index_t hidden() const { return hidden_; }
  bool reparameterized() const { return transform_in_.has_value(); }

  // P [n, 2 L H] from the current parameters.
  Tensor<T> table() {
    if (!reparameterized()) return prompt_embeddings_.value;
    return transform_out_->forward(tanh_.forward(transform_in_->forward(embedding_.value)));
  }

  layers::PrefixRows<T> rows(std::size_t layer) {
    if (parts_.empty() || read_[layer]) refresh();
    read_[layer] = true;
    awaiting_[layer] = true;
    return {parts_[2 * layer], parts_[2 * layer + 1]};
  }

  void backward(std::size_t layer, const Tensor<T>& d_key, const Tensor<T>& d_value) {
    if (!awaiting_[layer])
      throw error("adaptrec::peft::PrefixTuning: the prefix of encoder.layer." +
                  std::to_string(layer) + " has no forward to go back through");
    backend::axpy(T(1), d_key, d_parts_[2 * layer]);
    backend::axpy(T(1), d_value, d_parts_[2 * layer + 1]);
    awaiting_[layer] = false;
    if (std::none_of(awaiting_.begin(), awaiting_.end(), [](bool b) { return b; }))
      backward_table();
  }

  bool trainable() {
    if (!reparameterized()) return prompt_embeddings_.trainable;
    return embedding_.trainable || transform_in_->weight().trainable ||
           transform_in_->bias().trainable || transform_out_->weight().trainable ||
           transform_out_->bias().trainable;
  }

  // Replaces the MLP by the table it makes now; the forward is unchanged.
  void fold() {
    if (!reparameterized()) return;
    Parameter<T> folded(Shape{length_, 2 * static_cast<index_t>(layers_) * hidden_},
                        embedding_.trainable);
    folded.value = table();
    prompt_embeddings_ = std::move(folded);
    embedding_ = Parameter<T>{};
    transform_in_.reset();
    transform_out_.reset();
    parts_.clear();
  }

  void visit_parameters(const layers::ParameterVisitor<T>& visit,
                        const std::string& prefix) override {
    if (!reparameterized()) {
      visit(join_name(prefix, "prompt_embeddings"), prompt_embeddings_);
      return;
    }
    visit(join_name(prefix, "prompt_encoder.embedding.weight"), embedding_);
    transform_in_->visit_parameters(visit, join_name(prefix, "prompt_encoder.transform.0"));
    transform_out_->visit_parameters(visit, join_name(prefix, "prompt_encoder.transform.2"));
  }

 private:
  void refresh() {
    parts_ = backend::split_columns(table(), widths_);
    std::fill(read_.begin(), read_.end(), false);
    std::fill(awaiting_.begin(), awaiting_.end(), false);
    for (auto& d : d_parts_) d.set_zero();
  }

  void backward_table() {
    std::vector<const Tensor<T>*> parts;
    for (const auto& d : d_parts_) parts.push_back(&d);
    const Tensor<T> d_table = backend::concat_columns(parts);
    for (auto& d : d_parts_) d.set_zero();
    if (!trainable()) return;
    if (!reparameterized()) {
      backend::axpy(T(1), d_table, prompt_embeddings_.grad);
      return;
    }
    const Tensor<T> d_embedding =
        transform_in_->backward(tanh_.backward(transform_out_->backward(d_table)));
    if (embedding_.trainable) backend::axpy(T(1), d_embedding, embedding_.grad);
  }

  index_t length_;
  std::size_t layers_;
  index_t hidden_;
  std::vector<index_t> widths_;     // 2L column blocks of H
  Parameter<T> prompt_embeddings_;  // P, unless reparameterised
  Parameter<T> embedding_;          // P', when reparameterised
  std::optional<layers::Linear<T>> transform_in_, transform_out_;
  layers::Tanh<T> tanh_;
  std::vector<Tensor<T>> parts_;    // P split into [layer 0 key, layer 0 value, ...]
  std::vector<Tensor<T>> d_parts_;  // their gradients, gathered from the layers
  std::vector<bool> read_;          // layers that read parts_ since it was made
  std::vector<bool> awaiting_;      // layers whose gradient has not come back
};

template <class T>
class LayerPrefix final : public layers::AttentionPrefix<T> {
 public:
  LayerPrefix(PrefixTable<T>& table, std::size_t layer) : table_(&table), layer_(layer) {}

  layers::PrefixRows<T> forward() override { return table_->rows(layer_); }
  void backward(const Tensor<T>& d_key, const Tensor<T>& d_value) override {
    table_->backward(layer_, d_key, d_value);
  }
  bool trainable() const override { return table_->trainable(); }
  layers::SharedParameters<T>& parameters() override { return *table_; }

 private:
  PrefixTable<T>* table_;
  std::size_t layer_;
};

}  // namespace detail

template <class T = float>
class PrefixTuning {
 public:
  using scalar_type = T;
  using options_type = PrefixTuningOptions;

  // Sizes the prefixes for every layer of `backbone`; nothing is attached yet.
  PrefixTuning(encoders::Bert<T>& backbone, const PrefixTuningOptions& options, Rng& rng)
      : options_(checked(options)),
        heads_(backbone.config().num_attention_heads),
        table_(std::make_unique<detail::PrefixTable<T>>(backbone.num_layers(),
                                                        backbone.hidden_size(), options, rng)) {
    for (std::size_t i = 0; i < backbone.num_layers(); ++i)
      prefixes_.push_back(std::make_unique<detail::LayerPrefix<T>>(*table_, i));
  }

  const PrefixTuningOptions& options() const { return options_; }
  index_t num_virtual_tokens() const { return table_->length(); }
  // False once fold() has replaced the MLP by the table.
  bool reparameterized() const { return table_->reparameterized(); }

  void attach(encoders::Bert<T>& backbone) {
    if (backbone.num_layers() != table_->num_layers() ||
        backbone.hidden_size() != table_->hidden())
      throw shape_error("adaptrec::peft::PrefixTuning: the prefixes were made for " +
                        std::to_string(table_->num_layers()) + " layers of hidden size " +
                        std::to_string(table_->hidden()) + "; the model has " +
                        std::to_string(backbone.num_layers()) + " layers of hidden size " +
                        std::to_string(backbone.hidden_size()));
    // All or nothing: a layer carrying another prefix leaves the model as it was.
    for (std::size_t i = 0; i < prefixes_.size(); ++i) {
      const auto* attached = backbone.layer(i).attention().prefix();
      if (attached && attached != prefixes_[i].get())
        throw invalid_argument("adaptrec::peft::PrefixTuning: encoder.layer." + std::to_string(i) +
                               ".attention already has a prefix; detach it first");
    }
    for (std::size_t i = 0; i < prefixes_.size(); ++i)
      backbone.layer(i).attention().attach_prefix(prefixes_[i].get());
  }
  void detach(encoders::Bert<T>& backbone) {
    for (std::size_t i = 0; i < prefixes_.size() && i < backbone.num_layers(); ++i) {
      auto& attention = backbone.layer(i).attention();
      if (attention.prefix() == prefixes_[i].get()) attention.detach_prefix();
    }
  }
  bool attached_to(encoders::Bert<T>& backbone) {
    return !prefixes_.empty() && backbone.num_layers() == prefixes_.size() &&
           backbone.layer(0).attention().prefix() == prefixes_[0].get();
  }

  // P [n, 2 L H] from the current parameters: what PEFT saves as
  // prompt_embeddings.
  Tensor<T> prefix_table() { return table_->table(); }
  // Serving: computes P once and drops the MLP (a no-op without one).
  void fold() { table_->fold(); }

  // The method's parameters under PEFT's names (`prompt_embeddings`, or
  // `prompt_encoder.*` while reparameterised), attached or not.
  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    table_->visit_parameters([&f](const std::string& n, Parameter<T>& p) { f(n, p); }, prefix);
  }
  void train(bool on = true) { training_ = on; }
  bool is_training() const { return training_; }

  // Hugging Face PEFT's adapter_config.json fields for this method.
  io::Json config_json() const {
    io::Json c = io::Json::object();
    c.set("peft_type", "PREFIX_TUNING");
    c.set("num_virtual_tokens", options_.num_virtual_tokens);
    c.set("token_dim", table_->hidden());
    c.set("num_transformer_submodules", 1);
    c.set("num_attention_heads", heads_);
    c.set("num_layers", table_->num_layers());
    c.set("prefix_projection", options_.reparameterize);
    if (options_.reparameterize) c.set("encoder_hidden_size", options_.prefix_hidden);
    c.set("inference_mode", options_.reparameterize && !reparameterized());
    return c;
  }

 private:
  static const PrefixTuningOptions& checked(const PrefixTuningOptions& o) {
    if (o.num_virtual_tokens <= 0)
      throw invalid_argument("adaptrec::peft::PrefixTuning: num_virtual_tokens=" +
                             std::to_string(o.num_virtual_tokens) + " must be positive");
    if (o.reparameterize && o.prefix_hidden <= 0)
      throw invalid_argument("adaptrec::peft::PrefixTuning: prefix_hidden=" +
                             std::to_string(o.prefix_hidden) +
                             " must be positive when reparameterizing");
    return o;
  }

  PrefixTuningOptions options_;
  index_t heads_;
  std::unique_ptr<detail::PrefixTable<T>> table_;
  std::vector<std::unique_ptr<detail::LayerPrefix<T>>> prefixes_;
  bool training_ = true;
};

}  // namespace adaptrec::peft
