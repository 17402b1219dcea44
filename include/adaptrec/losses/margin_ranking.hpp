#pragma once
// Margin ranking (hinge) loss over pairs of a positive and a corrupted sample,
// the objective of TransE (Bordes et al., NeurIPS 2013, eq. 1, with the
// distance d written as minus the score s):
//   l = max(0, margin - s_pos + s_neg),
// the mean of torch.nn.MarginRankingLoss with target 1. A pair already
// separated by the margin costs nothing and gets no gradient; at the kink
// (margin - s_pos + s_neg = 0) the subgradient 0 is taken, as torch does.
//
// Scores are paired element by element, or [N] positives with [N, K]
// negatives (losses/pairwise_scores.hpp).
#include <adaptrec/losses/concept.hpp>
#include <adaptrec/losses/pairwise_scores.hpp>
#include <cmath>
#include <string>
#include <utility>

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
    const T value = detail::mean_pairwise_loss(
        name, positive_scores, negative_scores, 4, gradient_, [this](T pos, T neg) {
          const T violation = margin_ - pos + neg;
          return violation > T(0) ? std::pair<T, T>(violation, T(1)) : std::pair<T, T>(T(0), T(0));
        });
    has_forward_ = true;
    return value;
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
