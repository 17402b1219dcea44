#pragma once
// Row-wise softmax on the CPU, with an optional additive mask.
#include <adaptrec/backend/cpu/parallel.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace adaptrec::backend::cpu {

// y[r, :] = softmax(x[r, :]). Rows whose every entry is -inf (fully masked)
// produce zeros instead of NaN.
template <class T>
void softmax_rows(const T* x, T* y, index_t rows, index_t cols) {
  parallel_for(rows, cols * 4, [&](index_t r) {
    const T* in = x + r * cols;
    T* out = y + r * cols;
    T max = -std::numeric_limits<T>::infinity();
    for (index_t c = 0; c < cols; ++c) max = std::max(max, in[c]);
    if (max == -std::numeric_limits<T>::infinity()) {
      std::fill_n(out, cols, T(0));
      return;
    }
    T sum = 0;
    for (index_t c = 0; c < cols; ++c) sum += (out[c] = std::exp(in[c] - max));
    const T inv = T(1) / sum;
    for (index_t c = 0; c < cols; ++c) out[c] *= inv;
  });
}

// log softmax, the numerically stable form used by cross-entropy losses.
template <class T>
void log_softmax_rows(const T* x, T* y, index_t rows, index_t cols) {
  parallel_for(rows, cols * 4, [&](index_t r) {
    const T* in = x + r * cols;
    T* out = y + r * cols;
    T max = -std::numeric_limits<T>::infinity();
    for (index_t c = 0; c < cols; ++c) max = std::max(max, in[c]);
    T sum = 0;
    for (index_t c = 0; c < cols; ++c) sum += std::exp(in[c] - max);
    // (x - max) - log(sum), not x - (max + log(sum)): at |x| ~ 1e4 a float
    // max + log(sum) would round log(sum) to the ulp of max (about 1e-3).
    const T log_sum = std::log(sum);
    for (index_t c = 0; c < cols; ++c) out[c] = (in[c] - max) - log_sum;
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
