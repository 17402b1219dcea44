#pragma once
// The point where prefix tuning (Li & Liang, "Prefix-Tuning: Optimizing
// Continuous Prompts for Generation", ACL 2021, sec. 4) plugs into a frozen
// self-attention layer: n trainable key rows and n value rows, prepended to
// the keys and values of every sequence, which every query may attend to.
//
// The rows are [n, hidden], split into heads as the projected keys and values
// are. Their gradient arrives summed over the batch, since every sequence
// shares them.
//
// A method's prefixes share their parameters (one reparameterising MLP makes
// the rows of every layer), so a layer does not visit them: the model visits
// each distinct SharedParameters once, at its root (encoders::Bert).
// Prefixes are owned by the method that made them (peft/prefix_tuning.hpp);
// the layer keeps a plain pointer.
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/tensor.hpp>
#include <adaptrec/layers/linear_hook.hpp>

#include <algorithm>
#include <string>

namespace adaptrec::layers {

template <class T>
class SharedParameters {
 public:
  virtual ~SharedParameters() = default;
  virtual void visit_parameters(const ParameterVisitor<T>& visit, const std::string& prefix) = 0;
};

template <class T>
struct PrefixRows {
  Tensor<T> key;    // [n, hidden]
  Tensor<T> value;  // [n, hidden]
};

template <class T>
class AttentionPrefix {
 public:
  virtual ~AttentionPrefix() = default;

  // The rows for the forward about to run.
  virtual PrefixRows<T> forward() = 0;
  // Gradients of the rows of the last forward, summed over the batch;
  // accumulates the parameters' gradients (when trainable).
  virtual void backward(const Tensor<T>& d_key, const Tensor<T>& d_value) = 0;
  // Whether a backward pass must reach this layer for the prefix's sake.
  virtual bool trainable() const = 0;
  virtual SharedParameters<T>& parameters() = 0;
};

namespace detail {

// rows [n, h], x [B, S, h] -> [B, n + S, h]: the rows in front of every sequence.
template <class T>
Tensor<T> prepend_rows(const Tensor<T>& rows, const Tensor<T>& x) {
  const index_t batch = x.dim(0), seq = x.dim(1), h = x.dim(2), n = rows.dim(0);
  Tensor<T> out(Shape{batch, n + seq, h});
  for (index_t b = 0; b < batch; ++b) {
    T* dst = out.data() + b * (n + seq) * h;
    std::copy_n(rows.data(), n * h, dst);
    std::copy_n(x.data() + b * seq * h, seq * h, dst + n * h);
  }
  return out;
}

// The inverse of prepend_rows for gradients: dx [B, n + S, h] -> the leading
// n rows summed over the batch ([n, h], into d_rows) and the rest [B, S, h].
template <class T>
Tensor<T> split_leading_rows(const Tensor<T>& dx, index_t n, Tensor<T>& d_rows) {
  const index_t batch = dx.dim(0), seq = dx.dim(1) - n, h = dx.dim(2);
  d_rows = Tensor<T>(Shape{n, h});
  Tensor<T> rest(Shape{batch, seq, h});
  for (index_t b = 0; b < batch; ++b) {
    const T* src = dx.data() + b * (n + seq) * h;
    T* acc = d_rows.data();
    for (index_t i = 0; i < n * h; ++i) acc[i] += src[i];
    std::copy_n(src + n * h, seq * h, rest.data() + b * seq * h);
  }
  return rest;
}

// x [B, n + S, h] -> [B, S, h], dropping the leading n rows of every sequence.
template <class T>
Tensor<T> drop_leading_rows(const Tensor<T>& x, index_t n) {
  const index_t batch = x.dim(0), seq = x.dim(1) - n, h = x.dim(2);
  Tensor<T> out(Shape{batch, seq, h});
  for (index_t b = 0; b < batch; ++b)
    std::copy_n(x.data() + (b * (n + seq) + n) * h, seq * h, out.data() + b * seq * h);
  return out;
}

// The gradient of drop_leading_rows: dy [B, S, h] -> [B, n + S, h], zero in
// the dropped rows.
template <class T>
Tensor<T> pad_leading_rows(const Tensor<T>& dy, index_t n) {
  const index_t batch = dy.dim(0), seq = dy.dim(1), h = dy.dim(2);
  Tensor<T> out(Shape{batch, n + seq, h});
  for (index_t b = 0; b < batch; ++b)
    std::copy_n(dy.data() + b * seq * h, seq * h, out.data() + (b * (n + seq) + n) * h);
  return out;
}

// key_mask [B, S] (or empty: nothing padded) -> [B, n + S] with the n
// prepended rows always attended to; empty stays empty.
template <class T>
Tensor<T> mask_with_leading_ones(const Tensor<T>& key_mask, index_t n) {
  if (key_mask.empty()) return key_mask;
  const index_t batch = key_mask.dim(0), seq = key_mask.dim(1);
  Tensor<T> out(Shape{batch, n + seq});
  for (index_t b = 0; b < batch; ++b) {
    std::fill_n(out.data() + b * (n + seq), n, T(1));
    std::copy_n(key_mask.data() + b * seq, seq, out.data() + b * (n + seq) + n);
  }
  return out;
}

}  // namespace detail

}  // namespace adaptrec::layers
