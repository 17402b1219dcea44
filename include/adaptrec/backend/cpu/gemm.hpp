#pragma once
// GEMM on the CPU: a GemmProblem (backend/gemm_problem.hpp), strided,
// batched, with its epilogue, in float32 or bf16, and the dense raw-pointer
// calls the kernels inside the backend use.
//
// Eigen is the reference path (float and double). The oneDNN path
// (onednn/strided_gemm.hpp) takes float problems when it is selected. bf16
// without a native kernel rounds A and B to bfloat16 once, into dense copies,
// and runs the float32 path on them: the same numbers a bf16 kernel
// multiplies, summed in float32.
#include <adaptrec/backend/cpu/dense_copy.hpp>
#include <adaptrec/backend/cpu/epilogue.hpp>
#include <adaptrec/backend/cpu/parallel.hpp>
#include <adaptrec/backend/cpu_backend.hpp>
#include <adaptrec/backend/gemm_problem.hpp>
#include <adaptrec/backend/quantize.hpp>
#include <adaptrec/core/tensor.hpp>

#include <type_traits>
#include <vector>

#if ADAPTREC_WITH_ONEDNN
#include <adaptrec/backend/onednn/strided_gemm.hpp>
#endif

namespace adaptrec::backend::cpu {

// One batch entry on Eigen; precision is not looked at (the caller rounds).
template <class T>
void eigen_gemm_entry(const GemmProblem<T>& p, index_t i) {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Stride = Eigen::OuterStride<>;
  T* c = p.c + i * p.stride_c;
  Eigen::Map<Mat, 0, Stride> C(c, p.m, p.n, Stride(p.ldc));
  if (p.k == 0) {
    if (p.beta == T(0))
      C.setZero();
    else
      C *= p.beta;
  } else {
    Eigen::Map<const Mat, 0, Stride> A(p.a + i * p.stride_a, p.a_rows(), p.a_cols(), Stride(p.lda));
    Eigen::Map<const Mat, 0, Stride> B(p.b + i * p.stride_b, p.b_rows(), p.b_cols(), Stride(p.ldb));
    const auto product = [&](auto&& target, auto&& op_a, auto&& op_b) {
      if (p.beta == T(0)) {  // C may hold garbage: write it without reading
        target.noalias() = p.alpha * op_a * op_b;
        return;
      }
      if (p.beta != T(1)) target *= p.beta;
      target.noalias() += p.alpha * op_a * op_b;
    };
    if (!p.trans_a && !p.trans_b) product(C, A, B);
    else if (!p.trans_a) product(C, A, B.transpose());
    else if (!p.trans_b) product(C, A.transpose(), B);
    else product(C, A.transpose(), B.transpose());
  }
  if (p.has_epilogue())
    for (index_t r = 0; r < p.m; ++r)
      finish_row(c + r * p.ldc, p.n, p.bias, p.activation,
                 p.residual ? p.residual + i * p.stride_r + r * p.ldr : nullptr);
}

// Large batches of small matrices are split across threads; each entry then
// runs single-threaded (Eigen does not nest inside an OpenMP region).
template <class T>
void eigen_gemm(const GemmProblem<T>& p) {
  if (p.batch == 1)
    eigen_gemm_entry(p, 0);
  else
    parallel_for(p.batch, p.m * p.n * (p.k + 1), [&](index_t i) { eigen_gemm_entry(p, i); });
}

// The float32 problem over A and B rounded to bfloat16; the copies live in
// the two buffers.
template <class T>
GemmProblem<T> rounded_to_bfloat16(const GemmProblem<T>& p, std::vector<T>& a, std::vector<T>& b) {
  const auto round = [](T v) { return round_to_bfloat16(v); };
  GemmProblem<T> q = p;
  q.precision = Precision::fp32;
  if (p.k == 0) return q;
  a = dense_copy<T>(p.a, p.a_rows(), p.a_cols(), p.lda, p.batch, p.stride_a, round);
  b = dense_copy<T>(p.b, p.b_rows(), p.b_cols(), p.ldb, p.batch, p.stride_b, round);
  q.a = a.data(), q.lda = p.a_cols(), q.stride_a = p.stride_a == 0 ? 0 : p.m * p.k;
  q.b = b.data(), q.ldb = p.b_cols(), q.stride_b = p.stride_b == 0 ? 0 : p.k * p.n;
  return q;
}

// The problem on the selected CPU backend. Sizes and strides are assumed
// valid (backend::validate).
template <class T>
void gemm(const GemmProblem<T>& p) {
  if (p.m == 0 || p.n == 0 || p.batch == 0) return;
  if (p.precision == Precision::bf16) {
#if ADAPTREC_WITH_ONEDNN
    if constexpr (std::is_same_v<T, float>)
      if (cpu_backend() == CpuBackend::onednn && onednn::bf16_gemm(p)) return;
#endif
    std::vector<T> a, b;
    cpu::gemm(rounded_to_bfloat16(p, a, b));
    return;
  }
#if ADAPTREC_WITH_ONEDNN
  if constexpr (std::is_same_v<T, float>)
    if (cpu_backend() == CpuBackend::onednn) {
      onednn::gemm(p);
      return;
    }
#endif
  eigen_gemm(p);
}

// C = alpha * op(A) * op(B) + beta * C, dense row-major, on Eigen.
template <class T>
void eigen_gemm(const T* a, bool trans_a, const T* b, bool trans_b, T* c, index_t m, index_t n,
                index_t k, T alpha, T beta) {
  auto p = GemmProblem<T>::dense(a, trans_a, b, trans_b, c, m, n, k);
  p.alpha = alpha, p.beta = beta;
  if (m > 0 && n > 0) eigen_gemm_entry(p, 0);
}

// The same on the selected CPU backend, in float32.
template <class T>
void gemm(const T* a, bool trans_a, const T* b, bool trans_b, T* c, index_t m, index_t n, index_t k,
          T alpha, T beta) {
  auto p = GemmProblem<T>::dense(a, trans_a, b, trans_b, c, m, n, k);
  p.alpha = alpha, p.beta = beta;
  cpu::gemm(p);
}

// Independent GEMMs over a batch of dense, equally strided matrices.
template <class T>
void batched_gemm(const T* a, bool trans_a, const T* b, bool trans_b, T* c, index_t batch,
                  index_t m, index_t n, index_t k, T alpha, T beta) {
  auto p = GemmProblem<T>::dense(a, trans_a, b, trans_b, c, m, n, k, batch);
  p.alpha = alpha, p.beta = beta;
  cpu::gemm(p);
}

}  // namespace adaptrec::backend::cpu
