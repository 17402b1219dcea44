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
// array exp is vectorised, which a loop over std::exp is not; but Eigen 3.4's
// select() is not, and its exp clamps -inf to exp(-88.7) > 0, so the
// exponentials go to a scratch row and the -inf entries are zeroed in a
// plain loop (x and y may be the same buffer).
template <class T>
void softmax_rows(const T* x, T* y, index_t rows, index_t cols) {
  using Row = Eigen::Array<T, 1, Eigen::Dynamic>;
  constexpr T minus_infinity = -std::numeric_limits<T>::infinity();
  const index_t per_task = std::max<index_t>(1, parallel_grain / std::max<index_t>(1, cols * 4));
  const index_t tasks = (rows + per_task - 1) / per_task;
  parallel_for(tasks, per_task * cols * 4, [&](index_t task) {
    Row scratch(cols);
    const index_t end = std::min(rows, (task + 1) * per_task);
    for (index_t r = task * per_task; r < end; ++r) {
      Eigen::Map<const Row> in(x + r * cols, cols);
      Eigen::Map<Row> out(y + r * cols, cols);
      const T max = cols ? in.maxCoeff() : minus_infinity;
      if (max == minus_infinity) {
        out.setZero();
        continue;
      }
      scratch = (in - max).exp();
      const T* xr = x + r * cols;
      T* yr = y + r * cols;
      for (index_t c = 0; c < cols; ++c) yr[c] = xr[c] == minus_infinity ? T(0) : scratch[c];
      out *= T(1) / out.sum();
    }
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

// dx = y * (dy - <dy, y>) per row, from the softmax output y (dx may alias dy).
template <class T>
void softmax_rows_backward(const T* y, const T* dy, T* dx, index_t rows, index_t cols) {
  using Row = Eigen::Array<T, 1, Eigen::Dynamic>;
  parallel_for(rows, cols * 2, [&](index_t r) {
    Eigen::Map<const Row> yr(y + r * cols, cols), dyr(dy + r * cols, cols);
    const T dot = (dyr * yr).sum();
    Eigen::Map<Row>(dx + r * cols, cols) = yr * (dyr - dot);
  });
}

}  // namespace adaptrec::backend::cpu
