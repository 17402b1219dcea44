#pragma once
// GEMM on the CPU: Eigen (multithreaded with OpenMP inside Eigen), or
// oneDNN for float32 when it is built and selected (backend/cpu_backend.hpp).
#include <adaptrec/backend/cpu/parallel.hpp>
#include <adaptrec/backend/cpu_backend.hpp>
#include <adaptrec/core/tensor.hpp>
#include <type_traits>

namespace adaptrec::backend::cpu {

// C = alpha * op(A) * op(B) + beta * C, raw row-major pointers, on Eigen.
template <class T>
void eigen_gemm(const T* a, bool trans_a, const T* b, bool trans_b, T* c, index_t m, index_t n,
                index_t k, T alpha, T beta) {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using ConstMap = Eigen::Map<const Mat>;
  Eigen::Map<Mat> C(c, m, n);
  // op(A) is m x k; stored as k x m when transposed.
  ConstMap A(a, trans_a ? k : m, trans_a ? m : k);
  ConstMap B(b, trans_b ? n : k, trans_b ? k : n);
  // beta == 0 must overwrite C without reading it (it may hold NaN garbage),
  // and assigning the product directly saves a pass over C.
  if (beta == T(0)) {
    if (!trans_a && !trans_b)
      C.noalias() = alpha * A * B;
    else if (!trans_a && trans_b)
      C.noalias() = alpha * A * B.transpose();
    else if (trans_a && !trans_b)
      C.noalias() = alpha * A.transpose() * B;
    else
      C.noalias() = alpha * A.transpose() * B.transpose();
    return;
  }
  if (beta != T(1)) C *= beta;
  if (!trans_a && !trans_b)
    C.noalias() += alpha * A * B;
  else if (!trans_a && trans_b)
    C.noalias() += alpha * A * B.transpose();
  else if (trans_a && !trans_b)
    C.noalias() += alpha * A.transpose() * B;
  else
    C.noalias() += alpha * A.transpose() * B.transpose();
}

// The same on the selected CPU backend.
template <class T>
void gemm(const T* a, bool trans_a, const T* b, bool trans_b, T* c, index_t m, index_t n, index_t k,
          T alpha, T beta) {
#if ADAPTREC_WITH_ONEDNN
  if constexpr (std::is_same_v<T, float>) {
    if (cpu_backend() == CpuBackend::onednn) {
      onednn::sgemm(a, trans_a, b, trans_b, c, m, n, k, alpha, beta);
      return;
    }
  }
#endif
  eigen_gemm(a, trans_a, b, trans_b, c, m, n, k, alpha, beta);
}

// Independent GEMMs over a batch of equally strided matrices. Large batches of
// small matrices are split across threads (each GEMM then runs single-threaded:
// neither Eigen nor oneDNN nests inside an OpenMP region).
template <class T>
void batched_gemm(const T* a, bool trans_a, const T* b, bool trans_b, T* c, index_t batch,
                  index_t m, index_t n, index_t k, T alpha, T beta) {
  const index_t sa = m * k, sb = k * n, sc = m * n;
  if (batch == 1) {
    gemm(a, trans_a, b, trans_b, c, m, n, k, alpha, beta);
    return;
  }
  parallel_for(batch, m * n * k, [&](index_t i) {
    gemm(a + i * sa, trans_a, b + i * sb, trans_b, c + i * sc, m, n, k, alpha, beta);
  });
}

}  // namespace adaptrec::backend::cpu
