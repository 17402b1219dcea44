#pragma once
// Runs a test body on each CPU backend this build has (backend/cpu_backend.hpp).
#include <adaptrec/backend/cpu_backend.hpp>
#include <vector>

namespace adaptrec_test {

// Selects a CPU backend for a scope and restores the previous one.
class CpuBackendScope {
 public:
  explicit CpuBackendScope(adaptrec::backend::CpuBackend b)
      : saved_(adaptrec::backend::cpu_backend()) {
    adaptrec::backend::set_cpu_backend(b);
  }
  ~CpuBackendScope() { adaptrec::backend::set_cpu_backend(saved_); }
  CpuBackendScope(const CpuBackendScope&) = delete;
  CpuBackendScope& operator=(const CpuBackendScope&) = delete;

 private:
  adaptrec::backend::CpuBackend saved_;
};

inline std::vector<adaptrec::backend::CpuBackend> built_cpu_backends() {
  using adaptrec::backend::CpuBackend;
  if (adaptrec::backend::onednn_built) return {CpuBackend::eigen, CpuBackend::onednn};
  return {CpuBackend::eigen};
}

}  // namespace adaptrec_test
