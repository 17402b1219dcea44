#pragma once
// What every oneDNN primitive adaptrec makes needs: the CPU engine, a stream
// per thread, owning handles, status checks and plain matrix descriptors.
// Only the C API is included (see onednn/gemm.hpp).
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

#include <adaptrec/backend/cpu/elementwise.hpp>
#include <adaptrec/core/error.hpp>

#include <memory>
#include <string>
#include <type_traits>

namespace adaptrec::backend::onednn {

inline void check(dnnl_status_t status, const char* call, const std::string& context) {
  if (status != dnnl_success)
    throw error(std::string("adaptrec::backend::onednn: ") + call + " failed (" +
                dnnl_status2str(status) + ")" + (context.empty() ? "" : " for " + context));
}

template <class Handle, dnnl_status_t (*destroy)(Handle)>
struct Destroyer {
  void operator()(Handle h) const {
    if (h) destroy(h);
  }
};
template <class Handle, dnnl_status_t (*destroy)(Handle)>
using Owned = std::unique_ptr<std::remove_pointer_t<Handle>, Destroyer<Handle, destroy>>;
using Primitive = Owned<dnnl_primitive_t, dnnl_primitive_destroy>;
using PrimitiveDesc = Owned<dnnl_primitive_desc_t, dnnl_primitive_desc_destroy>;
using Memory = Owned<dnnl_memory_t, dnnl_memory_destroy>;
using Attr = Owned<dnnl_primitive_attr_t, dnnl_primitive_attr_destroy>;
using PostOps = Owned<dnnl_post_ops_t, dnnl_post_ops_destroy>;

inline dnnl_engine_t cpu_engine() {
  struct Engine {
    dnnl_engine_t engine = nullptr;
    Engine() { check(dnnl_engine_create(&engine, dnnl_cpu, 0), "dnnl_engine_create", "the CPU"); }
    ~Engine() { dnnl_engine_destroy(engine); }
  };
  static Engine e;
  return e.engine;
}

// One stream per thread: a oneDNN stream is not to be shared across threads.
inline dnnl_stream_t cpu_stream() {
  struct Stream {
    dnnl_stream_t stream = nullptr;
    Stream() {
      check(dnnl_stream_create(&stream, cpu_engine(), dnnl_stream_default_flags),
            "dnnl_stream_create", "the CPU");
    }
    ~Stream() { dnnl_stream_destroy(stream); }
  };
  thread_local Stream s;
  return s.stream;
}

// The eltwise post-op computing an activation (none for identity).
inline dnnl_alg_kind_t eltwise_kind(Activation a) {
  switch (a) {
    case Activation::relu: return dnnl_eltwise_relu;
    case Activation::gelu: return dnnl_eltwise_gelu_erf;
    case Activation::gelu_tanh: return dnnl_eltwise_gelu_tanh;
    case Activation::tanh: return dnnl_eltwise_tanh;
    case Activation::sigmoid: return dnnl_eltwise_logistic;
    case Activation::identity: break;
  }
  return dnnl_alg_kind_undef;
}

inline dnnl_memory_desc_t matrix_desc(dnnl_dim_t rows, dnnl_dim_t cols, dnnl_data_type_t type,
                                      dnnl_dim_t row_stride, dnnl_dim_t col_stride) {
  dnnl_memory_desc_t md;
  const dnnl_dims_t dims = {rows, cols}, strides = {row_stride, col_stride};
  check(dnnl_memory_desc_init_by_strides(&md, 2, dims, type, strides),
        "dnnl_memory_desc_init_by_strides", std::to_string(rows) + "x" + std::to_string(cols));
  return md;
}

inline Memory wrap(const dnnl_memory_desc_t& md, const void* data) {
  dnnl_memory_t m = nullptr;
  check(dnnl_memory_create(&m, &md, cpu_engine(), const_cast<void*>(data)), "dnnl_memory_create",
        "");
  return Memory(m);
}

inline std::string implementation(const_dnnl_primitive_desc_t pd) {
  const char* name = nullptr;
  if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) != dnnl_success || !name)
    return "?";
  return name;
}

// Whether this CPU gets a real (non-reference) bf16 matmul kernel.
inline bool has_bf16_matmul() {
  static const bool native = [] {
    const dnnl_memory_desc_t src = matrix_desc(16, 16, dnnl_bf16, 16, 1);
    const dnnl_memory_desc_t wei = matrix_desc(16, 16, dnnl_bf16, 1, 16);
    const dnnl_memory_desc_t dst = matrix_desc(16, 16, dnnl_f32, 16, 1);
    dnnl_matmul_desc_t desc;
    if (dnnl_matmul_desc_init(&desc, &src, &wei, nullptr, &dst) != dnnl_success) return false;
    dnnl_primitive_desc_t pd = nullptr;
    if (dnnl_primitive_desc_create(&pd, &desc, nullptr, cpu_engine(), nullptr) != dnnl_success)
      return false;
    PrimitiveDesc owned(pd);
    return implementation(pd).rfind("ref", 0) != 0;
  }();
  return native;
}

}  // namespace adaptrec::backend::onednn
