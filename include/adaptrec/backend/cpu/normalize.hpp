#pragma once
// Row-wise L2 normalisation and its gradient.
#include <adaptrec/backend/cpu/parallel.hpp>

#include <algorithm>
#include <cmath>

namespace adaptrec::backend::cpu {

// y[r] = x[r] / max(||x[r]||, eps); norms[r] receives the clamped norm.
template <class T>
void l2_normalize_rows(const T* x, T* y, T* norms, T eps, index_t rows, index_t cols) {
  parallel_for(rows, cols * 3, [&](index_t r) {
    const T* in = x + r * cols;
    T* out = y + r * cols;
    T sq = 0;
    for (index_t c = 0; c < cols; ++c) sq += in[c] * in[c];
    const T n = std::max(std::sqrt(sq), eps);
    norms[r] = n;
    for (index_t c = 0; c < cols; ++c) out[c] = in[c] / n;
  });
}

// dx = (dy - y <dy, y>) / ||x||; where the norm was clamped to eps the map is
// x / eps, whose gradient is dy / eps.
template <class T>
void l2_normalize_rows_backward(const T* y, const T* norms, const T* dy, T* dx, T eps,
                                index_t rows, index_t cols) {
  parallel_for(rows, cols * 4, [&](index_t r) {
    const T* yr = y + r * cols;
    const T* g = dy + r * cols;
    T* out = dx + r * cols;
    const T n = norms[r];
    T dot = 0;
    if (n > eps)
      for (index_t c = 0; c < cols; ++c) dot += g[c] * yr[c];
    for (index_t c = 0; c < cols; ++c) out[c] = (g[c] - yr[c] * dot) / n;
  });
}

}  // namespace adaptrec::backend::cpu
