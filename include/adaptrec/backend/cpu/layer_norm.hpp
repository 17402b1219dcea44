#pragma once
// Layer normalisation over the last dimension (Ba, Kiros & Hinton, 2016).
//
// Rows are Eigen maps so that the sums and the element-wise passes run on
// packets. The parameter gradients are sums over rows: each block of
// `layer_norm_block` rows sums into its own partial row, in one pass with the
// input gradient, and the partials are added in block order, so the result
// does not depend on the thread count.
#include <adaptrec/backend/cpu/parallel.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>

namespace adaptrec::backend::cpu {

inline constexpr index_t layer_norm_block = 32;

// y = (x - mean) * rstd * gamma + beta per row; saves mean and rstd for backward.
template <class T>
void layer_norm_forward(const T* x, const T* gamma, const T* beta, T eps, T* y, T* mean, T* rstd,
                        index_t rows, index_t cols) {
  using Row = Eigen::Array<T, 1, Eigen::Dynamic>;
  Eigen::Map<const Row> g(gamma, cols), b(beta, cols);
  parallel_for(rows, cols * 4, [&](index_t r) {
    Eigen::Map<const Row> xr(x + r * cols, cols);
    const T mu = xr.sum() / T(cols);
    const T var = (xr - mu).square().sum() / T(cols);
    const T rs = T(1) / std::sqrt(var + eps);
    Eigen::Map<Row>(y + r * cols, cols) = (xr - mu) * (rs * g) + b;
    mean[r] = mu;
    rstd[r] = rs;
  });
}

// dx from dy; dgamma and dbeta are accumulated (+=).
// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), with g = dy * gamma.
template <class T>
void layer_norm_backward(const T* x, const T* gamma, const T* mean, const T* rstd, const T* dy,
                         T* dx, T* dgamma, T* dbeta, index_t rows, index_t cols) {
  using Row = Eigen::Array<T, 1, Eigen::Dynamic>;
  using Rows = Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const index_t blocks = (rows + layer_norm_block - 1) / layer_norm_block;
  Rows partial_dgamma = Rows::Zero(blocks, cols), partial_dbeta = Rows::Zero(blocks, cols);
  Eigen::Map<const Row> gam(gamma, cols);
  parallel_for(blocks, layer_norm_block * cols * 8, [&](index_t block) {
    Row xhat(cols), g(cols);
    const index_t end = std::min(rows, (block + 1) * layer_norm_block);
    for (index_t r = block * layer_norm_block; r < end; ++r) {
      Eigen::Map<const Row> xr(x + r * cols, cols), dyr(dy + r * cols, cols);
      xhat = (xr - mean[r]) * rstd[r];
      g = dyr * gam;
      const T mean_g = g.sum() / T(cols), mean_gx = (g * xhat).sum() / T(cols);
      Eigen::Map<Row>(dx + r * cols, cols) = rstd[r] * (g - mean_g - xhat * mean_gx);
      partial_dgamma.row(block) += dyr * xhat;
      partial_dbeta.row(block) += dyr;
    }
  });
  Eigen::Map<Row> dg(dgamma, cols), db(dbeta, cols);
  for (index_t block = 0; block < blocks; ++block) {
    dg += partial_dgamma.row(block);
    db += partial_dbeta.row(block);
  }
}

}  // namespace adaptrec::backend::cpu
