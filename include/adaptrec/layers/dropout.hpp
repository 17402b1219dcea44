#pragma once
// Inverted dropout (Srivastava et al., 2014, with the scaling moved to training
// time as in PyTorch): in training each unit is zeroed with probability p and
// the kept ones are scaled by 1/(1-p), so the expected activation is unchanged
// and evaluation is the identity. The layer owns its seeded generator.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>

#include <cstdint>
#include <string>

namespace adaptrec::layers {

template <class T = float>
class Dropout : public TrainingMode {
 public:
  using scalar_type = T;
  using input_type = Tensor<T>;
  using output_type = Tensor<T>;

  Dropout(T p, std::uint64_t seed) : p_(p), rng_(seed) {
    if (!(p >= T(0) && p < T(1)))
      throw invalid_argument("adaptrec::layers::Dropout: p must be in [0, 1), got " +
                             std::to_string(p));
  }

  T p() const { return p_; }

  // Restarts the mask sequence, e.g. so a gradient check sees the same mask in
  // every forward.
  void reseed(std::uint64_t seed) { rng_.seed(seed); }

  Tensor<T> forward(const Tensor<T>& x) {
    if (!training_ || p_ == T(0)) {
      mask_ = Tensor<T>{};
      input_shape_ = x.shape();
      return x;
    }
    mask_ = Tensor<T>(x.shape());
    // Drop when a uniform 53-bit integer falls below p * 2^53: one generator
    // call per element, no floating-point division.
    const double drop_below = static_cast<double>(p_) * 9007199254740992.0;
    const T keep_scale = T(1) / (T(1) - p_);
    for (T& m : mask_) m = static_cast<double>(rng_() >> 11) < drop_below ? T(0) : keep_scale;
    Tensor<T> y(x.shape());
    backend::multiply(x, mask_, y);
    input_shape_ = x.shape();
    return y;
  }

  // dx = dy * mask (dy itself when the last forward was the identity).
  Tensor<T> backward(const Tensor<T>& dy) {
    require_shape(dy, input_shape_, "adaptrec::layers::Dropout::backward");
    if (mask_.empty()) return dy;
    Tensor<T> dx(dy.shape());
    backend::multiply(dy, mask_, dx);
    return dx;
  }

  template <class F>
  void visit_parameters(F&&, const std::string&) {}

 private:
  T p_;
  Rng rng_;
  Tensor<T> mask_;
  Shape input_shape_;
};

}  // namespace adaptrec::layers
