#pragma once
// Layer normalisation over the last dimension (Ba, Kiros & Hinton, 2016).
#include <adaptrec/backend/cpu/parallel.hpp>

#include <cmath>

namespace adaptrec::backend::cpu {

// y = (x - mean) * rstd * gamma + beta per row; saves mean and rstd for backward.
template <class T>
void layer_norm_forward(const T* x, const T* gamma, const T* beta, T eps, T* y, T* mean, T* rstd,
                        index_t rows, index_t cols) {
  parallel_for(rows, cols * 4, [&](index_t r) {
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    T mu = 0;
    for (index_t c = 0; c < cols; ++c) mu += xr[c];
    mu /= T(cols);
    T var = 0;
    for (index_t c = 0; c < cols; ++c) var += (xr[c] - mu) * (xr[c] - mu);
    var /= T(cols);
    const T rs = T(1) / std::sqrt(var + eps);
    for (index_t c = 0; c < cols; ++c) yr[c] = (xr[c] - mu) * rs * gamma[c] + beta[c];
    mean[r] = mu;
    rstd[r] = rs;
  });
}

// dx from dy; dgamma and dbeta are accumulated (+=).
template <class T>
void layer_norm_backward(const T* x, const T* gamma, const T* mean, const T* rstd, const T* dy,
                         T* dx, T* dgamma, T* dbeta, index_t rows, index_t cols) {
  // Input gradient, row-parallel:
  // dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), with g = dy * gamma.
  parallel_for(rows, cols * 6, [&](index_t r) {
    const T* xr = x + r * cols;
    const T* dyr = dy + r * cols;
    T* dxr = dx + r * cols;
    const T mu = mean[r], rs = rstd[r];
    T sum_g = 0, sum_gx = 0;
    for (index_t c = 0; c < cols; ++c) {
      const T g = dyr[c] * gamma[c];
      sum_g += g;
      sum_gx += g * (xr[c] - mu) * rs;
    }
    sum_g /= T(cols);
    sum_gx /= T(cols);
    for (index_t c = 0; c < cols; ++c) {
      const T xhat = (xr[c] - mu) * rs;
      dxr[c] = rs * (dyr[c] * gamma[c] - sum_g - xhat * sum_gx);
    }
  });
  // Parameter gradients, column-parallel so no two threads write one element.
  parallel_for(cols, rows * 3, [&](index_t c) {
    T dg = 0, db = 0;
    for (index_t r = 0; r < rows; ++r) {
      const T d = dy[r * cols + c];
      dg += d * (x[r * cols + c] - mean[r]) * rstd[r];
      db += d;
    }
    dgamma[c] += dg;
    dbeta[c] += db;
  });
}

}  // namespace adaptrec::backend::cpu
