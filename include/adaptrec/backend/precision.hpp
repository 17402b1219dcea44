#pragma once
// The number formats a frozen weight can be multiplied in, and how int8
// activations get their scales.
//
// fp32: float32 throughout. bf16: inputs and weights rounded to bfloat16
// (8 exponent bits, 7 mantissa bits), products summed in float32. int8:
// weights quantized symmetrically per output channel, activations to uint8
// with a zero point (asymmetrically) per token, per tensor, or over a range
// calibrated beforehand; products summed exactly in int32.
#include <adaptrec/core/error.hpp>

#include <string>
#include <string_view>

namespace adaptrec::backend {

enum class Precision { fp32, bf16, int8 };

// How int8 activations are scaled: over each row's own range (per_token,
// the most accurate), over the whole matrix's (per_tensor, one scale fused
// into the GEMM's output), or over a range measured on a calibration sample
// before serving (calibrated: no pass over the input to find it, but values
// beyond the calibrated range are clipped).
enum class ActivationScaling { per_token, per_tensor, calibrated };

inline const char* to_string(Precision p) {
  switch (p) {
    case Precision::fp32: return "fp32";
    case Precision::bf16: return "bf16";
    case Precision::int8: return "int8";
  }
  return "?";
}

inline const char* to_string(ActivationScaling s) {
  switch (s) {
    case ActivationScaling::per_token: return "per_token";
    case ActivationScaling::per_tensor: return "per_tensor";
    case ActivationScaling::calibrated: return "calibrated";
  }
  return "?";
}

// `source` names where the text came from (an option, a variable), for the message.
inline Precision parse_precision(std::string_view name, const std::string& source) {
  if (name == "fp32" || name == "float32") return Precision::fp32;
  if (name == "bf16" || name == "bfloat16") return Precision::bf16;
  if (name == "int8") return Precision::int8;
  throw invalid_argument(source + " is '" + std::string(name) + "'; use fp32, bf16 or int8");
}

inline ActivationScaling parse_activation_scaling(std::string_view name, const std::string& source) {
  if (name == "per_token") return ActivationScaling::per_token;
  if (name == "per_tensor") return ActivationScaling::per_tensor;
  if (name == "calibrated") return ActivationScaling::calibrated;
  throw invalid_argument(source + " is '" + std::string(name) +
                         "'; use per_token, per_tensor or calibrated");
}

}  // namespace adaptrec::backend
