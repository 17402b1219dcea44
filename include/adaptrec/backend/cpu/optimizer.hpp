#pragma once
// The fused element-wise update of each optimizer (optim/) on one contiguous span of a
// parameter, and the only optimizer code that knows about Eigen: its array
// expressions vectorise the square root, which a plain loop calling std::sqrt
// does not (errno handling blocks the compiler's vectoriser). A CUDA backend
// would put its kernels beside these.
#include <adaptrec/core/shape.hpp>

#include <Eigen/Core>

namespace adaptrec::backend::cpu {

template <class T>
using ArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstArrayMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

// torch.optim.SGD on n elements; `first_step` initialises the momentum buffer b
// with the gradient.
template <class T>
struct SgdScalars {
  T learning_rate, weight_decay, momentum, one_minus_dampening;
  bool nesterov, first_step;
};

template <class T>
void sgd_span(T* x, const T* g, index_t n, const SgdScalars<T>& s) {
  for (index_t k = 0; k < n; ++k) x[k] -= s.learning_rate * (g[k] + s.weight_decay * x[k]);
}

template <class T>
void sgd_momentum_span(T* x, const T* g, T* b, index_t n, const SgdScalars<T>& s) {
  ArrayMap<T> X(x, n), B(b, n);
  ConstArrayMap<T> G(g, n);
  if (s.first_step)
    B = G + s.weight_decay * X;
  else
    B = s.momentum * B + s.one_minus_dampening * (G + s.weight_decay * X);
  if (s.nesterov)
    X -= s.learning_rate * ((G + s.weight_decay * X) + s.momentum * B);
  else
    X -= s.learning_rate * B;
}

// One Adam step on n elements, Kingma & Ba (2015) Algorithm 1 in PyTorch's
// arrangement of the bias corrections. `decoupled` selects AdamW's decay.
template <class T>
struct AdamScalars {
  T one_minus_beta1, beta2, one_minus_beta2;
  T step_size;              // lr / (1 - beta1^t)
  T bias_correction2_sqrt;  // sqrt(1 - beta2^t)
  T epsilon;
  T weight_decay;           // L2 coefficient (Adam)
  T shrink;                 // 1 - lr * weight_decay (AdamW)
};

template <bool decoupled, class T>
void adam_span(T* x, const T* g, T* m, T* v, index_t n, const AdamScalars<T>& s) {
  ArrayMap<T> X(x, n), M(m, n), V(v, n);
  ConstArrayMap<T> G(g, n);
  if constexpr (decoupled) {
    X *= s.shrink;
    M += s.one_minus_beta1 * (G - M);
    V = s.beta2 * V + s.one_minus_beta2 * G.square();
  } else {
    M += s.one_minus_beta1 * ((G + s.weight_decay * X) - M);
    V = s.beta2 * V + s.one_minus_beta2 * (G + s.weight_decay * X).square();
  }
  X -= s.step_size * (M / (V.sqrt() / s.bias_correction2_sqrt + s.epsilon));
}

// torch.optim.Adagrad on n elements with accumulator a.
template <class T>
void adagrad_span(T* x, const T* g, T* a, index_t n, T learning_rate, T epsilon,
                  T weight_decay) {
  ArrayMap<T> X(x, n), A(a, n);
  ConstArrayMap<T> G(g, n);
  A += (G + weight_decay * X).square();
  X -= learning_rate * ((G + weight_decay * X) / (A.sqrt() + epsilon));
}

}  // namespace adaptrec::backend::cpu
