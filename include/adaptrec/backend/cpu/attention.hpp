#pragma once
// Scaled dot-product attention (Vaswani et al., 2017, eq. 1) on the CPU, with
// a key padding mask. Scale, mask and softmax are fused per (batch, head).
#include <adaptrec/backend/cpu/gemm.hpp>
#include <adaptrec/backend/cpu/softmax.hpp>

#include <limits>
#include <vector>

namespace adaptrec::backend::cpu {

// q: [B, H, S, D], k and v: [B, H, T, D], key_mask: [B, T] (nonzero keeps the
// key) or null. Writes out: [B, H, S, D] and the probabilities probs:
// [B, H, S, T], which backward needs.
template <class T>
void attention_forward(const T* q, const T* k, const T* v, const T* key_mask, T scale, T* out,
                       T* probs, index_t batch, index_t heads, index_t s, index_t t, index_t d) {
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
    gemm(p, false, v + bh * t * d, false, out + bh * s * d, s, d, t, T(1), T(0));
  });
}

// Gradients of attention_forward with respect to q, k and v (overwritten).
template <class T>
void attention_backward(const T* q, const T* k, const T* v, const T* probs, const T* d_out,
                        T scale, T* dq, T* dk, T* dv, index_t batch, index_t heads, index_t s,
                        index_t t, index_t d) {
  parallel_for(batch * heads, s * t * d, [&](index_t bh) {
    const T* p = probs + bh * s * t;
    const T* g = d_out + bh * s * d;
    std::vector<T> dp(static_cast<std::size_t>(s * t));
    // dV = P^T dO ; dP = dO V^T ; dS = softmax'(dP) * scale ; dQ = dS K ; dK = dS^T Q
    gemm(p, true, g, false, dv + bh * t * d, t, d, s, T(1), T(0));
    gemm(g, false, v + bh * t * d, true, dp.data(), s, t, d, T(1), T(0));
    softmax_rows_backward(p, dp.data(), dp.data(), s, t);
    gemm(dp.data(), false, k + bh * t * d, false, dq + bh * s * d, s, d, t, scale, T(0));
    gemm(dp.data(), true, q + bh * s * d, false, dk + bh * t * d, t, d, s, scale, T(0));
  });
}

}  // namespace adaptrec::backend::cpu
