#pragma once
// One GEMM call in full, as cuBLAS's strided-batched GEMM sees it, plus the
// epilogue fused after it and the precision it multiplies in:
//
//   C[i] = act(alpha * op(A[i]) op(B[i]) + beta * C[i] + bias) + R[i],  i < batch
//
// on row-major matrices with leading dimensions (row strides, in elements)
// and batch strides. A batch stride of 0 for A, B or R reuses one matrix for
// every batch entry. op(A) is m x k: A is stored m x k, or k x m when
// trans_a; likewise op(B) is k x n. With beta == 0, C is only written.
//
// In bf16, A and B are rounded to bfloat16 and the products summed in
// float32; bias, residual and C stay in their own precision. Int8 needs a
// quantized weight, so it goes through packed_linear (backend/ops.hpp).
#include <adaptrec/backend/cpu/elementwise.hpp>
#include <adaptrec/backend/precision.hpp>
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/shape.hpp>

#include <string>

namespace adaptrec::backend {

template <class T>
struct GemmProblem {
  index_t m = 0, n = 0, k = 0, batch = 1;
  const T* a = nullptr;
  index_t lda = 0, stride_a = 0;
  bool trans_a = false;
  const T* b = nullptr;
  index_t ldb = 0, stride_b = 0;
  bool trans_b = false;
  T* c = nullptr;
  index_t ldc = 0, stride_c = 0;
  T alpha = T(1), beta = T(0);
  const T* bias = nullptr;  // [n]
  Activation activation = Activation::identity;
  const T* residual = nullptr;  // m x n with row stride ldr
  index_t ldr = 0, stride_r = 0;
  Precision precision = Precision::fp32;

  // Rows and columns of A and B as stored.
  index_t a_rows() const { return trans_a ? k : m; }
  index_t a_cols() const { return trans_a ? m : k; }
  index_t b_rows() const { return trans_b ? n : k; }
  index_t b_cols() const { return trans_b ? k : n; }
  bool has_epilogue() const {
    return bias || activation != Activation::identity || residual;
  }

  // Dense, equally spaced matrices: leading dimensions are the stored
  // column counts, batch strides the matrix sizes.
  static GemmProblem dense(const T* a, bool trans_a, const T* b, bool trans_b, T* c, index_t m,
                           index_t n, index_t k, index_t batch = 1) {
    GemmProblem p;
    p.m = m, p.n = n, p.k = k, p.batch = batch;
    p.a = a, p.trans_a = trans_a, p.lda = trans_a ? m : k, p.stride_a = m * k;
    p.b = b, p.trans_b = trans_b, p.ldb = trans_b ? k : n, p.stride_b = k * n;
    p.c = c, p.ldc = n, p.stride_c = m * n;
    p.ldr = n, p.stride_r = m * n;
    return p;
  }
};

// Throws invalid_argument naming the first field that does not describe
// valid memory (a leading dimension below the row length, overlapping
// outputs, a missing pointer) or an unsupported precision.
template <class T>
void validate(const GemmProblem<T>& p, const std::string& op) {
  const auto fail = [&](const std::string& what) {
    throw invalid_argument(op + ": " + what + " (m=" + std::to_string(p.m) + " n=" +
                           std::to_string(p.n) + " k=" + std::to_string(p.k) + " batch=" +
                           std::to_string(p.batch) + ")");
  };
  if (p.m < 0 || p.n < 0 || p.k < 0 || p.batch < 0) fail("negative size");
  if (p.precision == Precision::int8)
    fail("int8 GEMMs need a quantized weight; use packed_linear with a PackedWeight");
  const auto check_matrix = [&](const char* name, const void* data, index_t rows, index_t cols,
                                index_t ld, index_t stride, bool output) {
    if (rows == 0 || cols == 0 || p.batch == 0) return;
    if (!data) fail(std::string(name) + " is null");
    if (ld < cols)
      fail(std::string("ld") + name + "=" + std::to_string(ld) + " is below its row length " +
           std::to_string(cols));
    const index_t extent = (rows - 1) * ld + cols;
    if (stride < 0 || (output && p.batch > 1 && stride < extent))
      fail(std::string("stride_") + name + "=" + std::to_string(stride) +
           (output ? " makes batch entries overlap (each spans " + std::to_string(extent) + ")"
                   : " is negative"));
  };
  const index_t inner = p.k;  // A and B are read only when k > 0
  if (inner > 0) {
    check_matrix("a", p.a, p.a_rows(), p.a_cols(), p.lda, p.stride_a, false);
    check_matrix("b", p.b, p.b_rows(), p.b_cols(), p.ldb, p.stride_b, false);
  }
  check_matrix("c", p.c, p.m, p.n, p.ldc, p.stride_c, true);
  if (p.residual) check_matrix("r", p.residual, p.m, p.n, p.ldr, p.stride_r, false);
}

}  // namespace adaptrec::backend
