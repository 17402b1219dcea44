#pragma once
// The backend interface: the only door through which modules reach heavy math.
//
// Each operation checks shapes (throwing shape_error with the shapes), then
// dispatches on the tensors' device. The CPU implementation is Eigen
// (backend/cpu/); the CUDA one (backend/cuda/) is added beside it.
#include <adaptrec/backend/cpu/attention.hpp>
#include <adaptrec/backend/cpu/concat.hpp>
#include <adaptrec/backend/cpu/elementwise.hpp>
#include <adaptrec/backend/cpu/embedding.hpp>
#include <adaptrec/backend/cpu/gemm.hpp>
#include <adaptrec/backend/cpu/heads.hpp>
#include <adaptrec/backend/cpu/layer_norm.hpp>
#include <adaptrec/backend/cpu/normalize.hpp>
#include <adaptrec/backend/cpu/packed_linear.hpp>
#include <adaptrec/backend/cpu/softmax.hpp>
#include <adaptrec/backend/compute_precision.hpp>
#include <adaptrec/backend/gemm_problem.hpp>
#include <adaptrec/backend/packed_weight.hpp>
#include <adaptrec/core/tensor.hpp>
#if ADAPTREC_WITH_ONEDNN
#include <adaptrec/backend/onednn/eltwise.hpp>
#include <adaptrec/backend/onednn/matmul.hpp>
#endif

#include <optional>
#include <string>
#include <vector>

namespace adaptrec::backend {

enum class Trans { no, yes };

namespace detail {

template <class T, class... Rest>
void require_cpu(const char* op, const Tensor<T>& first, const Rest&... rest) {
  const bool all_cpu = first.device().is_cpu() && (rest.device().is_cpu() && ...);
  if (!all_cpu)
    throw error(std::string("adaptrec::backend::") + op +
                ": tensors are not on the CPU and this build has no CUDA kernel for it");
}

inline std::string shapes(const char* op, std::initializer_list<Shape> list) {
  std::string s = std::string("adaptrec::backend::") + op + ": incompatible shapes";
  for (const Shape& sh : list) s += " " + sh.to_string();
  return s;
}

// Throws index_error naming the first id outside [0, rows of a [rows, cols] table).
inline void require_row_ids(const char* op, const Tensor<index_t>& ids, const Shape& table) {
  const index_t rows = table[0];
  for (index_t i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || ids[i] >= rows)
      throw index_error(std::string("adaptrec::backend::") + op + ": id " +
                        std::to_string(ids[i]) + " at position " + std::to_string(i) +
                        " is outside [0, " + std::to_string(rows) + ") for a table of shape " +
                        table.to_string());
}

}  // namespace detail

// What a GEMM on tensors fuses after its product, and the precision it
// multiplies in: C = activation(alpha op(A) op(B) + beta C + bias) + residual.
template <class T>
struct GemmOptions {
  T alpha = T(1);
  T beta = T(0);
  const Tensor<T>* bias = nullptr;  // [n]
  Activation activation = Activation::identity;
  const Tensor<T>* residual = nullptr;  // shaped like C
  // fp32 or bf16; unset: this thread's compute_precision() (fp32 unless a
  // ComputePrecisionScope says otherwise).
  std::optional<Precision> precision = std::nullopt;
};

namespace detail {

template <class T>
void fill_epilogue(GemmProblem<T>& p, const GemmOptions<T>& o, const Tensor<T>& c, const char* op) {
  p.alpha = o.alpha, p.beta = o.beta, p.activation = o.activation;
  p.precision = o.precision.value_or(compute_precision());
  if (o.bias) {
    if (o.bias->size() != p.n)
      throw shape_error(shapes(op, {o.bias->shape(), c.shape()}) + ": the bias must have " +
                        std::to_string(p.n) + " elements, one per column of C");
    require_cpu(op, *o.bias);
    p.bias = o.bias->data();
  }
  if (o.residual) {
    if (!(o.residual->shape() == c.shape()))
      throw shape_error(shapes(op, {o.residual->shape(), c.shape()}) +
                        ": the residual must be shaped like C");
    require_cpu(op, *o.residual);
    p.residual = o.residual->data();
  }
  validate(p, std::string("adaptrec::backend::") + op);
}

}  // namespace detail

// C = epilogue(op(A) op(B)), each tensor seen as a matrix whose rows are all
// its leading dimensions (so a [batch, seq, hidden] activation times a
// [out, hidden] weight works directly). C must already have its final shape.
template <class T>
void gemm(const Tensor<T>& a, Trans ta, const Tensor<T>& b, Trans tb, Tensor<T>& c,
          const GemmOptions<T>& options) {
  const bool trans_a = ta == Trans::yes, trans_b = tb == Trans::yes;
  const index_t m = trans_a ? a.cols() : a.rows();
  const index_t k = trans_a ? a.rows() : a.cols();
  const index_t kb = trans_b ? b.cols() : b.rows();
  const index_t n = trans_b ? b.rows() : b.cols();
  if (k != kb || c.rows() != m || c.cols() != n)
    throw shape_error(detail::shapes("gemm", {a.shape(), b.shape(), c.shape()}) +
                      (trans_a ? " (A transposed)" : "") + (trans_b ? " (B transposed)" : ""));
  detail::require_cpu("gemm", a, b, c);
  auto p = GemmProblem<T>::dense(a.data(), trans_a, b.data(), trans_b, c.data(), m, n, k);
  detail::fill_epilogue(p, options, c, "gemm");
  cpu::gemm(p);
}

// C = alpha * op(A) * op(B) + beta * C.
template <class T>
void gemm(const Tensor<T>& a, Trans ta, const Tensor<T>& b, Trans tb, Tensor<T>& c,
          T alpha = T(1), T beta = T(0)) {
  gemm(a, ta, b, tb, c, GemmOptions<T>{.alpha = alpha, .beta = beta});
}

// Batched GEMM over the first dimension of rank-3 tensors: C[i] =
// epilogue(op(A[i]) op(B[i])), the bias shared, the residual per entry.
template <class T>
void batched_gemm(const Tensor<T>& a, Trans ta, const Tensor<T>& b, Trans tb, Tensor<T>& c,
                  const GemmOptions<T>& options) {
  if (a.rank() != 3 || b.rank() != 3 || c.rank() != 3 || a.dim(0) != b.dim(0) ||
      a.dim(0) != c.dim(0))
    throw shape_error(detail::shapes("batched_gemm", {a.shape(), b.shape(), c.shape()}));
  const bool trans_a = ta == Trans::yes, trans_b = tb == Trans::yes;
  const index_t m = trans_a ? a.dim(2) : a.dim(1), k = trans_a ? a.dim(1) : a.dim(2);
  const index_t kb = trans_b ? b.dim(2) : b.dim(1), n = trans_b ? b.dim(1) : b.dim(2);
  if (k != kb || c.dim(1) != m || c.dim(2) != n)
    throw shape_error(detail::shapes("batched_gemm", {a.shape(), b.shape(), c.shape()}));
  detail::require_cpu("batched_gemm", a, b, c);
  auto p = GemmProblem<T>::dense(a.data(), trans_a, b.data(), trans_b, c.data(), m, n, k, a.dim(0));
  detail::fill_epilogue(p, options, c, "batched_gemm");
  cpu::gemm(p);
}

template <class T>
void batched_gemm(const Tensor<T>& a, Trans ta, const Tensor<T>& b, Trans tb, Tensor<T>& c,
                  T alpha = T(1), T beta = T(0)) {
  batched_gemm(a, ta, b, tb, c, GemmOptions<T>{.alpha = alpha, .beta = beta});
}

// The general form on raw CPU memory: strided and batched matrices, the
// epilogue and the precision as the problem states them (its precision is
// used as given, not the thread's compute precision). Throws
// invalid_argument naming the field that does not describe valid memory.
template <class T>
void gemm(const GemmProblem<T>& problem) {
  validate(problem, "adaptrec::backend::gemm");
  cpu::gemm(problem);
}

// What packed_linear fuses after its GEMM, in this order:
// y = activation(alpha * x W^T + bias) + residual.
template <class T>
struct LinearEpilogue {
  T alpha = T(1);
  const Tensor<T>* bias = nullptr;      // [out]
  Activation activation = Activation::identity;
  const Tensor<T>* residual = nullptr;  // shaped like y
};

// y = epilogue(x W^T) with W packed in its precision (fp32, bf16 or int8),
// x [..., in] and y [..., out]. Runs on oneDNN when it is selected and has a
// kernel for the case, otherwise on Eigen over the same rounded or
// quantized numbers. y is only written.
template <class T>
void packed_linear(const Tensor<T>& x, const PackedWeight<T>& w, Tensor<T>& y,
                   const LinearEpilogue<T>& e = {}) {
  if (w.empty()) throw invalid_argument("adaptrec::backend::packed_linear: the weight is not packed");
  if (x.rank() < 1 || x.cols() != w.in_features() || y.rows() != x.rows() ||
      y.cols() != w.out_features())
    throw shape_error(detail::shapes("packed_linear", {x.shape(), Shape{w.out_features(), w.in_features()}, y.shape()}) +
                      " (" + w.name() + ")");
  if (e.bias && e.bias->size() != w.out_features())
    throw shape_error(detail::shapes("packed_linear", {e.bias->shape()}) + ": bias of " + w.name() +
                      " must have " + std::to_string(w.out_features()) + " elements");
  if (e.residual && !(e.residual->shape() == y.shape()))
    throw shape_error(detail::shapes("packed_linear", {e.residual->shape(), y.shape()}) +
                      ": the residual must be shaped like the output (" + w.name() + ")");
  detail::require_cpu("packed_linear", x, y);
  const Epilogue<T> raw{e.alpha, e.bias ? e.bias->data() : nullptr, e.activation,
                        e.residual ? e.residual->data() : nullptr};
#if ADAPTREC_WITH_ONEDNN
  if constexpr (std::is_same_v<T, float>)
    if (cpu_backend() == CpuBackend::onednn &&
        onednn::packed_linear(x.data(), x.rows(), w, y.data(), raw))
      return;
#endif
  cpu::eigen_packed_linear(x.data(), x.rows(), w, y.data(), raw);
}

template <class T>
void activation_forward(Activation act, const Tensor<T>& x, Tensor<T>& y) {
  if (!(x.shape() == y.shape()))
    throw shape_error(detail::shapes("activation_forward", {x.shape(), y.shape()}));
  detail::require_cpu("activation_forward", x, y);
#if ADAPTREC_WITH_ONEDNN
  if constexpr (std::is_same_v<T, float>)
    if (cpu_backend() == CpuBackend::onednn &&
        onednn::activation_forward(act, x.data(), y.data(), x.size()))
      return;
#endif
  cpu::activation_forward(act, x.data(), y.data(), x.size());
}

template <class T>
void activation_backward(Activation act, const Tensor<T>& x, const Tensor<T>& y,
                         const Tensor<T>& dy, Tensor<T>& dx) {
  if (!(x.shape() == y.shape() && x.shape() == dy.shape() && x.shape() == dx.shape()))
    throw shape_error(detail::shapes("activation_backward", {x.shape(), dy.shape(), dx.shape()}));
  detail::require_cpu("activation_backward", x, y, dy, dx);
#if ADAPTREC_WITH_ONEDNN
  if constexpr (std::is_same_v<T, float>)
    if (cpu_backend() == CpuBackend::onednn &&
        onednn::activation_backward(act, x.data(), dy.data(), dx.data(), x.size()))
      return;
#endif
  cpu::activation_backward(act, x.data(), y.data(), dy.data(), dx.data(), x.size());
}

// y[row, :] += bias
template <class T>
void add_row_vector(Tensor<T>& y, const Tensor<T>& bias) {
  if (bias.size() != y.cols())
    throw shape_error(detail::shapes("add_row_vector", {y.shape(), bias.shape()}));
  detail::require_cpu("add_row_vector", y, bias);
  cpu::add_row_vector(y.data(), bias.data(), y.rows(), y.cols());
}

// out += column sums of x (x seen as a matrix).
template <class T>
void accumulate_column_sums(const Tensor<T>& x, Tensor<T>& out) {
  if (out.size() != x.cols())
    throw shape_error(detail::shapes("accumulate_column_sums", {x.shape(), out.shape()}));
  detail::require_cpu("accumulate_column_sums", x, out);
  cpu::accumulate_column_sums(x.data(), out.data(), x.rows(), x.cols());
}

// y += alpha * x
template <class T>
void axpy(T alpha, const Tensor<T>& x, Tensor<T>& y) {
  if (x.size() != y.size()) throw shape_error(detail::shapes("axpy", {x.shape(), y.shape()}));
  detail::require_cpu("axpy", x, y);
  cpu::axpy(alpha, x.data(), y.data(), x.size());
}

template <class T>
void scale(Tensor<T>& x, T alpha) {
  detail::require_cpu("scale", x);
  cpu::scale(x.data(), alpha, x.size());
}

// out = a * b, element-wise.
template <class T>
void multiply(const Tensor<T>& a, const Tensor<T>& b, Tensor<T>& out) {
  if (a.size() != b.size() || a.size() != out.size())
    throw shape_error(detail::shapes("multiply", {a.shape(), b.shape(), out.shape()}));
  detail::require_cpu("multiply", a, b, out);
  cpu::multiply(a.data(), b.data(), out.data(), a.size());
}

// Softmax over the last dimension.
template <class T>
void softmax(const Tensor<T>& x, Tensor<T>& y) {
  if (!(x.shape() == y.shape()))
    throw shape_error(detail::shapes("softmax", {x.shape(), y.shape()}));
  detail::require_cpu("softmax", x, y);
  cpu::softmax_rows(x.data(), y.data(), x.rows(), x.cols());
}

template <class T>
void log_softmax(const Tensor<T>& x, Tensor<T>& y) {
  if (!(x.shape() == y.shape()))
    throw shape_error(detail::shapes("log_softmax", {x.shape(), y.shape()}));
  detail::require_cpu("log_softmax", x, y);
  cpu::log_softmax_rows(x.data(), y.data(), x.rows(), x.cols());
}

template <class T>
void softmax_backward(const Tensor<T>& y, const Tensor<T>& dy, Tensor<T>& dx) {
  if (!(y.shape() == dy.shape() && y.shape() == dx.shape()))
    throw shape_error(detail::shapes("softmax_backward", {y.shape(), dy.shape(), dx.shape()}));
  detail::require_cpu("softmax_backward", y, dy, dx);
  cpu::softmax_rows_backward(y.data(), dy.data(), dx.data(), y.rows(), y.cols());
}

// Layer norm over the last dimension; mean and rstd get one entry per row.
template <class T>
void layer_norm_forward(const Tensor<T>& x, const Tensor<T>& gamma, const Tensor<T>& beta, T eps,
                        Tensor<T>& y, Tensor<T>& mean, Tensor<T>& rstd) {
  if (gamma.size() != x.cols() || beta.size() != x.cols() || !(y.shape() == x.shape()) ||
      mean.size() != x.rows() || rstd.size() != x.rows())
    throw shape_error(detail::shapes("layer_norm_forward", {x.shape(), gamma.shape(), y.shape()}));
  detail::require_cpu("layer_norm_forward", x, gamma, beta, y, mean, rstd);
  cpu::layer_norm_forward(x.data(), gamma.data(), beta.data(), eps, y.data(), mean.data(),
                          rstd.data(), x.rows(), x.cols());
}

template <class T>
void layer_norm_backward(const Tensor<T>& x, const Tensor<T>& gamma, const Tensor<T>& mean,
                         const Tensor<T>& rstd, const Tensor<T>& dy, Tensor<T>& dx,
                         Tensor<T>& dgamma, Tensor<T>& dbeta) {
  if (!(dy.shape() == x.shape()) || !(dx.shape() == x.shape()) || gamma.size() != x.cols() ||
      dgamma.size() != x.cols() || dbeta.size() != x.cols() || mean.size() != x.rows() ||
      rstd.size() != x.rows())
    throw shape_error(detail::shapes("layer_norm_backward",
                                     {x.shape(), gamma.shape(), dy.shape(), dx.shape()}));
  detail::require_cpu("layer_norm_backward", x, gamma, mean, rstd, dy, dx, dgamma, dbeta);
  cpu::layer_norm_backward(x.data(), gamma.data(), mean.data(), rstd.data(), dy.data(), dx.data(),
                           dgamma.data(), dbeta.data(), x.rows(), x.cols());
}

// out[i, :] = table[ids[i], :]; throws index_error naming the first bad id.
template <class T>
void gather_rows(const Tensor<T>& table, const Tensor<index_t>& ids, Tensor<T>& out) {
  require_rank(table, 2, "adaptrec::backend::gather_rows (table)");
  if (out.rows() != ids.size() || out.cols() != table.cols())
    throw shape_error(detail::shapes("gather_rows", {table.shape(), ids.shape(), out.shape()}));
  detail::require_cpu("gather_rows", table, out);
  detail::require_row_ids("gather_rows", ids, table.shape());
  cpu::gather_rows(table.data(), ids.data(), out.data(), ids.size(), table.cols());
}

// grad[ids[i], :] += dy[i, :]; throws index_error naming the first bad id.
template <class T>
void scatter_add_rows(const Tensor<T>& dy, const Tensor<index_t>& ids, Tensor<T>& grad) {
  require_rank(grad, 2, "adaptrec::backend::scatter_add_rows (grad)");
  if (dy.rows() != ids.size() || dy.cols() != grad.cols())
    throw shape_error(detail::shapes("scatter_add_rows", {dy.shape(), ids.shape(), grad.shape()}));
  detail::require_cpu("scatter_add_rows", dy, grad);
  detail::require_row_ids("scatter_add_rows", ids, grad.shape());
  cpu::scatter_add_rows(dy.data(), ids.data(), grad.data(), ids.size(), grad.cols());
}

// Scaled dot-product attention. q: [B, H, S, D]; k, v: [B, H, T, D];
// key_mask: [B, T] with nonzero = attend, or an empty tensor for no mask;
// dropout_mask: [B, H, S, T] with entries 0 or 1/(1-p) applied to the
// probabilities, or an empty tensor for none. Writes out = (P o M) V
// [B, H, S, D] and probs = P [B, H, S, T] (before dropout, kept for backward).
// The products run in this thread's compute_precision().
template <class T>
void attention_forward(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v,
                       const Tensor<T>& key_mask, const Tensor<T>& dropout_mask, T scale,
                       Tensor<T>& out, Tensor<T>& probs) {
  if (q.rank() != 4 || k.rank() != 4 || !(k.shape() == v.shape()) || q.dim(0) != k.dim(0) ||
      q.dim(1) != k.dim(1) || q.dim(3) != k.dim(3) || !(out.shape() == q.shape()) ||
      !(probs.shape() == Shape{q.dim(0), q.dim(1), q.dim(2), k.dim(2)}) ||
      (!key_mask.empty() && !(key_mask.shape() == Shape{k.dim(0), k.dim(2)})) ||
      (!dropout_mask.empty() && !(dropout_mask.shape() == probs.shape())))
    throw shape_error(detail::shapes("attention_forward", {q.shape(), k.shape(), v.shape(),
                                                           key_mask.shape(),
                                                           dropout_mask.shape()}));
  detail::require_cpu("attention_forward", q, k, v, out, probs);
  cpu::attention_forward(q.data(), k.data(), v.data(), key_mask.empty() ? nullptr : key_mask.data(),
                         dropout_mask.empty() ? nullptr : dropout_mask.data(), scale, out.data(),
                         probs.data(), q.dim(0), q.dim(1), q.dim(2), k.dim(2), q.dim(3),
                         compute_precision());
}

template <class T>
void attention_forward(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v,
                       const Tensor<T>& key_mask, T scale, Tensor<T>& out, Tensor<T>& probs) {
  attention_forward(q, k, v, key_mask, Tensor<T>{}, scale, out, probs);
}

// Gradients of attention_forward (overwriting dq, dk, dv), given its probs and
// the same dropout_mask (empty for none).
template <class T>
void attention_backward(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v,
                        const Tensor<T>& probs, const Tensor<T>& dropout_mask,
                        const Tensor<T>& d_out, T scale, Tensor<T>& dq, Tensor<T>& dk,
                        Tensor<T>& dv) {
  if (q.rank() != 4 || k.rank() != 4 || !(k.shape() == v.shape()) || q.dim(0) != k.dim(0) ||
      q.dim(1) != k.dim(1) || q.dim(3) != k.dim(3) || !(d_out.shape() == q.shape()) ||
      !(dq.shape() == q.shape()) || !(dk.shape() == k.shape()) || !(dv.shape() == v.shape()) ||
      !(probs.shape() == Shape{q.dim(0), q.dim(1), q.dim(2), k.dim(2)}) ||
      (!dropout_mask.empty() && !(dropout_mask.shape() == probs.shape())))
    throw shape_error(detail::shapes("attention_backward",
                                     {q.shape(), k.shape(), v.shape(), probs.shape(),
                                      dropout_mask.shape(), d_out.shape()}));
  detail::require_cpu("attention_backward", q, k, v, probs, d_out, dq, dk, dv);
  cpu::attention_backward(q.data(), k.data(), v.data(), probs.data(),
                          dropout_mask.empty() ? nullptr : dropout_mask.data(), d_out.data(),
                          scale, dq.data(), dk.data(), dv.data(), q.dim(0), q.dim(1), q.dim(2),
                          k.dim(2), q.dim(3), compute_precision());
}

template <class T>
void attention_backward(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v,
                        const Tensor<T>& probs, const Tensor<T>& d_out, T scale, Tensor<T>& dq,
                        Tensor<T>& dk, Tensor<T>& dv) {
  attention_backward(q, k, v, probs, Tensor<T>{}, d_out, scale, dq, dk, dv);
}

// attention_forward and attention_backward on the projections' layout, the
// heads side by side in each token's row: q, out, d_out, dq: [B, S, H * D];
// k, v, dk, dv: [B, T, H * D]; probs and dropout_mask stay [B, H, S, T].
// Multi-head attention needs no copies into and out of per-head blocks.
template <class T>
void multi_head_attention_forward(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v,
                                  index_t heads, const Tensor<T>& key_mask,
                                  const Tensor<T>& dropout_mask, T scale, Tensor<T>& out,
                                  Tensor<T>& probs) {
  if (q.rank() != 3 || k.rank() != 3 || !(k.shape() == v.shape()) || q.dim(0) != k.dim(0) ||
      q.dim(2) != k.dim(2) || heads <= 0 || q.dim(2) % heads != 0 ||
      !(out.shape() == q.shape()) ||
      !(probs.shape() == Shape{q.dim(0), heads, q.dim(1), k.dim(1)}) ||
      (!key_mask.empty() && !(key_mask.shape() == Shape{k.dim(0), k.dim(1)})) ||
      (!dropout_mask.empty() && !(dropout_mask.shape() == probs.shape())))
    throw shape_error(detail::shapes("multi_head_attention_forward",
                                     {q.shape(), k.shape(), v.shape(), key_mask.shape(),
                                      dropout_mask.shape(), out.shape(), probs.shape()}) +
                      " for heads=" + std::to_string(heads));
  detail::require_cpu("multi_head_attention_forward", q, k, v, out, probs);
  const index_t batch = q.dim(0), s = q.dim(1), t = k.dim(1), d = q.dim(2) / heads;
  cpu::attention_forward(q.data(), k.data(), v.data(), key_mask.empty() ? nullptr : key_mask.data(),
                         dropout_mask.empty() ? nullptr : dropout_mask.data(), scale, out.data(),
                         probs.data(), batch, heads, s, t, d, compute_precision(),
                         cpu::HeadLayout::interleaved(heads, s, d),
                         cpu::HeadLayout::interleaved(heads, t, d));
}

template <class T>
void multi_head_attention_backward(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v,
                                   index_t heads, const Tensor<T>& probs,
                                   const Tensor<T>& dropout_mask, const Tensor<T>& d_out, T scale,
                                   Tensor<T>& dq, Tensor<T>& dk, Tensor<T>& dv) {
  if (q.rank() != 3 || k.rank() != 3 || !(k.shape() == v.shape()) || q.dim(0) != k.dim(0) ||
      q.dim(2) != k.dim(2) || heads <= 0 || q.dim(2) % heads != 0 ||
      !(d_out.shape() == q.shape()) || !(dq.shape() == q.shape()) ||
      !(dk.shape() == k.shape()) || !(dv.shape() == v.shape()) ||
      !(probs.shape() == Shape{q.dim(0), heads, q.dim(1), k.dim(1)}) ||
      (!dropout_mask.empty() && !(dropout_mask.shape() == probs.shape())))
    throw shape_error(detail::shapes("multi_head_attention_backward",
                                     {q.shape(), k.shape(), v.shape(), probs.shape(),
                                      dropout_mask.shape(), d_out.shape()}) +
                      " for heads=" + std::to_string(heads));
  detail::require_cpu("multi_head_attention_backward", q, k, v, probs, d_out, dq, dk, dv);
  const index_t batch = q.dim(0), s = q.dim(1), t = k.dim(1), d = q.dim(2) / heads;
  cpu::attention_backward(q.data(), k.data(), v.data(), probs.data(),
                          dropout_mask.empty() ? nullptr : dropout_mask.data(), d_out.data(),
                          scale, dq.data(), dk.data(), dv.data(), batch, heads, s, t, d,
                          compute_precision(), cpu::HeadLayout::interleaved(heads, s, d),
                          cpu::HeadLayout::interleaved(heads, t, d));
}

// [B, S, heads * D] -> [B, heads, S, D]: from the projections' layout to the
// per-head blocks attention_forward takes.
template <class T>
void split_heads(const Tensor<T>& x, index_t heads, Tensor<T>& out) {
  if (x.rank() != 3 || heads <= 0 || x.dim(2) % heads != 0 ||
      !(out.shape() == Shape{x.dim(0), heads, x.dim(1), x.dim(2) / heads}))
    throw shape_error(detail::shapes("split_heads", {x.shape(), out.shape()}) +
                      " for heads=" + std::to_string(heads));
  detail::require_cpu("split_heads", x, out);
  cpu::split_heads(x.data(), out.data(), x.dim(0), x.dim(1), heads, x.dim(2) / heads);
}

// [B, heads, S, D] -> [B, S, heads * D], the inverse of split_heads.
template <class T>
void merge_heads(const Tensor<T>& x, Tensor<T>& out) {
  if (x.rank() != 4 || !(out.shape() == Shape{x.dim(0), x.dim(2), x.dim(1) * x.dim(3)}))
    throw shape_error(detail::shapes("merge_heads", {x.shape(), out.shape()}));
  detail::require_cpu("merge_heads", x, out);
  cpu::merge_heads(x.data(), out.data(), x.dim(0), x.dim(2), x.dim(1), x.dim(3));
}

// Concatenates row-aligned tensors along the last dimension: [..., c1], [..., c2]
// -> [..., c1 + c2 + ...]. Leading dimensions come from the first part.
template <class T>
Tensor<T> concat_columns(const std::vector<const Tensor<T>*>& parts) {
  if (parts.empty()) throw invalid_argument("adaptrec::backend::concat_columns: no tensors");
  const index_t rows = parts[0]->rows();
  std::vector<const T*> pointers;
  std::vector<index_t> cols;
  index_t total = 0;
  for (const Tensor<T>* p : parts) {
    if (p->rows() != rows) {
      std::string s = "adaptrec::backend::concat_columns: row counts differ:";
      for (const Tensor<T>* q : parts) s += " " + q->shape().to_string();
      throw shape_error(s);
    }
    detail::require_cpu("concat_columns", *p);
    pointers.push_back(p->data());
    cols.push_back(p->cols());
    total += p->cols();
  }
  Shape shape = parts[0]->rank() == 0 ? Shape{1} : parts[0]->shape();
  shape[shape.rank() - 1] = total;
  Tensor<T> out(shape);
  cpu::concat_columns(pointers, cols, out.data(), rows, total);
  return out;
}

// The inverse of concat_columns: splits the last dimension into widths `cols`.
template <class T>
std::vector<Tensor<T>> split_columns(const Tensor<T>& x, const std::vector<index_t>& cols) {
  index_t total = 0;
  for (index_t c : cols) total += c;
  if (total != x.cols())
    throw shape_error("adaptrec::backend::split_columns: widths sum to " + std::to_string(total) +
                      " but the tensor has shape " + x.shape().to_string());
  detail::require_cpu("split_columns", x);
  std::vector<Tensor<T>> parts;
  std::vector<T*> pointers;
  for (index_t c : cols) {
    Shape shape = x.shape();
    shape[shape.rank() - 1] = c;
    parts.emplace_back(shape);
  }
  for (auto& p : parts) pointers.push_back(p.data());
  cpu::split_columns(x.data(), x.rows(), x.cols(), pointers, cols);
  return parts;
}

// Row-wise L2 normalisation of x into y; norms [rows] keeps the clamped norms.
template <class T>
void l2_normalize(const Tensor<T>& x, T eps, Tensor<T>& y, Tensor<T>& norms) {
  if (!(x.shape() == y.shape()) || norms.size() != x.rows())
    throw shape_error(detail::shapes("l2_normalize", {x.shape(), y.shape(), norms.shape()}));
  detail::require_cpu("l2_normalize", x, y, norms);
  cpu::l2_normalize_rows(x.data(), y.data(), norms.data(), eps, x.rows(), x.cols());
}

template <class T>
void l2_normalize_backward(const Tensor<T>& y, const Tensor<T>& norms, const Tensor<T>& dy, T eps,
                           Tensor<T>& dx) {
  if (!(y.shape() == dy.shape()) || !(y.shape() == dx.shape()) || norms.size() != y.rows())
    throw shape_error(detail::shapes("l2_normalize_backward", {y.shape(), dy.shape(), dx.shape()}));
  detail::require_cpu("l2_normalize_backward", y, norms, dy, dx);
  cpu::l2_normalize_rows_backward(y.data(), norms.data(), dy.data(), dx.data(), eps, y.rows(),
                                  y.cols());
}

// Pooled embedding bags: out[b, :] = sum over bag b of w_i * table[ids[i], :],
// with w_i = per_id_weights[i] when given (non-empty), else 1 or 1/|bag|
// (mean). Offsets follow PyTorch's EmbeddingBag; the caller validates ids and
// offsets (layers::EmbeddingBag names the bad one).
template <class T>
void embedding_bag_forward(const Tensor<T>& table, const Tensor<index_t>& ids,
                           const Tensor<index_t>& offsets, const Tensor<T>& per_id_weights,
                           bool mean, Tensor<T>& out) {
  require_rank(table, 2, "adaptrec::backend::embedding_bag_forward (table)");
  if (!(out.shape() == Shape{offsets.size(), table.cols()}) ||
      (!per_id_weights.empty() && per_id_weights.size() != ids.size()))
    throw shape_error(detail::shapes("embedding_bag_forward",
                                     {table.shape(), ids.shape(), offsets.shape(), out.shape()}));
  detail::require_cpu("embedding_bag_forward", table, out);
  cpu::embedding_bag_forward(table.data(), ids.data(), offsets.data(), offsets.size(), ids.size(),
                             per_id_weights.empty() ? nullptr : per_id_weights.data(), mean,
                             out.data(), table.cols());
}

template <class T>
void embedding_bag_backward(const Tensor<T>& dy, const Tensor<index_t>& ids,
                            const Tensor<index_t>& offsets, const Tensor<T>& per_id_weights,
                            bool mean, Tensor<T>& grad) {
  require_rank(grad, 2, "adaptrec::backend::embedding_bag_backward (grad)");
  if (!(dy.shape() == Shape{offsets.size(), grad.cols()}) ||
      (!per_id_weights.empty() && per_id_weights.size() != ids.size()))
    throw shape_error(detail::shapes("embedding_bag_backward",
                                     {dy.shape(), ids.shape(), offsets.shape(), grad.shape()}));
  detail::require_cpu("embedding_bag_backward", dy, grad);
  cpu::embedding_bag_backward(dy.data(), ids.data(), offsets.data(), offsets.size(), ids.size(),
                              per_id_weights.empty() ? nullptr : per_id_weights.data(), mean,
                              grad.data(), grad.cols());
}

}  // namespace adaptrec::backend
