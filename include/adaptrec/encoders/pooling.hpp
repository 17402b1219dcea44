#pragma once
// From token states [B, S, H] to one vector per sequence [B, H]:
//  - cls:    the first token's state (Devlin et al., 2019, sec. 3);
//  - mean:   the average over real tokens, sum(h * mask) / max(count, 1e-9),
//            as sentence-transformers' Pooling module (Reimers & Gurevych,
//            2019, sec. 3) computes it;
//  - pooler: BERT's pooler, tanh(W h_cls + b), trained with next-sentence
//            prediction (BertPooler in Hugging Face).
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/layers/activation.hpp>
#include <adaptrec/layers/linear.hpp>

#include <algorithm>
#include <string>
#include <string_view>

namespace adaptrec::encoders {

enum class Pooling { cls, mean, pooler };

inline const char* to_string(Pooling pooling) {
  switch (pooling) {
    case Pooling::cls:
      return "cls";
    case Pooling::mean:
      return "mean";
    case Pooling::pooler:
      return "pooler";
  }
  return "?";
}

// "cls", "mean" or "pooler"; throws invalid_argument naming the bad name.
inline Pooling pooling_from_name(std::string_view name) {
  for (Pooling p : {Pooling::cls, Pooling::mean, Pooling::pooler})
    if (name == to_string(p)) return p;
  throw invalid_argument("adaptrec::encoders::pooling_from_name: unknown pooling '" +
                         std::string(name) + "' (known: cls, mean, pooler)");
}

namespace detail {

template <class T>
void require_token_states(const Tensor<T>& hidden, const char* where) {
  if (hidden.rank() != 3 || hidden.dim(1) == 0)
    throw shape_error(std::string(where) +
                      ": expected token states [batch, sequence >= 1, "
                      "hidden], got " +
                      hidden.shape().to_string());
}

}  // namespace detail

// hidden [B, S, H] -> [B, H]: position 0 of each sequence.
template <class T>
Tensor<T> cls_pool(const Tensor<T>& hidden) {
  detail::require_token_states(hidden, "adaptrec::encoders::cls_pool");
  const index_t batch = hidden.dim(0), length = hidden.dim(1), h = hidden.dim(2);
  Tensor<T> pooled(Shape{batch, h});
  for (index_t b = 0; b < batch; ++b)
    std::copy_n(hidden.data() + b * length * h, h, pooled.data() + b * h);
  return pooled;
}

// d_pooled [B, H] -> d_hidden of `hidden_shape` [B, S, H], zero except at position 0.
template <class T>
Tensor<T> cls_pool_backward(const Tensor<T>& d_pooled, const Shape& hidden_shape) {
  if (hidden_shape.rank() != 3 || !(d_pooled.shape() == Shape{hidden_shape[0], hidden_shape[2]}))
    throw shape_error("adaptrec::encoders::cls_pool_backward: gradient of shape " +
                      d_pooled.shape().to_string() + " for token states " +
                      hidden_shape.to_string());
  const index_t batch = hidden_shape[0], length = hidden_shape[1], h = hidden_shape[2];
  Tensor<T> d_hidden(hidden_shape);
  for (index_t b = 0; b < batch; ++b)
    std::copy_n(d_pooled.data() + b * h, h, d_hidden.data() + b * length * h);
  return d_hidden;
}

namespace detail {

// 1 / max(real tokens, 1e-9) per row, sentence-transformers' clamp.
template <class T>
Tensor<T> inverse_token_counts(const Tensor<index_t>& mask, index_t batch, index_t length,
                               const char* where) {
  if (!(mask.shape() == Shape{batch, length}))
    throw shape_error(std::string(where) + ": attention mask of shape " + mask.shape().to_string() +
                      " does not match [batch, sequence] = " + Shape{batch, length}.to_string());
  Tensor<T> inverse(Shape{batch});
  for (index_t b = 0; b < batch; ++b) {
    double count = 0;
    for (index_t s = 0; s < length; ++s) count += static_cast<double>(mask[b * length + s]);
    inverse[b] = static_cast<T>(1.0 / std::max(count, 1e-9));
  }
  return inverse;
}

}  // namespace detail

// hidden [B, S, H], mask [B, S] (1 real, 0 padding) -> [B, H].
template <class T>
Tensor<T> mean_pool(const Tensor<T>& hidden, const Tensor<index_t>& mask) {
  constexpr const char* where = "adaptrec::encoders::mean_pool";
  detail::require_token_states(hidden, where);
  const index_t batch = hidden.dim(0), length = hidden.dim(1), h = hidden.dim(2);
  const Tensor<T> inverse = detail::inverse_token_counts<T>(mask, batch, length, where);
  Tensor<T> pooled(Shape{batch, h});
  for (index_t b = 0; b < batch; ++b) {
    T* out = pooled.data() + b * h;
    for (index_t s = 0; s < length; ++s) {
      const T weight = static_cast<T>(mask[b * length + s]);
      if (weight == T(0)) continue;
      const T* row = hidden.data() + (b * length + s) * h;
      for (index_t c = 0; c < h; ++c) out[c] += weight * row[c];
    }
    for (index_t c = 0; c < h; ++c) out[c] *= inverse[b];
  }
  return pooled;
}

// d_pooled [B, H] -> d_hidden [B, S, H] = mask[b, s] / count[b] * d_pooled[b, :].
template <class T>
Tensor<T> mean_pool_backward(const Tensor<T>& d_pooled, const Tensor<index_t>& mask) {
  constexpr const char* where = "adaptrec::encoders::mean_pool_backward";
  if (mask.rank() != 2 || d_pooled.rank() != 2 || d_pooled.dim(0) != mask.dim(0))
    throw shape_error(std::string(where) + ": gradient of shape " + d_pooled.shape().to_string() +
                      " for an attention mask of shape " + mask.shape().to_string());
  const index_t batch = mask.dim(0), length = mask.dim(1), h = d_pooled.dim(1);
  const Tensor<T> inverse = detail::inverse_token_counts<T>(mask, batch, length, where);
  Tensor<T> d_hidden(Shape{batch, length, h});
  for (index_t b = 0; b < batch; ++b)
    for (index_t s = 0; s < length; ++s) {
      const T weight = static_cast<T>(mask[b * length + s]) * inverse[b];
      if (weight == T(0)) continue;
      const T* d = d_pooled.data() + b * h;
      T* out = d_hidden.data() + (b * length + s) * h;
      for (index_t c = 0; c < h; ++c) out[c] = weight * d[c];
    }
  return d_hidden;
}

// BERT's pooler: tanh(dense(h[:, 0, :])), named `dense.weight`, `dense.bias`.
template <class T = float>
class BertPooler : public TrainingMode {
 public:
  using scalar_type = T;
  using input_type = Tensor<T>;
  using output_type = Tensor<T>;

  BertPooler(index_t hidden_size, Rng& rng) : dense_(hidden_size, hidden_size, rng) {}

  layers::Linear<T>& dense() { return dense_; }

  // hidden [B, S, H] -> [B, H]
  Tensor<T> forward(const Tensor<T>& hidden) {
    detail::require_token_states(hidden, "adaptrec::encoders::BertPooler");
    hidden_shape_ = hidden.shape();
    return tanh_.forward(dense_.forward(cls_pool(hidden)));
  }

  // d_pooled [B, H] -> d_hidden [B, S, H]
  Tensor<T> backward(const Tensor<T>& d_pooled) {
    return cls_pool_backward(dense_.backward(tanh_.backward(d_pooled)), hidden_shape_);
  }

  void train(bool on = true) {
    training_ = on;
    dense_.train(on);
    tanh_.train(on);
  }
  void eval() { train(false); }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    dense_.visit_parameters(f, join_name(prefix, "dense"));
  }

 private:
  layers::Linear<T> dense_;
  layers::Tanh<T> tanh_;
  Shape hidden_shape_;
};

}  // namespace adaptrec::encoders
