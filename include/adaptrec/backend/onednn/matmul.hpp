#pragma once
// y = epilogue(x W^T) for a packed weight on oneDNN's matmul primitive, with
// the epilogue (backend/cpu/epilogue.hpp) fused as output scales and
// post-ops: bias and residual as binary adds, the activation as an eltwise.
//
// Per weight, the first call reorders it into the layout oneDNN's kernel
// prefers and keeps it; one primitive is made per (rows, epilogue) and kept.
// Where oneDNN has only its reference kernel for a case (bf16 without
// AVX512-BF16/AMX, rows scaled one by one, ...), packed_linear returns false
// and the caller runs the next path down: bf16 on float32 kernels over the
// rounded numbers, per-token int8 as an unscaled int8 GEMM and our own
// epilogue pass.
#include <adaptrec/backend/cpu/epilogue.hpp>
#include <adaptrec/backend/cpu/packed_linear.hpp>
#include <adaptrec/backend/onednn/gemm.hpp>
#include <adaptrec/backend/onednn/primitives.hpp>
#include <adaptrec/backend/packed_weight.hpp>

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

namespace adaptrec::backend {
namespace onednn {

// How the accumulator is scaled before the post-ops.
enum class OutputScales { none, common, per_column };

// One primitive's shape and epilogue, the key of the primitive cache.
struct Signature {
  index_t rows = 0;
  bool bias = false;
  Activation activation = Activation::identity;
  bool residual = false;
  OutputScales scales = OutputScales::none;
  auto tie() const { return std::tie(rows, bias, activation, residual, scales); }
  bool operator<(const Signature& o) const { return tie() < o.tie(); }
};

}  // namespace onednn

namespace detail {

struct OnednnPackedState {
  dnnl_data_type_t src_type = dnnl_f32, weight_type = dnnl_f32;
  dnnl_memory_desc_t weight_desc{};
  onednn::Memory weights;  // empty until the first primitive chose a layout
  // A null primitive: oneDNN offers only its reference kernel here.
  std::map<onednn::Signature, onednn::Primitive> primitives;
};

}  // namespace detail

namespace onednn {

// Copies the [n, k] row-major weight into the layout `pd` asks for.
inline void reorder_weights(detail::OnednnPackedState& state, const_dnnl_primitive_desc_t pd,
                            const PackedWeight<float>& w) {
  const index_t n = w.out_features(), k = w.in_features();
  const dnnl_memory_desc_t* chosen = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
  state.weight_desc = *chosen;
  std::vector<std::uint16_t> bf16;
  const void* plain = w.values().data();
  if (state.weight_type == dnnl_bf16) {
    bf16.resize(static_cast<std::size_t>(n * k));
    for (std::size_t i = 0; i < bf16.size(); ++i) bf16[i] = float_to_bfloat16_bits(w.values()[static_cast<index_t>(i)]);
    plain = bf16.data();
  } else if (state.weight_type == dnnl_s8) {
    plain = w.quantized().data();
  }
  // W[o, i] is op(B)[i, o]: a k x n matrix with strides (1, k).
  const dnnl_memory_desc_t source_md = matrix_desc(k, n, state.weight_type, 1, k);
  Memory source = wrap(source_md, plain);
  dnnl_memory_t target = nullptr;
  check(dnnl_memory_create(&target, chosen, cpu_engine(), DNNL_MEMORY_ALLOCATE),
        "dnnl_memory_create", w.name());
  state.weights.reset(target);
  dnnl_primitive_desc_t rpd = nullptr;
  check(dnnl_reorder_primitive_desc_create(&rpd, &source_md, cpu_engine(), chosen, cpu_engine(),
                                           nullptr),
        "dnnl_reorder_primitive_desc_create", w.name());
  PrimitiveDesc owned_rpd(rpd);
  dnnl_primitive_t reorder = nullptr;
  check(dnnl_primitive_create(&reorder, rpd), "dnnl_primitive_create", w.name() + " (reorder)");
  Primitive owned_reorder(reorder);
  const dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, source.get()}, {DNNL_ARG_TO, target}};
  check(dnnl_primitive_execute(reorder, cpu_stream(), 2, args), "dnnl_primitive_execute",
        w.name() + " (reorder)");
  check(dnnl_stream_wait(cpu_stream()), "dnnl_stream_wait", w.name());
}

// A matmul primitive for `sig`, or null when oneDNN has only its reference
// kernel for it. Reorders the weights on the first success.
inline Primitive make_matmul(detail::OnednnPackedState& state, const Signature& sig,
                             const PackedWeight<float>& w) {
  const index_t m = sig.rows, n = w.out_features(), k = w.in_features();
  const dnnl_memory_desc_t src = matrix_desc(m, k, state.src_type, k, 1);
  const dnnl_memory_desc_t dst = matrix_desc(m, n, dnnl_f32, n, 1);
  dnnl_memory_desc_t wei;
  if (state.weights) {
    wei = state.weight_desc;
  } else {
    const dnnl_dims_t dims = {k, n};
    check(dnnl_memory_desc_init_by_tag(&wei, 2, dims, state.weight_type, dnnl_format_tag_any),
          "dnnl_memory_desc_init_by_tag", w.name());
  }
  dnnl_primitive_attr_t attr_handle = nullptr;
  check(dnnl_primitive_attr_create(&attr_handle), "dnnl_primitive_attr_create", w.name());
  Attr attr(attr_handle);
  if (sig.scales != OutputScales::none) {
    const float runtime = DNNL_RUNTIME_F32_VAL;
    check(dnnl_primitive_attr_set_output_scales(
              attr.get(), 1, sig.scales == OutputScales::per_column ? 1 << 1 : 0, &runtime),
          "dnnl_primitive_attr_set_output_scales", w.name());
  }
  dnnl_post_ops_t ops_handle = nullptr;
  check(dnnl_post_ops_create(&ops_handle), "dnnl_post_ops_create", w.name());
  PostOps ops(ops_handle);
  const dnnl_memory_desc_t bias_md = matrix_desc(1, n, dnnl_f32, n, 1);
  if (sig.bias)
    check(dnnl_post_ops_append_binary(ops.get(), dnnl_binary_add, &bias_md),
          "dnnl_post_ops_append_binary", w.name());
  if (sig.activation != Activation::identity)
    check(dnnl_post_ops_append_eltwise(ops.get(), 1.0f, eltwise_kind(sig.activation), 0.0f, 0.0f),
          "dnnl_post_ops_append_eltwise", w.name());
  if (sig.residual)
    check(dnnl_post_ops_append_binary(ops.get(), dnnl_binary_add, &dst),
          "dnnl_post_ops_append_binary", w.name());
  check(dnnl_primitive_attr_set_post_ops(attr.get(), ops.get()), "dnnl_primitive_attr_set_post_ops",
        w.name());

  dnnl_matmul_desc_t desc;
  check(dnnl_matmul_desc_init(&desc, &src, &wei, nullptr, &dst), "dnnl_matmul_desc_init", w.name());
  dnnl_primitive_desc_t pd_handle = nullptr;
  if (dnnl_primitive_desc_create(&pd_handle, &desc, attr.get(), cpu_engine(), nullptr) !=
      dnnl_success)
    return Primitive();
  PrimitiveDesc pd(pd_handle);
  if (implementation(pd.get()).rfind("ref", 0) == 0) return Primitive();
  if (!state.weights) reorder_weights(state, pd.get(), w);
  dnnl_primitive_t prim = nullptr;
  check(dnnl_primitive_create(&prim, pd.get()), "dnnl_primitive_create", w.name());
  return Primitive(prim);
}

// The cached primitive for `sig` (made on first use), or null.
inline dnnl_primitive_t matmul_for(const PackedWeight<float>& w, dnnl_data_type_t src_type,
                                   dnnl_data_type_t weight_type, const Signature& sig) {
  std::lock_guard lock(w.onednn_mutex());
  if (!w.onednn_state()) {
    auto state = std::make_shared<detail::OnednnPackedState>();
    state->src_type = src_type;
    state->weight_type = weight_type;
    w.set_onednn_state(std::move(state));
  }
  detail::OnednnPackedState& state = *w.onednn_state();
  auto it = state.primitives.find(sig);
  if (it == state.primitives.end()) it = state.primitives.emplace(sig, make_matmul(state, sig, w)).first;
  return it->second.get();
}

inline void execute_matmul(dnnl_primitive_t prim, const PackedWeight<float>& w,
                           const Signature& sig, dnnl_data_type_t src_type, const void* src,
                           float* y, const float* scales, index_t scale_count, const float* bias,
                           const float* residual) {
  const index_t m = sig.rows, n = w.out_features(), k = w.in_features();
  const Memory src_mem = wrap(matrix_desc(m, k, src_type, k, 1), src);
  const dnnl_memory_desc_t dst_md = matrix_desc(m, n, dnnl_f32, n, 1);
  const Memory dst_mem = wrap(dst_md, y);
  Memory scale_mem, bias_mem, residual_mem;
  std::vector<dnnl_exec_arg_t> args = {{DNNL_ARG_SRC, src_mem.get()},
                                       {DNNL_ARG_WEIGHTS, w.onednn_state()->weights.get()},
                                       {DNNL_ARG_DST, dst_mem.get()}};
  if (sig.scales != OutputScales::none) {
    dnnl_memory_desc_t md;
    const dnnl_dims_t dims = {scale_count};
    check(dnnl_memory_desc_init_by_tag(&md, 1, dims, dnnl_f32, dnnl_a), "dnnl_memory_desc_init_by_tag",
          w.name());
    scale_mem = wrap(md, scales);
    args.push_back({DNNL_ARG_ATTR_OUTPUT_SCALES, scale_mem.get()});
  }
  int post_op = 0;
  if (sig.bias) {
    bias_mem = wrap(matrix_desc(1, n, dnnl_f32, n, 1), bias);
    args.push_back({DNNL_ARG_ATTR_MULTIPLE_POST_OP(post_op) | DNNL_ARG_SRC_1, bias_mem.get()});
    ++post_op;
  }
  if (sig.activation != Activation::identity) ++post_op;
  if (sig.residual) {
    residual_mem = wrap(dst_md, residual);
    args.push_back({DNNL_ARG_ATTR_MULTIPLE_POST_OP(post_op) | DNNL_ARG_SRC_1, residual_mem.get()});
  }
  check(dnnl_primitive_execute(prim, cpu_stream(), static_cast<int>(args.size()), args.data()),
        "dnnl_primitive_execute", w.name() + " (matmul)");
  check(dnnl_stream_wait(cpu_stream()), "dnnl_stream_wait", w.name());
}

// y = epilogue(x W^T), x [m, k] and y [m, n] row-major. Returns false, having
// written nothing, when oneDNN has no fast kernel for the case.
inline bool packed_linear(const float* x, index_t m, const PackedWeight<float>& w, float* y,
                          const Epilogue<float>& e) {
  const index_t n = w.out_features(), k = w.in_features();
  if (m == 0 || n == 0) return true;
  if (k == 0) return false;  // an empty sum: the Eigen path writes the epilogue of zeros

  if (w.precision() != Precision::int8) {
    // bf16 without a native kernel multiplies the rounded numbers in float32.
    const bool native_bf16 = w.precision() == Precision::bf16 && has_bf16_matmul();
    const dnnl_data_type_t type = native_bf16 ? dnnl_bf16 : dnnl_f32;
    const Signature sig{m, e.bias != nullptr, e.activation, e.residual != nullptr,
                        e.alpha == 1.0f ? OutputScales::none : OutputScales::common};
    const dnnl_primitive_t prim = matmul_for(w, type, type, sig);
    if (!prim) return false;
    std::vector<std::uint16_t> bits;
    std::vector<float> rounded;
    const void* src = x;
    if (native_bf16) {
      bits.resize(static_cast<std::size_t>(m * k));
      cpu::parallel_for(m, k, [&](index_t r) {
        for (index_t c = 0; c < k; ++c) bits[r * k + c] = float_to_bfloat16_bits(x[r * k + c]);
      });
      src = bits.data();
    } else if (w.precision() == Precision::bf16) {
      rounded.resize(static_cast<std::size_t>(m * k));
      round_to_bfloat16(x, rounded.data(), m * k);
      src = rounded.data();
    }
    execute_matmul(prim, w, sig, type, src, y, &e.alpha, 1, e.bias, e.residual);
    return true;
  }

  // int8: inputs in u8 with a zero point (the fast kernels' layout), weights in s8.
  // Without VNNI, weights beyond 7 bits would saturate: leave them to Eigen.
  if (w.weight_levels() > 63 && !has_int8_dot_product()) return false;
  const bool per_token = w.activation_scaling() == ActivationScaling::per_token;
  const Signature sig = per_token ? Signature{m}
                                  : Signature{m, true, e.activation, e.residual != nullptr,
                                              OutputScales::per_column};
  const dnnl_primitive_t prim = matmul_for(w, dnnl_u8, dnnl_s8, sig);
  if (!prim) return false;
  std::vector<std::uint8_t> q(static_cast<std::size_t>(m * k));
  std::vector<float> row_scales(static_cast<std::size_t>(m)), zero_points(static_cast<std::size_t>(m));
  cpu::quantize_int8_inputs(x, m, k, w, q.data(), row_scales.data(), zero_points.data());
  // sum_i (q_x - z) q_w = acc - z * (row sum of q_w): the offset to take off.
  const float* offsets = w.quantized_row_sums().data();
  if (per_token) {
    execute_matmul(prim, w, sig, dnnl_u8, q.data(), y, nullptr, 0, nullptr, nullptr);
    cpu::apply_epilogue(y, m, n, e, row_scales.data(), w.weight_scales().data(), offsets,
                        zero_points.data());
    return true;
  }
  // One input scale: fold everything into per-column scales and a shifted bias.
  std::vector<float> scales(static_cast<std::size_t>(n)), bias(static_cast<std::size_t>(n));
  for (index_t o = 0; o < n; ++o) {
    scales[o] = e.alpha * row_scales[0] * w.weight_scales()[o];
    bias[o] = (e.bias ? e.bias[o] : 0.0f) - scales[o] * zero_points[0] * offsets[o];
  }
  execute_matmul(prim, w, sig, dnnl_u8, q.data(), y, scales.data(), n, bias.data(), e.residual);
  return true;
}

}  // namespace onednn
}  // namespace adaptrec::backend
