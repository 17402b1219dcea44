#pragma once
// Activations and element-wise arithmetic on the CPU.
#include <adaptrec/backend/cpu/parallel.hpp>
#include <adaptrec/core/error.hpp>

#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <type_traits>

namespace adaptrec::backend {

// gelu is the exact erf form; gelu_tanh is its tanh approximation (Hendrycks &
// Gimpel, 2016, sec. 2), which GPT-2 and some BERT variants were trained with.
enum class Activation { identity, relu, gelu, gelu_tanh, tanh, sigmoid };

inline const char* to_string(Activation a) {
  switch (a) {
    case Activation::identity: return "identity";
    case Activation::relu: return "relu";
    case Activation::gelu: return "gelu";
    case Activation::gelu_tanh: return "gelu_tanh";
    case Activation::tanh: return "tanh";
    case Activation::sigmoid: return "sigmoid";
  }
  return "?";
}

// The activation a Hugging Face config's `hidden_act` names (transformers'
// ACT2FN table), or one of adaptrec's own to_string names. "gelu_new",
// "gelu_pytorch_tanh", "gelu_fast" and "gelu_accurate" are all the same tanh
// formula; "gelu_python" is the erf one written out in Python.
inline Activation activation_from_name(std::string_view hf_name) {
  struct Entry {
    std::string_view name;
    Activation activation;
  };
  static constexpr Entry table[] = {
      {"gelu", Activation::gelu},
      {"gelu_python", Activation::gelu},
      {"gelu_new", Activation::gelu_tanh},
      {"gelu_pytorch_tanh", Activation::gelu_tanh},
      {"gelu_fast", Activation::gelu_tanh},
      {"gelu_accurate", Activation::gelu_tanh},
      {"gelu_tanh", Activation::gelu_tanh},
      {"relu", Activation::relu},
      {"tanh", Activation::tanh},
      {"sigmoid", Activation::sigmoid},
      {"linear", Activation::identity},
      {"identity", Activation::identity},
  };
  for (const Entry& e : table)
    if (e.name == hf_name) return e.activation;
  std::string known;
  for (const Entry& e : table) known += (known.empty() ? "" : ", ") + std::string(e.name);
  throw invalid_argument("adaptrec::backend::activation_from_name: unknown activation '" +
                         std::string(hf_name) + "' (known: " + known + ")");
}

}  // namespace adaptrec::backend

namespace adaptrec::backend::cpu {

// Exact (erf) GELU, as in BERT and Hugging Face's "gelu" (Hendrycks & Gimpel, 2016).
template <class T>
T gelu(T x) {
  return T(0.5) * x * (T(1) + std::erf(x * T(0.70710678118654752440)));
}
template <class T>
T gelu_derivative(T x) {
  const T cdf = T(0.5) * (T(1) + std::erf(x * T(0.70710678118654752440)));
  const T pdf = std::exp(T(-0.5) * x * x) * T(0.39894228040143267794);
  return cdf + x * pdf;
}
// 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3): Hugging Face's
// "gelu_new" / PyTorch's gelu(approximate="tanh").
template <class T>
T gelu_tanh(T x) {
  const T u = T(0.79788456080286535588) * x * (T(1) + T(0.044715) * x * x);
  return T(0.5) * x * (T(1) + std::tanh(u));
}
// 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) du/dx, du/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2).
template <class T>
T gelu_tanh_derivative(T x) {
  const T x2 = x * x;
  const T t = std::tanh(T(0.79788456080286535588) * x * (T(1) + T(0.044715) * x2));
  const T du = T(0.79788456080286535588) * (T(1) + T(0.134145) * x2);
  return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * du;
}
template <class T>
T sigmoid(T x) {
  // Split by sign so exp never overflows.
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

template <class T>
T activate(Activation a, T x) {
  switch (a) {
    case Activation::identity: return x;
    case Activation::relu: return x > T(0) ? x : T(0);
    case Activation::gelu: return gelu(x);
    case Activation::gelu_tanh: return gelu_tanh(x);
    case Activation::tanh: return std::tanh(x);
    case Activation::sigmoid: return sigmoid(x);
  }
  return x;
}

// d activation / dx, from the input x and the output y (whichever is cheaper).
template <class T>
T activation_derivative(Activation a, T x, T y) {
  switch (a) {
    case Activation::identity: return T(1);
    case Activation::relu: return x > T(0) ? T(1) : T(0);
    case Activation::gelu: return gelu_derivative(x);
    case Activation::gelu_tanh: return gelu_tanh_derivative(x);
    case Activation::tanh: return T(1) - y * y;
    case Activation::sigmoid: return y * (T(1) - y);
  }
  return T(1);
}

// The activation is chosen once, outside the loop, so each loop body is a
// single inlined function the compiler can vectorise.
template <class T, class F>
void dispatch_activation(Activation a, F&& body) {
  switch (a) {
    case Activation::identity: body(std::integral_constant<Activation, Activation::identity>{}); break;
    case Activation::relu: body(std::integral_constant<Activation, Activation::relu>{}); break;
    case Activation::gelu: body(std::integral_constant<Activation, Activation::gelu>{}); break;
    case Activation::gelu_tanh:
      body(std::integral_constant<Activation, Activation::gelu_tanh>{});
      break;
    case Activation::tanh: body(std::integral_constant<Activation, Activation::tanh>{}); break;
    case Activation::sigmoid: body(std::integral_constant<Activation, Activation::sigmoid>{}); break;
  }
}

// The GELUs in float go through Eigen's packet math: std::erf and std::tanh
// do not vectorise, and per element they cost 15x more than Eigen's rational
// approximations (max relative error 1.1e-6 against double-precision erf, inside
// float's tolerance for these models). Double keeps the libm functions, so
// double-precision checks against references stay exact.
namespace detail {

constexpr index_t activation_chunk = 4096;

template <class F>
void for_each_chunk(index_t n, F&& body) {
  const index_t chunks = (n + activation_chunk - 1) / activation_chunk;
  parallel_for(chunks, activation_chunk * 16, [&](index_t c) {
    const index_t begin = c * activation_chunk;
    body(begin, std::min(n, begin + activation_chunk) - begin);
  });
}

inline bool forward_vectorised(Activation a, const float* x, float* y, index_t n) {
  using Array = Eigen::Array<float, Eigen::Dynamic, 1>;
  if (a == Activation::gelu) {
    for_each_chunk(n, [&](index_t begin, index_t count) {
      Eigen::Map<const Array> X(x + begin, count);
      Eigen::Map<Array>(y + begin, count) = 0.5f * X * (1.f + (X * 0.70710678118654752440f).erf());
    });
    return true;
  }
  if (a == Activation::gelu_tanh) {
    for_each_chunk(n, [&](index_t begin, index_t count) {
      Eigen::Map<const Array> X(x + begin, count);
      Eigen::Map<Array>(y + begin, count) =
          0.5f * X * (1.f + (0.79788456080286535588f * X * (1.f + 0.044715f * X.square())).tanh());
    });
    return true;
  }
  return false;
}

inline bool backward_vectorised(Activation a, const float* x, const float* dy, float* dx,
                                index_t n) {
  using Array = Eigen::Array<float, Eigen::Dynamic, 1>;
  if (a == Activation::gelu) {
    for_each_chunk(n, [&](index_t begin, index_t count) {
      Eigen::Map<const Array> X(x + begin, count), DY(dy + begin, count);
      const Array cdf = 0.5f * (1.f + (X * 0.70710678118654752440f).erf());
      const Array pdf = (-0.5f * X.square()).exp() * 0.39894228040143267794f;
      Eigen::Map<Array>(dx + begin, count) = DY * (cdf + X * pdf);
    });
    return true;
  }
  if (a == Activation::gelu_tanh) {
    for_each_chunk(n, [&](index_t begin, index_t count) {
      Eigen::Map<const Array> X(x + begin, count), DY(dy + begin, count);
      const Array x2 = X.square();
      const Array t = (0.79788456080286535588f * X * (1.f + 0.044715f * x2)).tanh();
      const Array du = 0.79788456080286535588f * (1.f + 0.134145f * x2);
      Eigen::Map<Array>(dx + begin, count) =
          DY * (0.5f * (1.f + t) + 0.5f * X * (1.f - t.square()) * du);
    });
    return true;
  }
  return false;
}

}  // namespace detail

template <class T>
void activation_forward(Activation a, const T* x, T* y, index_t n) {
  if constexpr (std::is_same_v<T, float>)
    if (detail::forward_vectorised(a, x, y, n)) return;
  dispatch_activation<T>(a, [&](auto kind) {
    parallel_for(n, 8, [&](index_t i) { y[i] = activate(kind.value, x[i]); });
  });
}

template <class T>
void activation_backward(Activation a, const T* x, const T* y, const T* dy, T* dx, index_t n) {
  if constexpr (std::is_same_v<T, float>)
    if (detail::backward_vectorised(a, x, dy, dx, n)) return;
  dispatch_activation<T>(a, [&](auto kind) {
    parallel_for(n, 8, [&](index_t i) {
      dx[i] = dy[i] * activation_derivative(kind.value, x[i], y[i]);
    });
  });
}

// y[r, :] += bias for every row r.
template <class T>
void add_row_vector(T* y, const T* bias, index_t rows, index_t cols) {
  parallel_for(rows, cols, [&](index_t r) {
    T* row = y + r * cols;
    for (index_t c = 0; c < cols; ++c) row[c] += bias[c];
  });
}

// out[c] += sum_r x[r, c]: the gradient of a broadcast bias.
template <class T>
void accumulate_column_sums(const T* x, T* out, index_t rows, index_t cols) {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<const Mat> X(x, rows, cols);
  Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>> O(out, cols);
  O += X.colwise().sum();
}

// y += alpha * x
template <class T>
void axpy(T alpha, const T* x, T* y, index_t n) {
  parallel_for(n, 1, [&](index_t i) { y[i] += alpha * x[i]; });
}

template <class T>
void scale(T* x, T alpha, index_t n) {
  parallel_for(n, 1, [&](index_t i) { x[i] *= alpha; });
}

// out = a * b element-wise (out may alias a or b).
template <class T>
void multiply(const T* a, const T* b, T* out, index_t n) {
  parallel_for(n, 1, [&](index_t i) { out[i] = a[i] * b[i]; });
}

}  // namespace adaptrec::backend::cpu
