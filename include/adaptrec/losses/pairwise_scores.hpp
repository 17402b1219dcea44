#pragma once
// What the pairwise ranking losses (bpr.hpp, margin_ranking.hpp) share: the
// pairing of positive and negative scores, the checks, and the mean over
// pairs with its gradients. Each loss supplies only its per-pair term.
//
// Scores are paired element by element, or, with positive scores [N] and
// negative scores [N, K], each positive is paired with its K negatives and the
// mean runs over all N K pairs.
#include <adaptrec/losses/concept.hpp>
#include <adaptrec/losses/detail.hpp>

namespace adaptrec::losses::detail {

// `pair(s_pos, s_neg)` returns {loss, d loss / d s_neg} of one pair, for a
// loss of s_neg - s_pos alone, so that d loss / d s_pos = -d loss / d s_neg.
// Fills `gradient` with the gradients of the mean and returns the mean.
template <class T, class PairTerm>
T mean_pairwise_loss(const char* name, const Tensor<T>& positive_scores,
                     const Tensor<T>& negative_scores, index_t work_per_pair, PairGrad<T>& gradient,
                     PairTerm&& pair) {
  const bool paired = positive_scores.shape() == negative_scores.shape();
  const bool per_row = negative_scores.rank() == 2 && positive_scores.rank() == 1 &&
                       negative_scores.dim(0) == positive_scores.dim(0);
  if (!paired && !per_row)
    throw shape_error(where(name, "positive scores") + " of shape " +
                      positive_scores.shape().to_string() + " and negative scores of shape " +
                      negative_scores.shape().to_string() +
                      " must have the same shape, or be [N] and [N, K]");
  require_nonempty(negative_scores, "negative scores", name);
  require_finite(positive_scores, name, "positive scores");
  require_finite(negative_scores, name, "negative scores");

  const index_t pairs = negative_scores.size();
  const index_t per_positive = paired ? 1 : negative_scores.dim(1);
  const T inv_pairs = T(1) / T(pairs);
  gradient.first = Tensor<T>::uninitialized(positive_scores.shape());
  gradient.second = Tensor<T>::uninitialized(negative_scores.shape());
  const T* pos = positive_scores.data();
  const T* neg = negative_scores.data();
  T* d_neg = gradient.second.data();
  const auto total = parallel_sum<T>(pairs, work_per_pair, [&](index_t i) {
    const auto [loss, d_loss] = pair(pos[i / per_positive], neg[i]);
    d_neg[i] = d_loss * inv_pairs;
    return loss;
  });
  // Each positive's gradient is minus the sum over its negatives'.
  T* d_pos = gradient.first.data();
  for (index_t i = 0; i < positive_scores.size(); ++i) {
    T sum = 0;
    for (index_t k = 0; k < per_positive; ++k) sum += d_neg[i * per_positive + k];
    d_pos[i] = -sum;
  }
  return static_cast<T>(total / pairs);
}

}  // namespace adaptrec::losses::detail
