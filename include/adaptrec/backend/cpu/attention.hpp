#pragma once
// Scaled dot-product attention (Vaswani et al., 2017, eq. 1) on the CPU, with
// a key padding mask and optional dropout on the attention probabilities (as
// BERT applies it, Devlin et al., 2019, via the Transformer's attention
// dropout). Scale, mask and softmax are fused per (batch, head), and the
// (batch, head) pairs run in parallel.
#include <adaptrec/backend/cpu/gemm.hpp>
#include <adaptrec/backend/cpu/softmax.hpp>

#include <limits>
#include <vector>

namespace adaptrec::backend::cpu {

// q: [B, H, S, D], k and v: [B, H, T, D], key_mask: [B, T] (nonzero keeps the
// key) or null, dropout_mask: [B, H, S, T] (0 or 1/(1-p)) or null. Writes
// out = (P o M) V: [B, H, S, D] and the probabilities before dropout,
// probs = P: [B, H, S, T], which backward needs. A query whose keys are all
// masked gets zero probabilities and a zero output.
template <class T>
void attention_forward(const T* q, const T* k, const T* v, const T* key_mask,
                       const T* dropout_mask, T scale, T* out, T* probs, index_t batch,
                       index_t heads, index_t s, index_t t, index_t d) {
  parallel_for(batch * heads, s * t * d, [&](index_t bh) {
    const index_t b = bh / heads;
    T* p = probs + bh * s * t;
    gemm(q + bh * s * d, false, k + bh * t * d, true, p, s, t, d, scale, T(0));
    if (key_mask) {
      const T* mask = key_mask + b * t;
      for (index_t i = 0; i < s; ++i)
        for (index_t j = 0; j < t; ++j)
          if (mask[j] == T(0)) p[i * t + j] = -std::numeric_limits<T>::infinity();
    }
    softmax_rows(p, p, s, t);
    if (!dropout_mask) {
      gemm(p, false, v + bh * t * d, false, out + bh * s * d, s, d, t, T(1), T(0));
      return;
    }
    const T* m = dropout_mask + bh * s * t;
    std::vector<T> dropped(static_cast<std::size_t>(s * t));
    for (index_t i = 0; i < s * t; ++i) dropped[static_cast<std::size_t>(i)] = p[i] * m[i];
    gemm(dropped.data(), false, v + bh * t * d, false, out + bh * s * d, s, d, t, T(1), T(0));
  });
}

// Gradients of attention_forward with respect to q, k and v (overwritten),
// from the saved probabilities and the same dropout mask (or null).
template <class T>
void attention_backward(const T* q, const T* k, const T* v, const T* probs,
                        const T* dropout_mask, const T* d_out, T scale, T* dq, T* dk, T* dv,
                        index_t batch, index_t heads, index_t s, index_t t, index_t d) {
  parallel_for(batch * heads, s * t * d, [&](index_t bh) {
    const T* p = probs + bh * s * t;
    const T* g = d_out + bh * s * d;
    std::vector<T> dp(static_cast<std::size_t>(s * t));
    // With A = P o M: dV = A^T dO ; dP = (dO V^T) o M ; dS = softmax'(dP) * scale ;
    // dQ = dS K ; dK = dS^T Q.
    if (dropout_mask) {
      const T* m = dropout_mask + bh * s * t;
      for (index_t i = 0; i < s * t; ++i) dp[static_cast<std::size_t>(i)] = p[i] * m[i];
      gemm(dp.data(), true, g, false, dv + bh * t * d, t, d, s, T(1), T(0));
      gemm(g, false, v + bh * t * d, true, dp.data(), s, t, d, T(1), T(0));
      for (index_t i = 0; i < s * t; ++i) dp[static_cast<std::size_t>(i)] *= m[i];
    } else {
      gemm(p, true, g, false, dv + bh * t * d, t, d, s, T(1), T(0));
      gemm(g, false, v + bh * t * d, true, dp.data(), s, t, d, T(1), T(0));
    }
    softmax_rows_backward(p, dp.data(), dp.data(), s, t);
    gemm(dp.data(), false, k + bh * t * d, false, dq + bh * s * d, s, d, t, scale, T(0));
    gemm(dp.data(), true, q + bh * s * d, false, dk + bh * t * d, t, d, s, scale, T(0));
  });
}

}  // namespace adaptrec::backend::cpu
