#pragma once
// Activations and their gradients on oneDNN's eltwise primitive, for float32
// on the oneDNN backend. Its kernels are JIT-compiled for the CPU it runs on
// (AVX2, AVX-512), where our Eigen loops get the ISA the program was compiled
// for (SSE2 under default flags): GELU's erf and exp are the costliest
// element-wise work of a transformer layer's training step.
//
// Primitives are cached process-wide by (activation, direction, length).
// oneDNN's GELU uses its own erf approximation; tests/backend/elementwise.cpp
// holds it to the double-precision reference like ours.
#include <adaptrec/backend/onednn/primitives.hpp>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace adaptrec::backend::onednn {

namespace eltwise_impl {

// Below this many elements a call costs more than it saves.
inline constexpr index_t min_elements = 4096;

inline dnnl_memory_desc_t vector_desc(index_t n) {
  dnnl_memory_desc_t md;
  const dnnl_dims_t dims = {n};
  check(dnnl_memory_desc_init_by_tag(&md, 1, dims, dnnl_f32, dnnl_a),
        "dnnl_memory_desc_init_by_tag", "eltwise of " + std::to_string(n));
  return md;
}

inline PrimitiveDesc forward_pd(dnnl_alg_kind_t alg, const dnnl_memory_desc_t& md) {
  dnnl_eltwise_desc_t desc;
  check(dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_training, alg, &md, 0.0f, 0.0f),
        "dnnl_eltwise_forward_desc_init", "");
  dnnl_primitive_desc_t pd = nullptr;
  check(dnnl_primitive_desc_create(&pd, &desc, nullptr, cpu_engine(), nullptr),
        "dnnl_primitive_desc_create", "eltwise forward");
  return PrimitiveDesc(pd);
}

// The primitive, or null where oneDNN has only its reference kernel.
inline Primitive make(dnnl_alg_kind_t alg, bool backward, index_t n) {
  const dnnl_memory_desc_t md = vector_desc(n);
  PrimitiveDesc pd = forward_pd(alg, md);
  if (backward) {
    dnnl_eltwise_desc_t desc;
    check(dnnl_eltwise_backward_desc_init(&desc, alg, &md, &md, 0.0f, 0.0f),
          "dnnl_eltwise_backward_desc_init", "");
    dnnl_primitive_desc_t bwd = nullptr;
    check(dnnl_primitive_desc_create(&bwd, &desc, nullptr, cpu_engine(), pd.get()),
          "dnnl_primitive_desc_create", "eltwise backward");
    pd = PrimitiveDesc(bwd);
  }
  if (implementation(pd.get()).rfind("ref", 0) == 0) return Primitive();
  dnnl_primitive_t prim = nullptr;
  check(dnnl_primitive_create(&prim, pd.get()), "dnnl_primitive_create", "eltwise");
  return Primitive(prim);
}

// Cleared past `capacity` lengths, as the GEMM cache is.
inline dnnl_primitive_t primitive(dnnl_alg_kind_t alg, bool backward, index_t n) {
  constexpr std::size_t capacity = 1024;
  static std::mutex mutex;
  static std::map<std::array<std::int64_t, 3>, Primitive> cache;
  const std::array<std::int64_t, 3> key = {static_cast<std::int64_t>(alg), backward, n};
  std::lock_guard lock(mutex);
  auto it = cache.find(key);
  if (it == cache.end()) {
    if (cache.size() >= capacity) cache.clear();
    it = cache.emplace(key, make(alg, backward, n)).first;
  }
  return it->second.get();
}

inline void execute(dnnl_primitive_t prim, index_t n,
                    std::initializer_list<std::pair<int, const float*>> args) {
  const dnnl_memory_desc_t md = vector_desc(n);
  std::array<Memory, 3> memory;
  std::array<dnnl_exec_arg_t, 3> exec{};
  int count = 0;
  for (const auto& [arg, data] : args) {
    memory[count] = wrap(md, data);
    exec[count] = {arg, memory[count].get()};
    ++count;
  }
  check(dnnl_primitive_execute(prim, cpu_stream(), count, exec.data()), "dnnl_primitive_execute",
        "eltwise of " + std::to_string(n));
  check(dnnl_stream_wait(cpu_stream()), "dnnl_stream_wait", "eltwise");
}

// Only the GELUs: ReLU, tanh and sigmoid are cheap enough in our loops.
inline bool worth_it(Activation a, index_t n) {
  return n >= min_elements && (a == Activation::gelu || a == Activation::gelu_tanh);
}

}  // namespace eltwise_impl

// y = act(x). Returns false, having written nothing, where it is not worth a
// primitive or oneDNN has no fast kernel for it.
inline bool activation_forward(Activation a, const float* x, float* y, index_t n) {
  if (!eltwise_impl::worth_it(a, n)) return false;
  const dnnl_primitive_t prim = eltwise_impl::primitive(eltwise_kind(a), false, n);
  if (!prim) return false;
  eltwise_impl::execute(prim, n, {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, y}});
  return true;
}

// dx = dy * act'(x), from the input x.
inline bool activation_backward(Activation a, const float* x, const float* dy, float* dx,
                                index_t n) {
  if (!eltwise_impl::worth_it(a, n)) return false;
  const dnnl_primitive_t prim = eltwise_impl::primitive(eltwise_kind(a), true, n);
  if (!prim) return false;
  eltwise_impl::execute(prim, n,
                        {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_SRC, dx}});
  return true;
}

}  // namespace adaptrec::backend::onednn
