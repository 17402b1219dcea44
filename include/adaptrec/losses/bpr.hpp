#pragma once
// Bayesian personalised ranking (Rendle et al., UAI 2009, section 4.1):
//   l = -log sigmoid(s_pos - s_neg) = softplus(s_neg - s_pos),
// the softplus form staying finite for score gaps of any size.
// d l / d s_pos = -sigmoid(s_neg - s_pos) = -d l / d s_neg.
//
// Scores are paired element by element, or [N] positives with [N, K]
// negatives (losses/pairwise_scores.hpp).
#include <adaptrec/losses/concept.hpp>
#include <adaptrec/losses/pairwise_scores.hpp>
#include <utility>

namespace adaptrec::losses {

template <class T = float>
class Bpr {
 public:
  using scalar_type = T;
  using PairGrad = losses::PairGrad<T>;

  T forward(const Tensor<T>& positive_scores, const Tensor<T>& negative_scores) {
    const T value = detail::mean_pairwise_loss(
        name, positive_scores, negative_scores, 8, gradient_, [](T pos, T neg) {
          const auto [softplus, sigmoid] = detail::softplus_sigmoid(neg - pos);
          return std::pair<T, T>(softplus, sigmoid);
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
  static constexpr const char* name = "Bpr";

  PairGrad gradient_;
  bool has_forward_ = false;
};

}  // namespace adaptrec::losses
