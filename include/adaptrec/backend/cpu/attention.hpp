#pragma once
// Scaled dot-product attention (Vaswani et al., 2017, eq. 1) on the CPU, with
// a key padding mask and optional dropout on the attention probabilities (as
// BERT applies it, Devlin et al., 2019, via the Transformer's attention
// dropout). Scale, mask and softmax are fused per (batch, head), and the
// (batch, head) pairs run in parallel.
//
// In bf16 (mixed-precision training), the inputs of every product are rounded
// to bfloat16 (q, k, v, the output gradient, the probabilities and their
// gradients) and summed in float32; the softmax and the saved probabilities
// stay in float32.
#include <adaptrec/backend/cpu/gemm.hpp>
#include <adaptrec/backend/cpu/softmax.hpp>
#include <adaptrec/backend/precision.hpp>
#include <adaptrec/backend/quantize.hpp>

#include <limits>
#include <vector>

namespace adaptrec::backend::cpu {

namespace detail {
// Points x at a bfloat16-rounded copy of its n values, kept in `copy`.
template <class T>
void use_rounded_copy(const T*& x, index_t n, std::vector<T>& copy) {
  copy.resize(static_cast<std::size_t>(n));
  round_to_bfloat16(x, copy.data(), n);
  x = copy.data();
}
}  // namespace detail

// q: [B, H, S, D], k and v: [B, H, T, D], key_mask: [B, T] (nonzero keeps the
// key) or null, dropout_mask: [B, H, S, T] (0 or 1/(1-p)) or null. Writes
// out = (P o M) V: [B, H, S, D] and the probabilities before dropout,
// probs = P: [B, H, S, T], which backward needs. A query whose keys are all
// masked gets zero probabilities and a zero output.
template <class T>
void attention_forward(const T* q, const T* k, const T* v, const T* key_mask,
                       const T* dropout_mask, T scale, T* out, T* probs, index_t batch,
                       index_t heads, index_t s, index_t t, index_t d,
                       Precision precision = Precision::fp32) {
  const bool bf16 = precision == Precision::bf16;
  std::vector<T> rq, rk, rv;
  if (bf16) {
    detail::use_rounded_copy(q, batch * heads * s * d, rq);
    detail::use_rounded_copy(k, batch * heads * t * d, rk);
    detail::use_rounded_copy(v, batch * heads * t * d, rv);
  }
  parallel_for(batch * heads, s * t * d, [&](index_t bh) {
    const index_t b = bh / heads;
    thread_local std::vector<index_t> masked;  // the keys this batch entry masks
    T* p = probs + bh * s * t;
    gemm(q + bh * s * d, false, k + bh * t * d, true, p, s, t, d, scale, T(0));
    if (key_mask) {
      const T* mask = key_mask + b * t;
      masked.clear();
      for (index_t j = 0; j < t; ++j)
        if (mask[j] == T(0)) masked.push_back(j);
      for (index_t i = 0; i < s; ++i)
        for (const index_t j : masked) p[i * t + j] = -std::numeric_limits<T>::infinity();
    }
    softmax_rows(p, p, s, t);
    if (!dropout_mask && !bf16) {
      gemm(p, false, v + bh * t * d, false, out + bh * s * d, s, d, t, T(1), T(0));
      return;
    }
    const T* m = dropout_mask ? dropout_mask + bh * s * t : nullptr;
    std::vector<T> a(static_cast<std::size_t>(s * t));
    for (index_t i = 0; i < s * t; ++i) {
      const T value = m ? p[i] * m[i] : p[i];
      a[static_cast<std::size_t>(i)] = bf16 ? round_to_bfloat16(value) : value;
    }
    gemm(a.data(), false, v + bh * t * d, false, out + bh * s * d, s, d, t, T(1), T(0));
  });
}

// Gradients of attention_forward with respect to q, k and v (overwritten),
// from the saved probabilities and the same dropout mask (or null).
template <class T>
void attention_backward(const T* q, const T* k, const T* v, const T* probs,
                        const T* dropout_mask, const T* d_out, T scale, T* dq, T* dk, T* dv,
                        index_t batch, index_t heads, index_t s, index_t t, index_t d,
                        Precision precision = Precision::fp32) {
  const bool bf16 = precision == Precision::bf16;
  std::vector<T> rq, rk, rv, rg;
  if (bf16) {
    detail::use_rounded_copy(q, batch * heads * s * d, rq);
    detail::use_rounded_copy(k, batch * heads * t * d, rk);
    detail::use_rounded_copy(v, batch * heads * t * d, rv);
    detail::use_rounded_copy(d_out, batch * heads * s * d, rg);
  }
  parallel_for(batch * heads, s * t * d, [&](index_t bh) {
    const T* p = probs + bh * s * t;
    const T* g = d_out + bh * s * d;
    const T* m = dropout_mask ? dropout_mask + bh * s * t : nullptr;
    std::vector<T> dp(static_cast<std::size_t>(s * t));
    // With A = P o M: dV = A^T dO ; dP = (dO V^T) o M ; dS = softmax'(dP) * scale ;
    // dQ = dS K ; dK = dS^T Q.
    if (m || bf16) {
      for (index_t i = 0; i < s * t; ++i) {
        const T value = m ? p[i] * m[i] : p[i];
        dp[static_cast<std::size_t>(i)] = bf16 ? round_to_bfloat16(value) : value;
      }
      gemm(dp.data(), true, g, false, dv + bh * t * d, t, d, s, T(1), T(0));
    } else {
      gemm(p, true, g, false, dv + bh * t * d, t, d, s, T(1), T(0));
    }
    gemm(g, false, v + bh * t * d, true, dp.data(), s, t, d, T(1), T(0));
    if (m)
      for (index_t i = 0; i < s * t; ++i) dp[static_cast<std::size_t>(i)] *= m[i];
    softmax_rows_backward(p, dp.data(), dp.data(), s, t);
    if (bf16) round_to_bfloat16(dp.data(), dp.data(), s * t);
    gemm(dp.data(), false, k + bh * t * d, false, dq + bh * s * d, s, d, t, scale, T(0));
    gemm(dp.data(), true, q + bh * s * d, false, dk + bh * t * d, t, d, s, scale, T(0));
  });
}

}  // namespace adaptrec::backend::cpu
