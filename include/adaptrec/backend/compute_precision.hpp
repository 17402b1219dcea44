#pragma once
// The precision a thread's GEMMs multiply in unless a call says otherwise:
// mixed-precision training on the CPU, as torch.autocast does it.
//
//   {
//     backend::ComputePrecisionScope bf16(backend::Precision::bf16);
//     loss = model.forward(batch);  // every GEMM and attention product in bf16
//     model.backward(...);          // the backward GEMMs too
//   }
//   optimizer.step();               // master weights, gradients and state: float32
//
// Inside the scope the inputs of each GEMM (weights and activations) are
// rounded to bfloat16 and the products summed in float32; everything else
// (activations between layers, layer norm, softmax, gradients, optimizer
// state) stays float32. The setting is per thread: a serving thread and a
// training thread do not see each other's.
#include <adaptrec/backend/precision.hpp>
#include <adaptrec/core/error.hpp>

#include <string>

namespace adaptrec::backend {

namespace detail {
inline Precision& compute_precision_slot() {
  thread_local Precision precision = Precision::fp32;
  return precision;
}
}  // namespace detail

inline Precision compute_precision() { return detail::compute_precision_slot(); }

class ComputePrecisionScope {
 public:
  // fp32 or bf16; int8 is for serving quantized weights (Linear::set_precision).
  explicit ComputePrecisionScope(Precision precision) : previous_(compute_precision()) {
    if (precision == Precision::int8)
      throw invalid_argument(
          "adaptrec::backend::ComputePrecisionScope: int8 is for serving packed weights "
          "(set_precision); GEMMs in training run in fp32 or bf16");
    detail::compute_precision_slot() = precision;
  }
  ~ComputePrecisionScope() { detail::compute_precision_slot() = previous_; }
  ComputePrecisionScope(const ComputePrecisionScope&) = delete;
  ComputePrecisionScope& operator=(const ComputePrecisionScope&) = delete;

 private:
  Precision previous_;
};

}  // namespace adaptrec::backend
