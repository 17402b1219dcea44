#pragma once
// LoRA's low-rank update of one frozen linear layer (Hu et al., "LoRA:
// Low-Rank Adaptation of Large Language Models", ICLR 2022, sec. 4.1):
//   y = x W^T + b + (alpha / r) * dropout(x) A^T B^T,   A: [r, in], B: [out, r]
// A starts as PyTorch's nn.Linear does (Kaiming-uniform, bound 1/sqrt(in), as
// Hugging Face PEFT draws it) and B at zero, so training starts from the
// pretrained function. Names `lora_A.weight`, `lora_B.weight` are PEFT's.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/layers/linear_hook.hpp>

#include <cmath>
#include <cstdint>
#include <string>

namespace adaptrec::peft {

template <class T = float>
class LoraLinear final : public layers::LinearHook<T> {
 public:
  LoraLinear(index_t in_features, index_t out_features, index_t rank, T alpha, T dropout, Rng& rng,
             std::uint64_t dropout_seed = 0)
      : a_(Shape{rank, in_features}),
        b_(Shape{out_features, rank}),
        scale_(alpha / T(rank)),
        dropout_(dropout),
        dropout_rng_(dropout_seed) {
    if (rank <= 0 || in_features <= 0 || out_features <= 0)
      throw invalid_argument("adaptrec::peft::LoraLinear: rank=" + std::to_string(rank) +
                             ", in=" + std::to_string(in_features) + " and out=" +
                             std::to_string(out_features) + " must be positive");
    if (!(dropout >= T(0) && dropout < T(1)))
      throw invalid_argument("adaptrec::peft::LoraLinear: dropout must be in [0, 1), got " +
                             std::to_string(dropout));
    const T bound = T(1) / std::sqrt(T(in_features));
    fill_uniform(a_.value, -bound, bound, rng);
    b_.value.set_zero();
  }

  index_t rank() const { return a_.shape()[0]; }
  index_t in_features() const { return a_.shape()[1]; }
  index_t out_features() const { return b_.shape()[0]; }
  T scale() const { return scale_; }
  Parameter<T>& lora_a() { return a_; }
  Parameter<T>& lora_b() { return b_; }

  void forward(const Tensor<T>& x, Tensor<T>& y) override {
    if (merged_) return;
    x_dropped_ = dropped_input(x);
    Shape u_shape = x.shape();
    u_shape[u_shape.rank() - 1] = rank();
    u_ = Tensor<T>::uninitialized(u_shape);
    backend::gemm(x_dropped_, backend::Trans::no, a_.value, backend::Trans::yes, u_);
    backend::gemm(u_, backend::Trans::no, b_.value, backend::Trans::yes, y, scale_, T(1));
  }

  // dB += s dy^T u ; du = s dy B ; dA += du^T x_d ; dx = (du A) o mask.
  layers::LinearHookGradient<T> backward(const Tensor<T>& dy) override {
    if (merged_) return {};
    if (u_.empty())
      throw error("adaptrec::peft::LoraLinear::backward: no forward to go back through");
    if (b_.trainable)
      backend::gemm(dy, backend::Trans::yes, u_, backend::Trans::no, b_.grad, scale_, T(1));
    auto du = Tensor<T>::uninitialized(u_.shape());
    backend::gemm(dy, backend::Trans::no, b_.value, backend::Trans::no, du, scale_, T(0));
    if (a_.trainable)
      backend::gemm(du, backend::Trans::yes, x_dropped_, backend::Trans::no, a_.grad, T(1), T(1));
    layers::LinearHookGradient<T> g;
    g.d_input = Tensor<T>::uninitialized(x_dropped_.shape());
    backend::gemm(du, backend::Trans::no, a_.value, backend::Trans::no, g.d_input);
    if (!mask_.empty()) backend::multiply(mask_, g.d_input, g.d_input);
    return g;
  }

  void visit_parameters(const layers::ParameterVisitor<T>& visit,
                        const std::string& prefix) override {
    visit(join_name(prefix, "lora_A.weight"), a_);
    visit(join_name(prefix, "lora_B.weight"), b_);
  }
  void train(bool on) override { training_ = on; }

  // W += s B A folds the update into the frozen weight (sec. 4.1, "No
  // Additional Inference Latency"); unmerging subtracts it again.
  bool mergeable() const override { return true; }
  bool merged() const override { return merged_; }
  void merge_into(Tensor<T>& weight) override {
    check_weight(weight, "merge_into");
    backend::gemm(b_.value, backend::Trans::no, a_.value, backend::Trans::no, weight, scale_, T(1));
    merged_ = true;
  }
  void unmerge_from(Tensor<T>& weight) override {
    check_weight(weight, "unmerge_from");
    backend::gemm(b_.value, backend::Trans::no, a_.value, backend::Trans::no, weight, -scale_,
                  T(1));
    merged_ = false;
  }

  void reseed_dropout(std::uint64_t seed) { dropout_rng_.seed(seed); }

 private:
  Tensor<T> dropped_input(const Tensor<T>& x) {
    mask_ = Tensor<T>{};
    if (!training_ || dropout_ == T(0)) return x;
    mask_ = Tensor<T>(x.shape());
    const double drop_below = static_cast<double>(dropout_) * 9007199254740992.0;
    const T keep_scale = T(1) / (T(1) - dropout_);
    for (T& m : mask_)
      m = static_cast<double>(dropout_rng_() >> 11) < drop_below ? T(0) : keep_scale;
    Tensor<T> out = x;
    backend::multiply(mask_, out, out);
    return out;
  }

  void check_weight(const Tensor<T>& weight, const char* what) const {
    if (!(weight.shape() == Shape{out_features(), in_features()}))
      throw shape_error(std::string("adaptrec::peft::LoraLinear::") + what + ": weight of shape " +
                        weight.shape().to_string() + " is not [" +
                        std::to_string(out_features()) + ", " + std::to_string(in_features()) +
                        "]");
  }

  Parameter<T> a_;
  Parameter<T> b_;
  T scale_;
  T dropout_;
  Rng dropout_rng_;
  bool training_ = true;
  bool merged_ = false;
  Tensor<T> x_dropped_, u_, mask_;
};

}  // namespace adaptrec::peft
