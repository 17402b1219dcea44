#pragma once
// Row-wise softmax on the CPU, with an optional additive mask.
#include <adaptrec/backend/cpu/parallel.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>

namespace adaptrec::backend::cpu {

// y[r, :] = softmax(x[r, :]). Rows whose every entry is -inf (fully masked)
// produce zeros instead of NaN, and -inf entries get exactly zero. Eigen's
// array exp is vectorised, which a loop over std::exp is not.
template <class T>
void softmax_rows(const T* x, T* y, index_t rows, index_t cols) {
  using Row = Eigen::Array<T, 1, Eigen::Dynamic>;
  constexpr T minus_infinity = -std::numeric_limits<T>::infinity();
  parallel_for(rows, cols * 4, [&](index_t r) {
    Eigen::Map<const Row> in(x + r * cols, cols);
    Eigen::Map<Row> out(y + r * cols, cols);
    const T max = cols ? in.maxCoeff() : minus_infinity;
    if (max == minus_infinity) {
      out.setZero();
      return;
    }
    // One coefficient-wise expression, so x and y may be the same buffer.
    out = (in == minus_infinity).select(T(0), (in - max).exp());
    out *= T(1) / out.sum();
  });
}

// log softmax, the numerically stable form used by cross-entropy losses:
// (x - max) - log(sum exp(x - max)).
template <class T>
void log_softmax_rows(const T* x, T* y, index_t rows, index_t cols) {
  using Row = Eigen::Array<T, 1, Eigen::Dynamic>;
  parallel_for(rows, cols * 4, [&](index_t r) {
    Eigen::Map<const Row> in(x + r * cols, cols);
    Eigen::Map<Row> out(y + r * cols, cols);
    const T max = in.maxCoeff();
    out = in - max;
    const auto masked = out == -std::numeric_limits<T>::infinity();
    out -= std::log(masked.select(T(0), out.exp()).sum());
  });
}

// dx = y * (dy - <dy, y>) per row, from the softmax output y.
template <class T>
void softmax_rows_backward(const T* y, const T* dy, T* dx, index_t rows, index_t cols) {
  parallel_for(rows, cols * 2, [&](index_t r) {
    const T* yr = y + r * cols;
    const T* dyr = dy + r * cols;
    T* dxr = dx + r * cols;
    T dot = 0;
    for (index_t c = 0; c < cols; ++c) dot += dyr[c] * yr[c];
    for (index_t c = 0; c < cols; ++c) dxr[c] = yr[c] * (dyr[c] - dot);
  });
}

}  // namespace adaptrec::backend::cpu
