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

// Where each (batch, head) block of q, k, v and their gradients lies: head h
// of entry b starts at b * batch_stride + h * head_stride, and its rows
// (tokens) are row_stride apart; each row holds the head's D values.
struct HeadLayout {
  index_t batch_stride = 0, head_stride = 0, row_stride = 0;

  index_t offset(index_t b, index_t h) const { return b * batch_stride + h * head_stride; }

  // [B, H, rows, D]: every head one dense block.
  static HeadLayout split(index_t heads, index_t rows, index_t d) {
    return {heads * rows * d, rows * d, d};
  }
  // [B, rows, H * D]: the projections' layout, the heads side by side in
  // each token's row (no copy into per-head blocks needed).
  static HeadLayout interleaved(index_t heads, index_t rows, index_t d) {
    return {rows * heads * d, d, heads * d};
  }
};

namespace detail {
// C = alpha op(A) op(B) on row-major blocks with leading dimensions.
template <class T>
void strided_gemm(const T* a, index_t lda, bool trans_a, const T* b, index_t ldb, bool trans_b,
                  T* c, index_t ldc, index_t m, index_t n, index_t k, T alpha) {
  GemmProblem<T> p;
  p.m = m, p.n = n, p.k = k;
  p.a = a, p.lda = lda, p.trans_a = trans_a;
  p.b = b, p.ldb = ldb, p.trans_b = trans_b;
  p.c = c, p.ldc = ldc;
  p.alpha = alpha, p.beta = T(0);
  cpu::gemm(p);
}

// Points x at a bfloat16-rounded copy of its n values, kept in `copy`.
template <class T>
void use_rounded_copy(const T*& x, index_t n, std::vector<T>& copy) {
  copy.resize(static_cast<std::size_t>(n));
  round_to_bfloat16(x, copy.data(), n);
  x = copy.data();
}
}  // namespace detail

// q: [B, H, S, D], k and v: [B, H, T, D] (or as q_layout and kv_layout
// place them; out follows q's), key_mask: [B, T] (nonzero keeps the
// key) or null, dropout_mask: [B, H, S, T] (0 or 1/(1-p)) or null. Writes
// out = (P o M) V: [B, H, S, D] and the probabilities before dropout,
// probs = P: [B, H, S, T], which backward needs. A query whose keys are all
// masked gets zero probabilities and a zero output.
template <class T>
void attention_forward(const T* q, const T* k, const T* v, const T* key_mask,
                       const T* dropout_mask, T scale, T* out, T* probs, index_t batch,
                       index_t heads, index_t s, index_t t, index_t d,
                       Precision precision = Precision::fp32,
                       HeadLayout q_layout = {}, HeadLayout kv_layout = {}) {
  if (q_layout.row_stride == 0) q_layout = HeadLayout::split(heads, s, d);
  if (kv_layout.row_stride == 0) kv_layout = HeadLayout::split(heads, t, d);
  const index_t ldq = q_layout.row_stride, ldk = kv_layout.row_stride;
  const bool bf16 = precision == Precision::bf16;
  std::vector<T> rq, rk, rv;
  if (bf16) {
    detail::use_rounded_copy(q, batch * heads * s * d, rq);
    detail::use_rounded_copy(k, batch * heads * t * d, rk);
    detail::use_rounded_copy(v, batch * heads * t * d, rv);
  }
  parallel_for(batch * heads, s * t * d, [&](index_t bh) {
    const index_t b = bh / heads, h = bh % heads;
    const index_t qo = q_layout.offset(b, h), ko = kv_layout.offset(b, h);
    thread_local std::vector<index_t> masked;  // the keys this batch entry masks
    T* p = probs + bh * s * t;
    detail::strided_gemm(q + qo, ldq, false, k + ko, ldk, true, p, t, s, t, d, scale);
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
      detail::strided_gemm(p, t, false, v + ko, ldk, false, out + qo, ldq, s, d, t, T(1));
      return;
    }
    const T* m = dropout_mask ? dropout_mask + bh * s * t : nullptr;
    std::vector<T> a(static_cast<std::size_t>(s * t));
    for (index_t i = 0; i < s * t; ++i) {
      const T value = m ? p[i] * m[i] : p[i];
      a[static_cast<std::size_t>(i)] = bf16 ? round_to_bfloat16(value) : value;
    }
    detail::strided_gemm(a.data(), t, false, v + ko, ldk, false, out + qo, ldq, s, d, t, T(1));
  });
}

// Gradients of attention_forward with respect to q, k and v (overwritten),
// from the saved probabilities and the same dropout mask (or null). d_out
// and dq follow q_layout, dk and dv kv_layout.
template <class T>
void attention_backward(const T* q, const T* k, const T* v, const T* probs,
                        const T* dropout_mask, const T* d_out, T scale, T* dq, T* dk, T* dv,
                        index_t batch, index_t heads, index_t s, index_t t, index_t d,
                        Precision precision = Precision::fp32,
                        HeadLayout q_layout = {}, HeadLayout kv_layout = {}) {
  if (q_layout.row_stride == 0) q_layout = HeadLayout::split(heads, s, d);
  if (kv_layout.row_stride == 0) kv_layout = HeadLayout::split(heads, t, d);
  const index_t ldq = q_layout.row_stride, ldk = kv_layout.row_stride;
  const bool bf16 = precision == Precision::bf16;
  std::vector<T> rq, rk, rv, rg;
  if (bf16) {
    detail::use_rounded_copy(q, batch * heads * s * d, rq);
    detail::use_rounded_copy(k, batch * heads * t * d, rk);
    detail::use_rounded_copy(v, batch * heads * t * d, rv);
    detail::use_rounded_copy(d_out, batch * heads * s * d, rg);
  }
  parallel_for(batch * heads, s * t * d, [&](index_t bh) {
    const index_t b = bh / heads, h = bh % heads;
    const index_t qo = q_layout.offset(b, h), ko = kv_layout.offset(b, h);
    const T* p = probs + bh * s * t;
    const T* g = d_out + qo;
    const T* m = dropout_mask ? dropout_mask + bh * s * t : nullptr;
    std::vector<T> dp(static_cast<std::size_t>(s * t));
    // With A = P o M: dV = A^T dO ; dP = (dO V^T) o M ; dS = softmax'(dP) * scale ;
    // dQ = dS K ; dK = dS^T Q.
    if (m || bf16) {
      for (index_t i = 0; i < s * t; ++i) {
        const T value = m ? p[i] * m[i] : p[i];
        dp[static_cast<std::size_t>(i)] = bf16 ? round_to_bfloat16(value) : value;
      }
      detail::strided_gemm(dp.data(), t, true, g, ldq, false, dv + ko, ldk, t, d, s, T(1));
    } else {
      detail::strided_gemm(p, t, true, g, ldq, false, dv + ko, ldk, t, d, s, T(1));
    }
    detail::strided_gemm(g, ldq, false, v + ko, ldk, true, dp.data(), t, s, t, d, T(1));
    if (m)
      for (index_t i = 0; i < s * t; ++i) dp[static_cast<std::size_t>(i)] *= m[i];
    softmax_rows_backward(p, dp.data(), dp.data(), s, t);
    if (bf16) round_to_bfloat16(dp.data(), dp.data(), s * t);
    detail::strided_gemm(dp.data(), t, false, k + ko, ldk, false, dq + qo, ldq, s, d, t, scale);
    detail::strided_gemm(dp.data(), t, true, q + qo, ldq, false, dk + ko, ldk, t, d, s, scale);
  });
}

}  // namespace adaptrec::backend::cpu
