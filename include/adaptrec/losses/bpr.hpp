#pragma once
// Bayesian personalised ranking (Rendle et al., UAI 2009, section 4.1):
//   l = -log sigmoid(s_pos - s_neg) = softplus(s_neg - s_pos),
// the softplus form staying finite for score gaps of any size.
// d l / d s_pos = -sigmoid(s_neg - s_pos) = -d l / d s_neg.
//
// Scores are paired element by element, or, with positive scores [N] and
// negative scores [N, K], each positive is paired with its K negatives and the
// mean runs over all N K pairs.
#include <adaptrec/losses/concept.hpp>
#include <adaptrec/losses/detail.hpp>

namespace adaptrec::losses {

template <class T = float>
class Bpr {
 public:
  using scalar_type = T;
  using PairGrad = losses::PairGrad<T>;

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
    const auto total = detail::parallel_sum<T>(pairs, 8, [&](index_t i) {
      const auto [softplus, sigmoid] = detail::softplus_sigmoid(neg[i] - pos[i / per_positive]);
      d_neg[i] = sigmoid * inv_pairs;
      return softplus;
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
  static constexpr const char* name = "Bpr";

  PairGrad gradient_;
  bool has_forward_ = false;
};

}  // namespace adaptrec::losses
