#pragma once
// A frozen [out, in] weight converted once into the precision a GEMM
// y = x W^T multiplies it in (backend/precision.hpp): kept as float32,
// rounded to bfloat16, or quantized to int8 per output channel. The oneDNN
// path also keeps it reordered into the layout its kernel prefers, made on
// first use and shared by copies.
//
// Packing copies: a weight changed afterwards is not seen until it is packed
// again (layers::Linear repacks on set_precision, merge and eval()).
#include <adaptrec/backend/precision.hpp>
#include <adaptrec/backend/quantize.hpp>
#include <adaptrec/core/tensor.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#if ADAPTREC_WITH_ONEDNN
#include <adaptrec/backend/onednn/gemm.hpp>
#endif

namespace adaptrec::backend {

// The values an input took on a calibration sample.
struct InputRange {
  double low = 0, high = 0;
};

struct Int8Options {
  ActivationScaling activations = ActivationScaling::per_token;
  // For ActivationScaling::calibrated: the input range seen on the
  // calibration sample (widened to hold 0). Inputs are quantized to uint8
  // over it, values beyond it clipped. layers::Linear fills it from the range
  // it observed when it is left empty. The {} lets designated initializers
  // leave it out without GCC's -Wmissing-field-initializers.
  std::optional<InputRange> calibrated_input_range{};
  // Weight levels: q in [-levels, levels]. 0 picks 127 where the CPU's int8
  // dot product sums u8 x s8 pairs without saturating (VNNI, AMX) and 63
  // elsewhere (AVX2's vpmaddubsw saturates pairs of 255 x 127 in int16).
  int weight_levels = 0;
};

namespace detail {
// oneDNN's view of one packed weight: reordered memory and primitives.
struct OnednnPackedState;
}  // namespace detail

// The largest int8 weight level that the selected CPU kernels sum exactly.
inline int default_int8_weight_levels() {
#if ADAPTREC_WITH_ONEDNN
  return onednn::has_int8_dot_product() ? 127 : 63;
#else
  return 127;
#endif
}

template <class T>
class PackedWeight {
 public:
  PackedWeight() = default;

  // weight: [out, in]. `name` is used in messages (e.g. the layer's name).
  PackedWeight(const Tensor<T>& weight, Precision precision, const Int8Options& int8 = {},
               const std::string& name = "weight")
      : precision_(precision), out_(weight.rank() == 2 ? weight.dim(0) : -1),
        in_(weight.rank() == 2 ? weight.dim(1) : -1), name_(name) {
    if (weight.rank() != 2)
      throw shape_error("adaptrec::backend::PackedWeight: " + name + " of shape " +
                        weight.shape().to_string() + " is not [out, in]");
    require_cpu(weight);
    switch (precision) {
      case Precision::fp32:
        values_ = weight;
        break;
      case Precision::bf16:
        values_ = Tensor<T>::uninitialized(weight.shape());
        round_to_bfloat16(weight.data(), values_.data(), weight.size());
        break;
      case Precision::int8:
        pack_int8(weight, int8);
        break;
    }
  }

  bool empty() const { return out_ < 0; }
  Precision precision() const { return precision_; }
  index_t out_features() const { return out_; }
  index_t in_features() const { return in_; }
  const std::string& name() const { return name_; }

  // fp32 and bf16: the weight exactly as the kernels multiply it, [out, in].
  const Tensor<T>& values() const { return values_; }

  // int8: q [out, in] with W[o, i] ~ q[o, i] * weight_scales()[o].
  const std::vector<std::int8_t>& quantized() const { return quantized_; }
  const std::vector<T>& weight_scales() const { return weight_scales_; }
  // Sum of q over each output row: the correction for inputs with a zero point.
  const std::vector<T>& quantized_row_sums() const { return row_sums_; }
  int weight_levels() const { return weight_levels_; }
  ActivationScaling activation_scaling() const { return activation_scaling_; }
  // ActivationScaling::calibrated: the uint8 scale and zero point of the
  // calibrated input range.
  const AsymmetricScale<T>& calibrated_input() const { return calibrated_input_; }

#if ADAPTREC_WITH_ONEDNN
  // Created on first use by the oneDNN path (backend/onednn/matmul.hpp).
  detail::OnednnPackedState* onednn_state() const { return onednn_.get(); }
  void set_onednn_state(std::shared_ptr<detail::OnednnPackedState> state) const {
    onednn_ = std::move(state);
  }
  std::mutex& onednn_mutex() const { return *onednn_mutex_; }
#endif

 private:
  static void require_cpu(const Tensor<T>& w) {
    if (!w.device().is_cpu())
      throw error("adaptrec::backend::PackedWeight: the weight is not on the CPU");
  }

  void pack_int8(const Tensor<T>& weight, const Int8Options& o) {
    weight_levels_ = o.weight_levels == 0 ? default_int8_weight_levels() : o.weight_levels;
    if (weight_levels_ < 1 || weight_levels_ > 127)
      throw invalid_argument("adaptrec::backend::PackedWeight: int8 weight_levels must be in "
                             "[1, 127], got " + std::to_string(o.weight_levels));
    activation_scaling_ = o.activations;
    if (o.activations == ActivationScaling::calibrated) {
      const std::string where = "adaptrec::backend::PackedWeight: " + name_ + ": ";
      if (!o.calibrated_input_range)
        throw invalid_argument(where + "calibrated int8 needs calibrated_input_range");
      const auto [low, high] = *o.calibrated_input_range;
      if (!std::isfinite(low) || !std::isfinite(high) || low > high)
        throw invalid_argument(where + "the calibrated input range [" + std::to_string(low) + ", " +
                               std::to_string(high) + "] must be finite with low <= high");
      calibrated_input_ = AsymmetricScale<T>(T(std::min(low, 0.0)), T(std::max(high, 0.0)));
    }
    quantized_.resize(static_cast<std::size_t>(weight.size()));
    weight_scales_.resize(static_cast<std::size_t>(out_));
    row_sums_.resize(static_cast<std::size_t>(out_));
    quantize_rows_symmetric(weight.data(), out_, in_, weight_levels_, quantized_.data(),
                            weight_scales_.data(), "adaptrec::backend::PackedWeight: " + name_);
    for (index_t o_row = 0; o_row < out_; ++o_row) {
      std::int32_t sum = 0;
      for (index_t i = 0; i < in_; ++i) sum += quantized_[static_cast<std::size_t>(o_row * in_ + i)];
      // Exact in float while |sum| <= 127 * in_ < 2^24.
      row_sums_[static_cast<std::size_t>(o_row)] = T(sum);
    }
  }

  Precision precision_ = Precision::fp32;
  index_t out_ = -1, in_ = -1;
  std::string name_;
  Tensor<T> values_;
  std::vector<std::int8_t> quantized_;
  std::vector<T> weight_scales_;
  std::vector<T> row_sums_;
  int weight_levels_ = 0;
  ActivationScaling activation_scaling_ = ActivationScaling::per_token;
  AsymmetricScale<T> calibrated_input_;
#if ADAPTREC_WITH_ONEDNN
  mutable std::shared_ptr<detail::OnednnPackedState> onednn_;
  std::shared_ptr<std::mutex> onednn_mutex_ = std::make_shared<std::mutex>();
#endif
};

}  // namespace adaptrec::backend
