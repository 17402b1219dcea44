#pragma once
// Internal helpers shared by the losses: input validation with messages that
// name the loss, the argument and the shape or position at fault, stable
// scalar forms of softplus and sigmoid, and a deterministic parallel sum.
#include <adaptrec/backend/cpu/parallel.hpp>
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/tensor.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

namespace adaptrec::losses::detail {

// Sums of float losses are accumulated in double: a batch mean over 10^5
// elements otherwise loses about three digits.
template <class T>
using accumulator_t = std::conditional_t<(sizeof(T) < sizeof(double)), double, T>;

// softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^{-|x|}) and sigmoid(x),
// both from the one exponential e^{-|x|}, which never overflows.
template <class T>
struct SoftplusSigmoid {
  T softplus;
  T sigmoid;
};

template <class T>
SoftplusSigmoid<T> softplus_sigmoid(T x) {
  const T e = std::exp(-std::abs(x));
  const T softplus = std::max(x, T(0)) + std::log1p(e);
  const T sigmoid = x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
  return {softplus, sigmoid};
}

// sum_{i < n} term(i), split into fixed blocks so the result does not depend
// on the number of threads. `term` may also write per-element outputs.
template <class T, class F>
accumulator_t<T> parallel_sum(index_t n, index_t work_per_item, F&& term) {
  constexpr index_t block = 4096;
  const index_t blocks = (n + block - 1) / block;
  std::vector<accumulator_t<T>> partial(static_cast<std::size_t>(blocks), accumulator_t<T>(0));
  backend::cpu::parallel_for(blocks, block * work_per_item, [&](index_t b) {
    accumulator_t<T> s = 0;
    const index_t end = std::min(n, (b + 1) * block);
    for (index_t i = b * block; i < end; ++i) s += static_cast<accumulator_t<T>>(term(i));
    partial[static_cast<std::size_t>(b)] = s;
  });
  accumulator_t<T> total = 0;
  for (accumulator_t<T> s : partial) total += s;
  return total;
}

inline std::string where(const char* loss, const char* what) {
  return std::string("adaptrec::losses::") + loss + ": " + what;
}

// Checked before any parallel loop: an exception must not leave an OpenMP region.
template <class T>
void require_no_nan(const Tensor<T>& t, const char* loss, const char* what) {
  for (index_t i = 0; i < t.size(); ++i)
    if (std::isnan(t[i]))
      throw invalid_argument(where(loss, what) + " of shape " + t.shape().to_string() +
                             " holds NaN at position " + std::to_string(i));
}

template <class T>
void require_finite(const Tensor<T>& t, const char* loss, const char* what) {
  for (index_t i = 0; i < t.size(); ++i)
    if (!std::isfinite(t[i]))
      throw invalid_argument(where(loss, what) + " of shape " + t.shape().to_string() +
                             " holds the non-finite value " + std::to_string(t[i]) +
                             " at position " + std::to_string(i));
}

template <class A, class B>
void require_same_size(const Tensor<A>& a, const char* a_name, const Tensor<B>& b,
                       const char* b_name, const char* loss) {
  if (a.shape().numel() != b.shape().numel())
    throw shape_error(where(loss, a_name) + " of shape " + a.shape().to_string() + " and " +
                      b_name + " of shape " + b.shape().to_string() +
                      " must have the same number of elements");
}

template <class A, class B>
void require_same_shape(const Tensor<A>& a, const char* a_name, const Tensor<B>& b,
                        const char* b_name, const char* loss) {
  if (!(a.shape() == b.shape()))
    throw shape_error(where(loss, a_name) + " of shape " + a.shape().to_string() + " and " +
                      b_name + " of shape " + b.shape().to_string() + " must have the same shape");
}

template <class T>
void require_matrix(const Tensor<T>& t, const char* what, const char* loss) {
  if (t.rank() != 2)
    throw shape_error(where(loss, what) + " must be a matrix [rows, columns], got shape " +
                      t.shape().to_string());
}

template <class T>
void require_nonempty(const Tensor<T>& t, const char* what, const char* loss) {
  if (t.shape().numel() == 0)
    throw invalid_argument(where(loss, what) + " of shape " + t.shape().to_string() +
                           " is empty: the mean loss over no samples is undefined");
}

template <class T>
T checked_temperature(T temperature, const char* loss) {
  if (!(temperature > T(0)) || !std::isfinite(temperature))
    throw invalid_argument(where(loss, "temperature") + " must be positive and finite, got " +
                           std::to_string(temperature));
  return temperature;
}

inline void require_forward(bool done, const char* loss) {
  if (!done) throw error(where(loss, "backward() called before forward()"));
}

}  // namespace adaptrec::losses::detail
