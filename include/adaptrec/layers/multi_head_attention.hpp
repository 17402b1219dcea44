#pragma once
// Multi-head self-attention (Vaswani et al., 2017, sec. 3.2.2) with a key
// padding mask, laid out as Hugging Face's BertAttention: separate query, key
// and value projections, then an output projection of the concatenated heads.
// Dropout on the attention probabilities follows BERT (Devlin et al., 2019);
// the residual connection and layer norm belong to TransformerEncoderLayer.
// An AttentionPrefix (prefix tuning) may prepend trainable keys and values.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/layers/attention_prefix.hpp>
#include <adaptrec/layers/linear.hpp>

#include <cmath>
#include <cstdint>
#include <string>

namespace adaptrec::layers {

template <class T = float>
class MultiHeadSelfAttention : public TrainingMode {
 public:
  using scalar_type = T;

  // hidden must split evenly into `heads`; the four projections are
  // initialised like Linear, in the order query, key, value, output.
  MultiHeadSelfAttention(index_t hidden, index_t heads, Rng& rng, T attention_dropout = T(0),
                         std::uint64_t dropout_seed = 0)
      : hidden_(checked_hidden(hidden, heads)),
        heads_(heads),
        attention_dropout_(checked_dropout(attention_dropout)),
        query_(hidden, hidden, rng),
        key_(hidden, hidden, rng),
        value_(hidden, hidden, rng),
        output_(hidden, hidden, rng),
        dropout_rng_(dropout_seed) {}

  index_t hidden() const { return hidden_; }
  index_t heads() const { return heads_; }
  index_t head_dim() const { return hidden_ / heads_; }
  T attention_dropout() const { return attention_dropout_; }
  Linear<T>& query() { return query_; }
  Linear<T>& key() { return key_; }
  Linear<T>& value() { return value_; }
  Linear<T>& output() { return output_; }

  // Restarts the dropout mask sequence, so that repeated forwards (a gradient
  // check) see the same mask.
  void reseed_dropout(std::uint64_t seed) { dropout_rng_.seed(seed); }

  // The attached prefix, or null. The layer does not own it.
  AttentionPrefix<T>* prefix() const { return prefix_; }
  void attach_prefix(AttentionPrefix<T>* prefix) {
    if (prefix_ && prefix && prefix_ != prefix)
      throw invalid_argument(
          "adaptrec::layers::MultiHeadSelfAttention::attach_prefix: a prefix is already "
          "attached; detach it first");
    prefix_ = prefix;
  }
  void detach_prefix() { prefix_ = nullptr; }

  // x: [B, S, hidden]; key_mask: [B, S] with 1 = real token and 0 = padding,
  // or an empty tensor when nothing is padded. Returns [B, S, hidden]. With a
  // prefix of n rows the queries attend to n + S keys, the prefix's first.
  // A residual ([B, S, hidden]) is added to the output, in the output
  // projection's GEMM where it can be fused.
  Tensor<T> forward(const Tensor<T>& x, const Tensor<T>& key_mask,
                    const Tensor<T>* residual = nullptr) {
    check_input(x, key_mask);
    const index_t batch = x.dim(0), seq = x.dim(1);
    PrefixRows<T> rows;
    if (prefix_) rows = checked_prefix_rows(prefix_->forward());
    prefix_length_ = prefix_ ? rows.key.dim(0) : 0;
    const index_t keys = prefix_length_ + seq;
    // q, k and v stay in the projections' layout [B, tokens, H * D]: the
    // attention kernel reads each head where it lies.
    q_ = query_.forward(x);
    k_ = key_.forward(x);
    v_ = value_.forward(x);
    Tensor<T> prefixed_mask;
    if (prefix_) {
      k_ = detail::prepend_rows(rows.key, k_);
      v_ = detail::prepend_rows(rows.value, v_);
      prefixed_mask = detail::mask_with_leading_ones(key_mask, prefix_length_);
    }
    probs_ = Tensor<T>::uninitialized(Shape{batch, heads_, seq, keys});
    draw_dropout_mask(probs_.shape());
    auto context = Tensor<T>::uninitialized(q_.shape());
    backend::multi_head_attention_forward(q_, k_, v_, heads_, prefix_ ? prefixed_mask : key_mask,
                                          dropout_mask_, scale(), context, probs_);
    input_shape_ = x.shape();
    return output_.forward(context, residual);
  }

  // dy: [B, S, hidden] -> dx: [B, S, hidden]; the four projections accumulate
  // their gradients (when trainable). InputGradient::skipped returns nothing.
  Tensor<T> backward(const Tensor<T>& dy, InputGradient input_gradient = InputGradient::needed) {
    Tensor<T> dx;
    backward_into(dy, input_gradient == InputGradient::needed ? &dx : nullptr, Sum::start);
    return dx;
  }

  // The same, with dx added to dx_sum ([B, S, hidden]): the query, key and
  // value projections sum their input gradients straight into it. dx_sum may
  // be dy itself (a residual connection around the attention): dy is read
  // in full before dx_sum is written.
  void backward_accumulate(const Tensor<T>& dy, Tensor<T>& dx_sum) {
    require_shape(dx_sum, input_shape_,
                  "adaptrec::layers::MultiHeadSelfAttention::backward_accumulate (dx_sum)");
    backward_into(dy, &dx_sum, Sum::add);
  }

  // Hugging Face BertAttention's names (under the caller's "attention" prefix).
  // An attached prefix's parameters are the model's to visit (see
  // attention_prefix.hpp).
  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    query_.visit_parameters(f, join_name(prefix, "self.query"));
    key_.visit_parameters(f, join_name(prefix, "self.key"));
    value_.visit_parameters(f, join_name(prefix, "self.value"));
    output_.visit_parameters(f, join_name(prefix, "output.dense"));
  }

  // f(name, linear) for each projection, named as visit_parameters names them.
  template <class F>
  void for_each_linear(F&& f, const std::string& prefix) {
    f(join_name(prefix, "self.query"), query_);
    f(join_name(prefix, "self.key"), key_);
    f(join_name(prefix, "self.value"), value_);
    f(join_name(prefix, "output.dense"), output_);
  }

  void train(bool on = true) {
    training_ = on;
    query_.train(on);
    key_.train(on);
    value_.train(on);
    output_.train(on);
  }
  void eval() { train(false); }

 private:
  static index_t checked_hidden(index_t hidden, index_t heads) {
    if (hidden <= 0 || heads <= 0 || hidden % heads != 0)
      throw invalid_argument("adaptrec::layers::MultiHeadSelfAttention: hidden=" +
                             std::to_string(hidden) + " must be a positive multiple of heads=" +
                             std::to_string(heads));
    return hidden;
  }
  static T checked_dropout(T p) {
    if (!(p >= T(0) && p < T(1)))
      throw invalid_argument(
          "adaptrec::layers::MultiHeadSelfAttention: attention_dropout must be in [0, 1), got " +
          std::to_string(p));
    return p;
  }

  PrefixRows<T> checked_prefix_rows(PrefixRows<T> rows) const {
    const index_t n = rows.key.rank() == 2 ? rows.key.dim(0) : 0;
    if (n <= 0 || rows.key.dim(1) != hidden_ || !(rows.value.shape() == rows.key.shape()))
      throw shape_error("adaptrec::layers::MultiHeadSelfAttention: prefix key rows " +
                        rows.key.shape().to_string() + " and value rows " +
                        rows.value.shape().to_string() + " are not both [n > 0, hidden=" +
                        std::to_string(hidden_) + "]");
    return rows;
  }

  // Sum::add adds dx to *dx_sum; Sum::start makes *dx_sum dx, the query
  // projection's GEMM writing it first so that no zero fill is needed. A null
  // dx_sum spares the projections' input gradients.
  enum class Sum { start, add };
  void backward_into(const Tensor<T>& dy, Tensor<T>* dx_sum, Sum sum) {
    if (!(dy.shape() == input_shape_))
      throw shape_error("adaptrec::layers::MultiHeadSelfAttention::backward: gradient of shape " +
                        dy.shape().to_string() + " does not match the forward output " +
                        input_shape_.to_string());
    const Tensor<T> d_context = output_.backward(dy);
    auto dq = Tensor<T>::uninitialized(q_.shape());
    Tensor<T> dk_rows = Tensor<T>::uninitialized(k_.shape()),
              dv_rows = Tensor<T>::uninitialized(v_.shape());
    backend::multi_head_attention_backward(q_, k_, v_, heads_, probs_, dropout_mask_, d_context,
                                           scale(), dq, dk_rows, dv_rows);
    if (prefix_length_ > 0) {
      if (!prefix_)
        throw error("adaptrec::layers::MultiHeadSelfAttention::backward: the prefix was "
                    "detached after forward; run forward again");
      Tensor<T> d_key_prefix, d_value_prefix;
      dk_rows = detail::split_leading_rows(dk_rows, prefix_length_, d_key_prefix);
      dv_rows = detail::split_leading_rows(dv_rows, prefix_length_, d_value_prefix);
      prefix_->backward(d_key_prefix, d_value_prefix);
    }
    if (!dx_sum) {
      query_.backward(dq, InputGradient::skipped);
      key_.backward(dk_rows, InputGradient::skipped);
      value_.backward(dv_rows, InputGradient::skipped);
      return;
    }
    if (sum == Sum::start)
      *dx_sum = query_.backward(dq);
    else
      query_.backward_accumulate(dq, *dx_sum);
    key_.backward_accumulate(dk_rows, *dx_sum);
    value_.backward_accumulate(dv_rows, *dx_sum);
  }

  // 1/sqrt(d_k) keeps the logits' variance independent of the head width
  // (Vaswani et al., 2017, sec. 3.2.1).
  T scale() const { return T(1) / std::sqrt(T(head_dim())); }

  void check_input(const Tensor<T>& x, const Tensor<T>& key_mask) const {
    if (x.rank() != 3 || x.dim(2) != hidden_)
      throw shape_error("adaptrec::layers::MultiHeadSelfAttention: input of shape " +
                        x.shape().to_string() + " is not [batch, seq, hidden=" +
                        std::to_string(hidden_) + "]");
    if (key_mask.empty()) return;
    if (!(key_mask.shape() == Shape{x.dim(0), x.dim(1)}))
      throw shape_error("adaptrec::layers::MultiHeadSelfAttention: key_mask of shape " +
                        key_mask.shape().to_string() + " does not match input " +
                        x.shape().to_string() + " (expected [batch, seq])");
    // An additive mask (0 / -10000) passed by mistake would silently attend to
    // padding and drop the real tokens.
    for (index_t i = 0; i < key_mask.size(); ++i)
      if (key_mask[i] != T(0) && key_mask[i] != T(1))
        throw invalid_argument("adaptrec::layers::MultiHeadSelfAttention: key_mask[" +
                               std::to_string(i / x.dim(1)) + ", " +
                               std::to_string(i % x.dim(1)) + "] = " +
                               std::to_string(key_mask[i]) +
                               "; expected 1 (token) or 0 (padding)");
  }

  // Inverted dropout as in layers::Dropout: 0 with probability p, else 1/(1-p).
  void draw_dropout_mask(const Shape& shape) {
    if (!training_ || attention_dropout_ == T(0)) {
      dropout_mask_ = Tensor<T>{};
      return;
    }
    dropout_mask_ = Tensor<T>(shape);
    const double drop_below = static_cast<double>(attention_dropout_) * 9007199254740992.0;
    const T keep_scale = T(1) / (T(1) - attention_dropout_);
    for (T& m : dropout_mask_)
      m = static_cast<double>(dropout_rng_() >> 11) < drop_below ? T(0) : keep_scale;
  }

  index_t hidden_;
  index_t heads_;
  T attention_dropout_;
  Linear<T> query_;
  Linear<T> key_;
  Linear<T> value_;
  Linear<T> output_;
  Rng dropout_rng_;
  AttentionPrefix<T>* prefix_ = nullptr;
  index_t prefix_length_ = 0;  // n of the last forward's prefix, 0 without one
  Tensor<T> q_;                // [B, S, H * D]
  Tensor<T> k_, v_;            // [B, n + S, H * D]
  Tensor<T> probs_;            // [B, H, S, n + S], before dropout
  Tensor<T> dropout_mask_;
  Shape input_shape_;
};

}  // namespace adaptrec::layers
