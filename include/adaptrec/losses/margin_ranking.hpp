#pragma once
// Margin ranking (hinge) loss over pairs of a positive and a corrupted sample,
// the objective of TransE (Bordes et al., NeurIPS 2013, eq. 1, with the
// distance d written as minus the score s):
//   l = max(0, margin - s_pos + s_neg),
// the mean of torch.nn.MarginRankingLoss with target 1. A pair already
// separated by the margin costs nothing and gets no gradient; at the kink
// (margin - s_pos + s_neg = 0) the subgradient 0 is taken, as torch does.
//
// Scores are paired element by element, or, with positive scores [N] and
// negative scores [N, K], each positive is paired with its K negatives and the
// mean runs over all N K pairs.
#include <adaptrec/losses/concept.hpp>
#include <adaptrec/losses/detail.hpp>

#include <cmath>
#include <string>

namespace adaptrec::losses {

template <class T = float>
class MarginRankingLoss {
 public:
  using scalar_type = T;
  using PairGrad = losses::PairGrad<T>;

  explicit MarginRankingLoss(T margin = T(1)) : margin_(margin) {
    if (!(margin >= T(0)) || !std::isfinite(margin))
      throw invalid_argument(detail::where(name, "margin") + " must be finite and >= 0, got " +
                             std::to_string(margin));
  }

  T margin() const { return margin_; }

  T forward(const Tensor<T>& positive_scores, const Tensor<T>& negative_scores) {
    const bool paired = positive_scores.shape() == negative_scores.shape();
    const bool per_row = negative_scores.rank() == 2 && positive_scores.rank() == 1 &&
                         negative_scores.dim(0) == positive_scores.dim(0);
    if (!paired && !per_row)
      throw shape_error(detail::where(name, "positive scores") + " of shape " +
                        positive_scores.shape().to_string() + " and negative scores of shape " +
                        negative_scores.shape().to_string() +
                        " must have the same shape, or be [N] and [N, K]");
    detail::require_nonempty(negative_scores, "negative scores", name);
    detail::require_finite(positive_scores, name, "positive scores");
    detail::require_finite(negative_scores, name, "negative scores");

    const index_t pairs = negative_scores.size();
    const index_t per_positive = paired ? 1 : negative_scores.dim(1);
    const T inv_pairs = T(1) / T(pairs);
    gradient_.first = Tensor<T>(positive_scores.shape());
    gradient_.second = Tensor<T>(negative_scores.shape());
    const T* pos = positive_scores.data();
    const T* neg = negative_scores.data();
    T* d_neg = gradient_.second.data();
    const auto total = detail::parallel_sum<T>(pairs, 4, [&](index_t i) {
      const T violation = margin_ - pos[i / per_positive] + neg[i];
      const bool active = violation > T(0);
      d_neg[i] = active ? inv_pairs : T(0);
      return active ? violation : T(0);
    });
    // Each positive's gradient is minus the sum over its negatives'.
    T* d_pos = gradient_.first.data();
    for (index_t i = 0; i < positive_scores.size(); ++i) {
      T sum = 0;
      for (index_t k = 0; k < per_positive; ++k) sum += d_neg[i * per_positive + k];
      d_pos[i] = -sum;
    }
    has_forward_ = true;
    return static_cast<T>(total / pairs);
  }

  // {d mean loss / d positive scores, d mean loss / d negative scores}.
  PairGrad backward() const {
    detail::require_forward(has_forward_, name);
    return gradient_;
  }

 private:
  static constexpr const char* name = "MarginRankingLoss";

  T margin_;
  PairGrad gradient_;
  bool has_forward_ = false;
};

static_assert(Loss<MarginRankingLoss<float>>);

}  // namespace adaptrec::losses
