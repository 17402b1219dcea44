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
#include <utility>

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
    if (!applied()) return record_identity(x);
    Tensor<T> y = Tensor<T>::uninitialized(x.shape());
    backend::multiply(x, draw_mask(x.shape()), y);
    return y;
  }
  // The same, reusing x's storage: the identity costs no copy, and the mask
  // multiplies in place.
  Tensor<T> forward(Tensor<T>&& x) {
    if (!applied()) return record_identity(std::move(x));
    backend::multiply(x, draw_mask(x.shape()), x);
    return std::move(x);
  }

  // Whether forward zeroes units: training with p > 0.
  bool applied() const { return training_ && p_ != T(0); }

  // dx = dy * mask (dy itself when the last forward was the identity).
  Tensor<T> backward(const Tensor<T>& dy) {
    require_shape(dy, input_shape_, "adaptrec::layers::Dropout::backward");
    if (mask_.empty()) return dy;
    auto dx = Tensor<T>::uninitialized(dy.shape());
    backend::multiply(dy, mask_, dx);
    return dx;
  }
  Tensor<T> backward(Tensor<T>&& dy) {
    require_shape(dy, input_shape_, "adaptrec::layers::Dropout::backward");
    if (!mask_.empty()) backend::multiply(dy, mask_, dy);
    return std::move(dy);
  }
  // For a caller that still needs dy: dy itself after an identity forward
  // (no copy), else dy * mask written to `scratch`.
  const Tensor<T>& backward(const Tensor<T>& dy, Tensor<T>& scratch) {
    if (mask_.empty()) {
      require_shape(dy, input_shape_, "adaptrec::layers::Dropout::backward");
      return dy;
    }
    scratch = backward(dy);
    return scratch;
  }

  template <class F>
  void visit_parameters(F&&, const std::string&) {}

 private:
  template <class X>
  Tensor<T> record_identity(X&& x) {
    mask_ = Tensor<T>{};
    input_shape_ = x.shape();
    return std::forward<X>(x);
  }

  // Drop when a uniform 53-bit integer falls below p * 2^53: one generator
  // call per element, no floating-point division.
  const Tensor<T>& draw_mask(const Shape& shape) {
    mask_ = Tensor<T>::uninitialized(shape);
    const double drop_below = static_cast<double>(p_) * 9007199254740992.0;
    const T keep_scale = T(1) / (T(1) - p_);
    for (T& m : mask_) m = static_cast<double>(rng_() >> 11) < drop_below ? T(0) : keep_scale;
    input_shape_ = shape;
    return mask_;
  }

  T p_;
  Rng rng_;
  Tensor<T> mask_;
  Shape input_shape_;
};

}  // namespace adaptrec::layers
