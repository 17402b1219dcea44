#pragma once
// Row-wise softmax on the CPU, with an optional additive mask.
#include <adaptrec/backend/cpu/parallel.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>

namespace adaptrec::backend::cpu {

// y[r, :] = softmax(x[r, :]). Rows whose every entry is -inf (fully masked)
// produce zeros instead of NaN, and -inf entries get exactly zero. x and y
// may be the same buffer.
//
// Eigen's array exp is vectorised, which a loop over std::exp is not; but
// its exp clamps -inf to exp(-88.7) > 0 and Eigen 3.4's select() is scalar.
// So a row without -inf (checked on packets) is one coefficient-wise
// expression, and a masked row takes its exponentials into a scratch row
// whose -inf entries are then zeroed.
template <class T>
void softmax_rows(const T* x, T* y, index_t rows, index_t cols) {
  using Row = Eigen::Array<T, 1, Eigen::Dynamic>;
  constexpr T minus_infinity = -std::numeric_limits<T>::infinity();
  if (cols == 0) return;
  const index_t per_task = std::max<index_t>(1, parallel_grain / (cols * 4));
  const index_t tasks = (rows + per_task - 1) / per_task;
  parallel_for(tasks, per_task * cols * 4, [&](index_t task) {
    Row scratch;
    const index_t end = std::min(rows, (task + 1) * per_task);
    for (index_t r = task * per_task; r < end; ++r) {
      Eigen::Map<const Row> in(x + r * cols, cols);
      Eigen::Map<Row> out(y + r * cols, cols);
      const T max = in.maxCoeff();
      if (max == minus_infinity) {
        out.setZero();
      } else if (in.minCoeff() > minus_infinity) {
        out = (in - max).exp();
        out *= T(1) / out.sum();
      } else {
        scratch = (in - max).exp();
        const T* xr = x + r * cols;
        T* e = scratch.data();
        for (index_t c = 0; c < cols; ++c) e[c] = xr[c] == minus_infinity ? T(0) : e[c];
        out = scratch * (T(1) / scratch.sum());
      }
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
