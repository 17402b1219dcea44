#pragma once
// One Transformer encoder layer (Vaswani et al., 2017, sec. 3.1): self-attention
// and a position-wise feed-forward network, each wrapped in dropout, a residual
// connection and a layer norm. The default places the layer norm after the
// residual sum ("post-LN"), as BERT does (Devlin et al., 2019); the pre-LN
// option normalises each sublayer's input instead, which trains without
// warm-up (Xiong et al., 2020, sec. 3) and needs a final layer norm after the
// last layer, added by the model.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/layers/activation.hpp>
#include <adaptrec/layers/dropout.hpp>
#include <adaptrec/layers/layer_norm.hpp>
#include <adaptrec/layers/linear.hpp>
#include <adaptrec/layers/multi_head_attention.hpp>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

namespace adaptrec::layers {

struct TransformerLayerOptions {
  index_t hidden = 0, heads = 0, intermediate = 0;
  backend::Activation activation = backend::Activation::gelu;
  double layer_norm_eps = 1e-12;
  double hidden_dropout = 0.1, attention_dropout = 0.1;
  bool pre_layer_norm = false;
};

namespace detail {

// SplitMix64 (Steele, Lea & Flood, 2014): separate, well-mixed seeds for the
// layer's three dropout streams from one user seed.
inline std::uint64_t dropout_stream_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

inline const TransformerLayerOptions& checked_options(const TransformerLayerOptions& o) {
  const std::string where = "adaptrec::layers::TransformerEncoderLayer: ";
  if (o.hidden <= 0 || o.heads <= 0 || o.intermediate <= 0)
    throw invalid_argument(where + "hidden=" + std::to_string(o.hidden) + ", heads=" +
                           std::to_string(o.heads) + " and intermediate=" +
                           std::to_string(o.intermediate) + " must all be positive");
  for (auto [name, p] : {std::pair{"hidden_dropout", o.hidden_dropout},
                         std::pair{"attention_dropout", o.attention_dropout}})
    if (!(p >= 0 && p < 1))
      throw invalid_argument(where + name + " must be in [0, 1), got " + std::to_string(p));
  if (!(o.layer_norm_eps >= 0) || std::isinf(o.layer_norm_eps))
    throw invalid_argument(where + "layer_norm_eps must be finite and >= 0, got " +
                           std::to_string(o.layer_norm_eps));
  return o;
}

}  // namespace detail

template <class T = float>
class TransformerEncoderLayer : public TrainingMode {
 public:
  using scalar_type = T;

  // Parameters are drawn from rng in Hugging Face BertLayer's order: query,
  // key, value, attention output, intermediate, output.
  TransformerEncoderLayer(const TransformerLayerOptions& options, Rng& rng,
                          std::uint64_t dropout_seed = 0)
      : options_(detail::checked_options(options)),
        attention_(options.hidden, options.heads, rng, T(options.attention_dropout),
                   detail::dropout_stream_seed(dropout_seed, 0)),
        attention_dropout_(T(options.hidden_dropout), detail::dropout_stream_seed(dropout_seed, 1)),
        attention_layer_norm_(options.hidden, T(options.layer_norm_eps)),
        intermediate_(options.hidden, options.intermediate, rng),
        activation_(options.activation),
        output_(options.intermediate, options.hidden, rng),
        output_dropout_(T(options.hidden_dropout), detail::dropout_stream_seed(dropout_seed, 2)),
        output_layer_norm_(options.hidden, T(options.layer_norm_eps)) {}

  const TransformerLayerOptions& options() const { return options_; }
  MultiHeadSelfAttention<T>& attention() { return attention_; }
  Linear<T>& intermediate() { return intermediate_; }
  Linear<T>& output() { return output_; }
  LayerNorm<T>& attention_layer_norm() { return attention_layer_norm_; }
  LayerNorm<T>& output_layer_norm() { return output_layer_norm_; }

  // Restarts all three dropout streams (attention probabilities, attention
  // output, feed-forward output) from one seed.
  void reseed_dropout(std::uint64_t seed) {
    attention_.reseed_dropout(detail::dropout_stream_seed(seed, 0));
    attention_dropout_.reseed(detail::dropout_stream_seed(seed, 1));
    output_dropout_.reseed(detail::dropout_stream_seed(seed, 2));
  }

  // x: [B, S, hidden], key_mask: [B, S] (1 = token, 0 = padding) or empty.
  //   post-LN: h = LN1(x + Drop(Attn(x))),  y = LN2(h + Drop(FFN(h)))
  //   pre-LN:  h = x + Drop(Attn(LN1(x))),  y = h + Drop(FFN(LN2(h)))
  Tensor<T> forward(const Tensor<T>& x, const Tensor<T>& key_mask) {
    if (x.rank() != 3 || x.dim(2) != options_.hidden)
      throw shape_error("adaptrec::layers::TransformerEncoderLayer: input of shape " +
                        x.shape().to_string() + " is not [batch, seq, hidden=" +
                        std::to_string(options_.hidden) + "]");
    input_shape_ = x.shape();
    served_ = serving();
    if (options_.pre_layer_norm) {
      Tensor<T> h = attention_with_residual(attention_layer_norm_.forward(x), key_mask, x);
      if (serving()) return fused_feed_forward(output_layer_norm_.forward(h), h);
      return feed_forward(output_layer_norm_.forward(h), &h);
    }
    Tensor<T> h = attention_layer_norm_.forward(attention_with_residual(x, key_mask, x));
    if (serving()) return output_layer_norm_.forward(fused_feed_forward(h, h));
    return output_layer_norm_.forward(feed_forward(h, &h));
  }

  // dy: [B, S, hidden] -> dx: [B, S, hidden]. Each residual connection passes
  // its gradient straight through and adds the sublayer's. InputGradient::
  // skipped returns nothing and spares the attention's input projections.
  Tensor<T> backward(const Tensor<T>& dy, InputGradient input_gradient = InputGradient::needed) {
    if (!(dy.shape() == input_shape_))
      throw shape_error("adaptrec::layers::TransformerEncoderLayer::backward: gradient of shape " +
                        dy.shape().to_string() + " does not match the forward output " +
                        input_shape_.to_string());
    if (served_)
      throw error("adaptrec::layers::TransformerEncoderLayer::backward: the last forward served "
                  "packed weights in eval mode and kept nothing for backward; call train() (or "
                  "clear_precision) and run forward again");
    if (options_.pre_layer_norm) {
      Tensor<T> dh = output_layer_norm_.backward(feed_forward_backward(dy));
      backend::axpy(T(1), dy, dh);
      // The first layer norm sits below the attention: its own gradients need
      // the attention's input gradient.
      Tensor<T> scratch;
      if (input_gradient == InputGradient::skipped && !any_trainable(attention_layer_norm_)) {
        attention_.backward(attention_dropout_.backward(dh, scratch), InputGradient::skipped);
        return Tensor<T>{};
      }
      Tensor<T> dx = attention_layer_norm_.backward(
          attention_.backward(attention_dropout_.backward(dh, scratch)));
      if (input_gradient == InputGradient::skipped) return Tensor<T>{};
      backend::axpy(T(1), dh, dx);
      return dx;
    }
    // Each sublayer adds its input gradient to the residual's (the sum
    // through the layer norm above it), in the GEMMs themselves.
    Tensor<T> dh = output_layer_norm_.backward(dy);
    Tensor<T> scratch;
    intermediate_.backward_accumulate(
        activation_.backward(output_.backward(output_dropout_.backward(dh, scratch))), dh);
    Tensor<T> dx = attention_layer_norm_.backward(dh);
    const Tensor<T>& d_attention = attention_dropout_.backward(dx, scratch);
    if (input_gradient == InputGradient::skipped) {
      attention_.backward(d_attention, InputGradient::skipped);
      return Tensor<T>{};
    }
    attention_.backward_accumulate(d_attention, dx);
    return dx;
  }

  // Hugging Face BertLayer's names; LN1 is attention.output.LayerNorm and LN2
  // output.LayerNorm whichever side of the residual they sit on.
  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    attention_.visit_parameters(f, join_name(prefix, "attention"));
    attention_layer_norm_.visit_parameters(f, join_name(prefix, "attention.output.LayerNorm"));
    intermediate_.visit_parameters(f, join_name(prefix, "intermediate.dense"));
    output_.visit_parameters(f, join_name(prefix, "output.dense"));
    output_layer_norm_.visit_parameters(f, join_name(prefix, "output.LayerNorm"));
  }

  template <class F>
  void for_each_linear(F&& f, const std::string& prefix) {
    attention_.for_each_linear(f, join_name(prefix, "attention"));
    f(join_name(prefix, "intermediate.dense"), intermediate_);
    f(join_name(prefix, "output.dense"), output_);
  }

  void train(bool on = true) {
    training_ = on;
    attention_.train(on);
    attention_dropout_.train(on);
    attention_layer_norm_.train(on);
    intermediate_.train(on);
    activation_.train(on);
    output_.train(on);
    output_dropout_.train(on);
    output_layer_norm_.train(on);
  }
  void eval() { train(false); }

 private:
  // residual + Drop(Attn(x)); without dropout the sum is fused into the
  // output projection's GEMM.
  Tensor<T> attention_with_residual(const Tensor<T>& x, const Tensor<T>& key_mask,
                                    const Tensor<T>& residual) {
    if (!attention_dropout_.applied())
      return attention_dropout_.forward(attention_.forward(x, key_mask, &residual));
    Tensor<T> h = attention_dropout_.forward(attention_.forward(x, key_mask));
    backend::axpy(T(1), residual, h);
    return h;
  }

  // Drop(W2 act(W1 x + b1) + b2), plus the residual when given (fused into
  // the GEMM when dropout is the identity).
  Tensor<T> feed_forward(const Tensor<T>& x, const Tensor<T>* residual = nullptr) {
    Tensor<T> inner = activation_.forward(intermediate_.forward(x));
    if (!output_dropout_.applied()) return output_dropout_.forward(output_.forward(inner, residual));
    Tensor<T> y = output_dropout_.forward(output_.forward(inner));
    if (residual) backend::axpy(T(1), *residual, y);
    return y;
  }
  // x + W2 act(W1 x' + b1) + b2 at inference with packed weights: the
  // activation and the residual fused into the GEMMs' epilogues, dropout
  // being the identity. Nothing is kept for backward.
  bool serving() const { return !is_training() && intermediate_.has_packed_weight(); }
  Tensor<T> fused_feed_forward(const Tensor<T>& x, const Tensor<T>& residual) {
    return output_.forward_fused(intermediate_.forward_fused(x, activation_.kind()),
                                 backend::Activation::identity, &residual);
  }
  // dy stays the caller's (the residual needs it too): no copy of it is made
  // when dropout was the identity.
  Tensor<T> feed_forward_backward(const Tensor<T>& dy) {
    Tensor<T> scratch;
    return intermediate_.backward(
        activation_.backward(output_.backward(output_dropout_.backward(dy, scratch))));
  }

  TransformerLayerOptions options_;
  MultiHeadSelfAttention<T> attention_;
  Dropout<T> attention_dropout_;
  LayerNorm<T> attention_layer_norm_;
  Linear<T> intermediate_;
  DynamicActivation<T> activation_;
  Linear<T> output_;
  Dropout<T> output_dropout_;
  LayerNorm<T> output_layer_norm_;
  Shape input_shape_;
  bool served_ = false;  // the last forward took the fused inference path
};

}  // namespace adaptrec::layers
