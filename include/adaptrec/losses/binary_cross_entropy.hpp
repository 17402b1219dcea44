#pragma once
// Binary cross-entropy on logits, for click / conversion prediction:
//   l(x, t) = -t log sigmoid(x) - (1 - t) log(1 - sigmoid(x)) = softplus(x) - t x,
// written with softplus so that logits of any magnitude give a finite loss
// (the form of PyTorch's BCEWithLogitsLoss). d l / d x = sigmoid(x) - t.
#include <adaptrec/losses/concept.hpp>
#include <adaptrec/losses/detail.hpp>

namespace adaptrec::losses {

template <class T = float>
class BinaryCrossEntropyWithLogits {
 public:
  using scalar_type = T;

  // logits and targets: any shapes with the same number of elements; targets
  // are probabilities in [0, 1] (soft labels allowed). Returns the mean loss.
  T forward(const Tensor<T>& logits, const Tensor<T>& targets) {
    check_inputs(logits, targets);
    const index_t n = logits.size();
    gradient_ = Tensor<T>(logits.shape());
    const T inv_n = T(1) / T(n);
    const T* x = logits.data();
    const T* t = targets.data();
    T* g = gradient_.data();
    const auto total = detail::parallel_sum<T>(n, 8, [&](index_t i) {
      const auto [softplus, sigmoid] = detail::softplus_sigmoid(x[i]);
      g[i] = (sigmoid - t[i]) * inv_n;
      return softplus - t[i] * x[i];
    });
    has_forward_ = true;
    return static_cast<T>(total / n);
  }

  // Weighted mean sum_i w_i l_i / sum_i w_i. `weights` has either one entry per
  // logit, or one per row of logits (a per-sample weight shared by the row's
  // labels, for multi-label logits [N, K] and weights [N]).
  T forward(const Tensor<T>& logits, const Tensor<T>& targets, const Tensor<T>& weights) {
    check_inputs(logits, targets);
    const bool per_element = weights.shape().numel() == logits.size();
    if (!per_element && (logits.rank() < 2 || weights.shape().numel() != logits.rows()))
      throw shape_error(detail::where(name, "weights") + " of shape " +
                        weights.shape().to_string() + " give neither one weight per logit nor " +
                        "one per row of logits of shape " + logits.shape().to_string());
    detail::accumulator_t<T> weight_sum = 0;
    for (index_t i = 0; i < weights.size(); ++i) {
      if (!(weights[i] >= T(0)) || !std::isfinite(weights[i]))
        throw invalid_argument(detail::where(name, "weights") + " must be finite and >= 0, got " +
                               std::to_string(weights[i]) + " at position " + std::to_string(i));
      weight_sum += weights[i];
    }
    if (!per_element) weight_sum *= logits.cols();
    if (!(weight_sum > 0))
      throw invalid_argument(detail::where(name, "weights") + " of shape " +
                             weights.shape().to_string() + " sum to zero");

    const index_t n = logits.size(), cols = logits.cols();
    gradient_ = Tensor<T>(logits.shape());
    const T inv_sum = static_cast<T>(1 / weight_sum);
    const T* x = logits.data();
    const T* t = targets.data();
    const T* w = weights.data();
    T* g = gradient_.data();
    const auto total = detail::parallel_sum<T>(n, 8, [&](index_t i) {
      const T wi = per_element ? w[i] : w[i / cols];
      const auto [softplus, sigmoid] = detail::softplus_sigmoid(x[i]);
      g[i] = wi * (sigmoid - t[i]) * inv_sum;
      return wi * (softplus - t[i] * x[i]);
    });
    has_forward_ = true;
    return static_cast<T>(total / weight_sum);
  }

  // d mean loss / d logits, shaped like the logits.
  Tensor<T> backward() const {
    detail::require_forward(has_forward_, name);
    return gradient_;
  }

 private:
  static constexpr const char* name = "BinaryCrossEntropyWithLogits";

  static void check_inputs(const Tensor<T>& logits, const Tensor<T>& targets) {
    detail::require_same_size(logits, "logits", targets, "targets", name);
    detail::require_nonempty(logits, "logits", name);
    // softplus(x) - t x is inf - inf at x = +-inf: only finite logits have a loss.
    detail::require_finite(logits, name, "logits");
    for (index_t i = 0; i < targets.size(); ++i)
      if (!(targets[i] >= T(0) && targets[i] <= T(1)))
        throw invalid_argument(detail::where(name, "targets") + " must lie in [0, 1], got " +
                               std::to_string(targets[i]) + " at position " + std::to_string(i));
  }

  Tensor<T> gradient_;
  bool has_forward_ = false;
};

}  // namespace adaptrec::losses
