#pragma once
// Double-precision references for what the GEMM kernels fuse after their
// product and for the numbers a bf16 GEMM multiplies.
#include <adaptrec/backend/cpu/elementwise.hpp>
#include <adaptrec/io/detail/half.hpp>
#include <cmath>

namespace adaptrec_test {

inline double activate(adaptrec::backend::Activation a, double x) {
  using adaptrec::backend::Activation;
  switch (a) {
    case Activation::identity: return x;
    case Activation::relu: return x > 0 ? x : 0;
    case Activation::gelu: return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    case Activation::gelu_tanh:
      return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    case Activation::tanh: return std::tanh(x);
    case Activation::sigmoid: return 1 / (1 + std::exp(-x));
  }
  return x;
}

// bfloat16 by an independent route from the kernels': io's double-based rounding.
inline double bf16_reference(double v) {
  namespace d = adaptrec::io::detail;
  return d::bfloat16_bits_to_float(d::round_double_to_small_float<8, 7>(v));
}

}  // namespace adaptrec_test
