#pragma once
// Mean squared error, for rating regression: l = mean_i (p_i - t_i)^2,
// d l / d p_i = 2 (p_i - t_i) / n.
#include <adaptrec/losses/concept.hpp>
#include <adaptrec/losses/detail.hpp>

namespace adaptrec::losses {

template <class T = float>
class MeanSquaredError {
 public:
  using scalar_type = T;

  // predictions and targets: any shapes with the same number of elements
  // ([N, 1] predictions against [N] ratings is the common case).
  T forward(const Tensor<T>& predictions, const Tensor<T>& targets) {
    detail::require_same_size(predictions, "predictions", targets, "targets", name);
    detail::require_nonempty(predictions, "predictions", name);
    detail::require_finite(predictions, name, "predictions");
    detail::require_finite(targets, name, "targets");
    const index_t n = predictions.size();
    gradient_ = Tensor<T>(predictions.shape());
    const T two_over_n = T(2) / T(n);
    const T* p = predictions.data();
    const T* t = targets.data();
    T* g = gradient_.data();
    const auto total = detail::parallel_sum<T>(n, 2, [&](index_t i) {
      const T residual = p[i] - t[i];
      g[i] = two_over_n * residual;
      return residual * residual;
    });
    has_forward_ = true;
    return static_cast<T>(total / n);
  }

  // d mean loss / d predictions, shaped like the predictions.
  Tensor<T> backward() const {
    detail::require_forward(has_forward_, name);
    return gradient_;
  }

 private:
  static constexpr const char* name = "MeanSquaredError";

  Tensor<T> gradient_;
  bool has_forward_ = false;
};

}  // namespace adaptrec::losses
