#pragma once
// Where a tensor's memory lives. Modules never branch on it themselves: they
// call the backend interface (adaptrec/backend/ops.hpp), which dispatches.
#include <string>

#ifdef ADAPTREC_WITH_CUDA
#include <cuda_runtime_api.h>
#endif

namespace adaptrec {

enum class DeviceKind { cpu, cuda };

struct Device {
  DeviceKind kind = DeviceKind::cpu;
  int index = 0;

  static constexpr Device cpu() { return {DeviceKind::cpu, 0}; }
  static constexpr Device cuda(int i = 0) { return {DeviceKind::cuda, i}; }
  bool is_cpu() const { return kind == DeviceKind::cpu; }
  bool is_cuda() const { return kind == DeviceKind::cuda; }
  friend bool operator==(const Device&, const Device&) = default;
  std::string to_string() const {
    return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index);
  }
};

// True when this build has the CUDA backend and a device is present at run time.
inline bool cuda_available() {
#ifdef ADAPTREC_WITH_CUDA
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
#else
  return false;
#endif
}

}  // namespace adaptrec
