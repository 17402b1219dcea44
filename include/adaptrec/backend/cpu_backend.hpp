#pragma once
// Which CPU kernels run the float32 GEMMs: Eigen (always built, the
// double-precision-checkable reference) or oneDNN (when adaptrec was built
// with ADAPTREC_WITH_ONEDNN, the default wherever libdnnl-dev is found).
//
// The choice is process-wide. It starts from the environment variable
// ADAPTREC_CPU_BACKEND (`eigen` or `onednn`; unset means oneDNN when built)
// and can be changed in code with set_cpu_backend. Double-precision GEMMs
// always run on Eigen: oneDNN has no float64 kernels.
#include <adaptrec/core/error.hpp>
#include <atomic>
#include <cstdlib>
#include <string>

#if ADAPTREC_WITH_ONEDNN
#include <adaptrec/backend/onednn/gemm.hpp>
#include <adaptrec/backend/onednn/primitives.hpp>
#endif

namespace adaptrec::backend {

enum class CpuBackend { eigen, onednn };

inline constexpr bool onednn_built =
#if ADAPTREC_WITH_ONEDNN
    true;
#else
    false;
#endif

inline std::string to_string(CpuBackend b) { return b == CpuBackend::eigen ? "eigen" : "onednn"; }

// Parses a backend name; `source` names where it came from, for the message.
inline CpuBackend parse_cpu_backend(const std::string& name, const std::string& source) {
  if (name == "eigen") return CpuBackend::eigen;
  if (name == "onednn") {
    if (!onednn_built)
      throw invalid_argument(source +
                             " asks for the oneDNN CPU backend, but this program was "
                             "built without it (configure with ADAPTREC_WITH_ONEDNN=ON and "
                             "libdnnl-dev installed)");
    return CpuBackend::onednn;
  }
  throw invalid_argument(source + " is '" + name + "'; use 'eigen' or 'onednn'");
}

namespace detail {
inline CpuBackend cpu_backend_from_environment() {
  const char* env = std::getenv("ADAPTREC_CPU_BACKEND");
  if (env && *env) return parse_cpu_backend(env, "ADAPTREC_CPU_BACKEND");
  return onednn_built ? CpuBackend::onednn : CpuBackend::eigen;
}

inline std::atomic<CpuBackend>& cpu_backend_state() {
  static std::atomic<CpuBackend> state{cpu_backend_from_environment()};
  return state;
}
}  // namespace detail

inline CpuBackend cpu_backend() {
  return detail::cpu_backend_state().load(std::memory_order_relaxed);
}

// Throws invalid_argument when asked for oneDNN in a build without it.
inline void set_cpu_backend(CpuBackend b) {
  if (b == CpuBackend::onednn) parse_cpu_backend("onednn", "set_cpu_backend");
  detail::cpu_backend_state().store(b, std::memory_order_relaxed);
}

// One line for a program's log, e.g. "cpu: onednn 2.6.3 avx2 (float32 GEMM;
// bf16 on float32 kernels; int8 u8s8 with 7-bit weights)" or "cpu: eigen
// float32": which kernels each precision (backend/precision.hpp) gets.
inline std::string cpu_backend_description() {
#if ADAPTREC_WITH_ONEDNN
  if (cpu_backend() == CpuBackend::onednn)
    return "cpu: onednn " + onednn::version() + " " + onednn::effective_isa() + " (float32 GEMM; " +
           (onednn::has_bf16_matmul() ? "bf16 native" : "bf16 on float32 kernels") + "; int8 u8s8" +
           (onednn::has_int8_dot_product() ? "" : " with 7-bit weights") + ")";
#endif
  return std::string("cpu: eigen float32") + (onednn_built ? " (oneDNN built, not selected)" : "");
}

}  // namespace adaptrec::backend
