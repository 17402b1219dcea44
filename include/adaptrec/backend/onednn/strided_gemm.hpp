#pragma once
// A GemmProblem (backend/gemm_problem.hpp) on oneDNN: plain float32
// problems on dnnl_sgemm, and problems with an epilogue or in bf16 on the
// matmul primitive, the epilogue fused as post-ops (beta as a sum, bias and
// residual as binary adds, the activation as an eltwise), alpha as a runtime
// output scale.
//
// Primitives are cached process-wide by the problem's shape, strides, types
// and epilogue. Where oneDNN offers only its reference kernel for one (an
// odd stride, bf16 without AVX512-BF16/AMX), the caller takes the next path
// down: float32 GEMMs and our own epilogue pass over the rows.
#include <adaptrec/backend/cpu/dense_copy.hpp>
#include <adaptrec/backend/cpu/epilogue.hpp>
#include <adaptrec/backend/cpu/parallel.hpp>
#include <adaptrec/backend/gemm_problem.hpp>
#include <adaptrec/backend/onednn/gemm.hpp>
#include <adaptrec/backend/onednn/primitives.hpp>
#include <adaptrec/backend/quantize.hpp>

#include <array>
#include <bit>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

namespace adaptrec::backend::onednn {

namespace gemm_impl {

// dims and strides of one operand: 2-D for a single problem, 3-D over the
// batch otherwise, a broadcast operand (batch stride 0) with batch 1.
inline dnnl_memory_desc_t operand_desc(const GemmProblem<float>& p, index_t rows, index_t cols,
                                       dnnl_data_type_t type, index_t row_stride,
                                       index_t col_stride, index_t batch_stride) {
  if (p.batch == 1) return matrix_desc(rows, cols, type, row_stride, col_stride);
  const dnnl_dim_t batch = batch_stride == 0 ? 1 : p.batch;
  const dnnl_dim_t spacing = batch_stride == 0 ? rows * cols : batch_stride;
  dnnl_memory_desc_t md;
  const dnnl_dims_t dims = {batch, rows, cols}, strides = {spacing, row_stride, col_stride};
  check(dnnl_memory_desc_init_by_strides(&md, 3, dims, type, strides),
        "dnnl_memory_desc_init_by_strides", "a batched GEMM operand");
  return md;
}

struct GemmDescs {
  dnnl_memory_desc_t a, b, c, bias, residual;
};

// op(A) as m x k and op(B) as k x n, whatever their storage.
inline GemmDescs gemm_descs(const GemmProblem<float>& p, dnnl_data_type_t type) {
  GemmDescs d;
  d.a = p.trans_a ? operand_desc(p, p.m, p.k, type, 1, p.lda, p.stride_a)
                  : operand_desc(p, p.m, p.k, type, p.lda, 1, p.stride_a);
  d.b = p.trans_b ? operand_desc(p, p.k, p.n, type, 1, p.ldb, p.stride_b)
                  : operand_desc(p, p.k, p.n, type, p.ldb, 1, p.stride_b);
  d.c = operand_desc(p, p.m, p.n, dnnl_f32, p.ldc, 1, p.stride_c);
  d.bias = operand_desc(p, 1, p.n, dnnl_f32, p.n, 1, 0);
  d.residual = operand_desc(p, p.m, p.n, dnnl_f32, p.ldr, 1, p.stride_r);
  return d;
}

using GemmKey = std::array<std::int64_t, 20>;

inline GemmKey gemm_key(const GemmProblem<float>& p, dnnl_data_type_t type) {
  return {p.m, p.n, p.k, p.batch, p.lda, p.ldb, p.ldc, p.ldr, p.stride_a, p.stride_b, p.stride_c,
          p.stride_r, p.trans_a, p.trans_b, static_cast<std::int64_t>(type), p.alpha != 1.0f,
          std::bit_cast<std::int32_t>(p.beta), p.bias != nullptr,
          static_cast<std::int64_t>(p.activation), p.residual != nullptr};
}

// A matmul primitive for the problem, or null where oneDNN has only its
// reference kernel (or none) for it.
inline Primitive make_gemm_primitive(const GemmProblem<float>& p, dnnl_data_type_t type) {
  // oneDNN 2.6 misplaces a batched problem's bias and residual adds when C
  // has gaps between rows or entries (measured: errors of 0.1-2 relative);
  // those take the unfused path.
  const bool dense_c = p.ldc == p.n && p.stride_c == p.m * p.n;
  const bool dense_r = p.ldr == p.n && (p.stride_r == p.m * p.n || p.stride_r == 0);
  if (p.batch > 1 && (p.bias || p.residual) && !(dense_c && (!p.residual || dense_r)))
    return Primitive();
  const GemmDescs d = gemm_descs(p, type);
  dnnl_primitive_attr_t attr_handle = nullptr;
  check(dnnl_primitive_attr_create(&attr_handle), "dnnl_primitive_attr_create", "gemm");
  Attr attr(attr_handle);
  if (p.alpha != 1.0f) {
    const float runtime = DNNL_RUNTIME_F32_VAL;
    check(dnnl_primitive_attr_set_output_scales(attr.get(), 1, 0, &runtime),
          "dnnl_primitive_attr_set_output_scales", "gemm");
  }
  dnnl_post_ops_t ops_handle = nullptr;
  check(dnnl_post_ops_create(&ops_handle), "dnnl_post_ops_create", "gemm");
  PostOps ops(ops_handle);
  if (p.beta != 0.0f)
    check(dnnl_post_ops_append_sum(ops.get(), p.beta), "dnnl_post_ops_append_sum", "gemm");
  if (p.bias)
    check(dnnl_post_ops_append_binary(ops.get(), dnnl_binary_add, &d.bias),
          "dnnl_post_ops_append_binary", "gemm");
  if (p.activation != Activation::identity)
    check(dnnl_post_ops_append_eltwise(ops.get(), 1.0f, eltwise_kind(p.activation), 0.0f, 0.0f),
          "dnnl_post_ops_append_eltwise", "gemm");
  if (p.residual)
    check(dnnl_post_ops_append_binary(ops.get(), dnnl_binary_add, &d.residual),
          "dnnl_post_ops_append_binary", "gemm");
  check(dnnl_primitive_attr_set_post_ops(attr.get(), ops.get()), "dnnl_primitive_attr_set_post_ops",
        "gemm");
  dnnl_matmul_desc_t desc;
  if (dnnl_matmul_desc_init(&desc, &d.a, &d.b, nullptr, &d.c) != dnnl_success) return Primitive();
  dnnl_primitive_desc_t pd_handle = nullptr;
  if (dnnl_primitive_desc_create(&pd_handle, &desc, attr.get(), cpu_engine(), nullptr) !=
      dnnl_success)
    return Primitive();
  PrimitiveDesc pd(pd_handle);
  if (implementation(pd.get()).rfind("ref", 0) == 0) return Primitive();
  dnnl_primitive_t prim = nullptr;
  check(dnnl_primitive_create(&prim, pd.get()), "dnnl_primitive_create", "gemm");
  return Primitive(prim);
}

// The cached primitive for the problem (made on first use), or null. The
// cache is cleared when it grows past `capacity` shapes (sequence lengths
// that vary batch to batch would otherwise grow it without bound).
inline dnnl_primitive_t gemm_primitive(const GemmProblem<float>& p, dnnl_data_type_t type) {
  constexpr std::size_t capacity = 1024;
  static std::mutex mutex;
  static std::map<GemmKey, Primitive> cache;
  const GemmKey key = gemm_key(p, type);
  std::lock_guard lock(mutex);
  auto it = cache.find(key);
  if (it == cache.end()) {
    if (cache.size() >= capacity) cache.clear();
    it = cache.emplace(key, make_gemm_primitive(p, type)).first;
  }
  return it->second.get();
}

// Runs the primitive on the problem's memory; a and b may point to converted
// copies whose layout the primitive was made for.
inline void execute_gemm(dnnl_primitive_t prim, const GemmProblem<float>& p, dnnl_data_type_t type,
                         const void* a, const void* b) {
  const GemmDescs d = gemm_descs(p, type);
  const Memory a_mem = wrap(d.a, a), b_mem = wrap(d.b, b), c_mem = wrap(d.c, p.c);
  Memory scale_mem, bias_mem, residual_mem;
  std::vector<dnnl_exec_arg_t> args = {
      {DNNL_ARG_SRC, a_mem.get()}, {DNNL_ARG_WEIGHTS, b_mem.get()}, {DNNL_ARG_DST, c_mem.get()}};
  if (p.alpha != 1.0f) {
    dnnl_memory_desc_t md;
    const dnnl_dims_t dims = {1};
    check(dnnl_memory_desc_init_by_tag(&md, 1, dims, dnnl_f32, dnnl_a),
          "dnnl_memory_desc_init_by_tag", "gemm");
    scale_mem = wrap(md, &p.alpha);
    args.push_back({DNNL_ARG_ATTR_OUTPUT_SCALES, scale_mem.get()});
  }
  int post_op = p.beta != 0.0f ? 1 : 0;
  if (p.bias) {
    bias_mem = wrap(d.bias, p.bias);
    args.push_back({DNNL_ARG_ATTR_MULTIPLE_POST_OP(post_op) | DNNL_ARG_SRC_1, bias_mem.get()});
    ++post_op;
  }
  if (p.activation != Activation::identity) ++post_op;
  if (p.residual) {
    residual_mem = wrap(d.residual, p.residual);
    args.push_back({DNNL_ARG_ATTR_MULTIPLE_POST_OP(post_op) | DNNL_ARG_SRC_1, residual_mem.get()});
  }
  check(dnnl_primitive_execute(prim, cpu_stream(), static_cast<int>(args.size()), args.data()),
        "dnnl_primitive_execute", "gemm");
  check(dnnl_stream_wait(cpu_stream()), "dnnl_stream_wait", "gemm");
}

}  // namespace gemm_impl

// A float32 problem (its operands already rounded where it was bf16). Plain
// problems go to dnnl_sgemm, one per batch entry, entries split across
// threads; with an epilogue, to a fused matmul, else sgemm and our pass.
inline void gemm(const GemmProblem<float>& p) {
  if (p.has_epilogue() && p.k > 0)
    if (const dnnl_primitive_t prim = gemm_impl::gemm_primitive(p, dnnl_f32)) {
      gemm_impl::execute_gemm(prim, p, dnnl_f32, p.a, p.b);
      return;
    }
  const auto one = [&](index_t i) {
    float* c = p.c + i * p.stride_c;
    sgemm(p.a + i * p.stride_a, p.trans_a, p.b + i * p.stride_b, p.trans_b, c, p.m, p.n, p.k,
          p.alpha, p.beta, p.lda, p.ldb, p.ldc);
    if (p.has_epilogue())
      for (index_t r = 0; r < p.m; ++r)
        cpu::finish_row(c + r * p.ldc, p.n, p.bias, p.activation,
                        p.residual ? p.residual + i * p.stride_r + r * p.ldr : nullptr);
  };
  if (p.batch == 1)
    one(0);
  else
    cpu::parallel_for(p.batch, p.m * p.n * p.k, one);
}

// A bf16 problem on oneDNN's native bf16 kernels (AVX512-BF16, AMX): A and B
// converted to bfloat16 and multiplied with float32 sums. Returns false,
// having written nothing, where the CPU has no such kernel.
inline bool bf16_gemm(const GemmProblem<float>& p) {
  if (p.k == 0 || !has_bf16_matmul()) return false;
  // The copies are dense: describe them so before asking for a primitive.
  GemmProblem<float> dense = p;
  dense.lda = p.a_cols(), dense.stride_a = p.stride_a == 0 ? 0 : p.m * p.k;
  dense.ldb = p.b_cols(), dense.stride_b = p.stride_b == 0 ? 0 : p.k * p.n;
  const dnnl_primitive_t prim = gemm_impl::gemm_primitive(dense, dnnl_bf16);
  if (!prim) return false;
  const auto to_bits = [](float v) { return float_to_bfloat16_bits(v); };
  const auto a = cpu::dense_copy<std::uint16_t>(p.a, p.a_rows(), p.a_cols(), p.lda, p.batch,
                                                p.stride_a, to_bits);
  const auto b = cpu::dense_copy<std::uint16_t>(p.b, p.b_rows(), p.b_cols(), p.ldb, p.batch,
                                                p.stride_b, to_bits);
  gemm_impl::execute_gemm(prim, dense, dnnl_bf16, a.data(), b.data());
  return true;
}

}  // namespace adaptrec::backend::onednn
