#pragma once
// What follows a GEMM y = x W^T in a fused linear layer, on the CPU:
//
//   y[r, c] = act(alpha * row_scale[r] * col_scale[c]
//                 * (acc[r, c] - row_zero_point[r] * col_offset[c]) + bias[c]) + residual[r, c]
//
// The scales, zero points and offsets only come in for int8 (the activation
// and weight scales, and the correction for inputs stored as q + zero point:
// col_offset is then the weight's row sums); any pointer may be null,
// meaning 1, 1, 1, 0, no bias and no residual.
#include <adaptrec/backend/cpu/elementwise.hpp>
#include <adaptrec/backend/cpu/parallel.hpp>

namespace adaptrec::backend {

// The user-facing part: what a layer asks to be fused after its GEMM.
template <class T>
struct Epilogue {
  T alpha = T(1);            // scales x W^T first
  const T* bias = nullptr;   // [n], added next
  Activation activation = Activation::identity;
  const T* residual = nullptr;  // [m, n], added last
};

namespace cpu {

// row = act(row + bias) + residual_row over n values; null means none.
template <class T>
void finish_row(T* row, index_t n, const T* bias, Activation activation, const T* residual_row) {
  if (bias)
    for (index_t c = 0; c < n; ++c) row[c] += bias[c];
  if (activation != Activation::identity) activation_forward(activation, row, row, n);
  if (residual_row)
    for (index_t c = 0; c < n; ++c) row[c] += residual_row[c];
}

template <class T>
void apply_epilogue(T* y, index_t m, index_t n, const Epilogue<T>& e, const T* row_scale = nullptr,
                    const T* col_scale = nullptr, const T* col_offset = nullptr,
                    const T* row_zero_point = nullptr) {
  const bool plain = e.alpha == T(1) && !row_scale && !col_scale && !col_offset;
  if (plain && !e.bias && e.activation == Activation::identity && !e.residual) return;
  parallel_for(m, 2 * n, [&](index_t r) {
    T* row = y + r * n;
    if (!plain) {
      const T s = e.alpha * (row_scale ? row_scale[r] : T(1));
      const T z = row_zero_point ? row_zero_point[r] : T(1);
      for (index_t c = 0; c < n; ++c)
        row[c] = s * (col_scale ? col_scale[c] : T(1)) *
                 (row[c] - (col_offset ? z * col_offset[c] : T(0)));
    }
    finish_row(row, n, e.bias, e.activation, e.residual ? e.residual + r * n : nullptr);
  });
}

}  // namespace cpu
}  // namespace adaptrec::backend
