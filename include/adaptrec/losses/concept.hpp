#pragma once
// The loss concept and the gradient pair that two-input losses return.
#include <adaptrec/core/tensor.hpp>

#include <concepts>

namespace adaptrec::losses {

// A Loss reduces model outputs (and targets) to one scalar: `forward(...)`
// returns the MEAN loss over the batch as a `scalar_type` and caches what the
// gradient needs; `backward()` then returns the gradient of that returned mean
// with respect to each differentiable input (a Tensor, or a struct of tensors
// when there are several). forward's arguments differ between losses (labels,
// targets, negatives), so the concept only fixes the backward half, which is
// what a training loop calls generically.
template <class L>
concept Loss = requires(L& loss) {
  typename L::scalar_type;
  requires std::floating_point<typename L::scalar_type>;
  loss.backward();
};

// Gradients of a loss with two differentiable inputs, in argument order:
// {d queries, d keys} for InfoNce, {d positive scores, d negative scores} for Bpr.
template <class T>
struct PairGrad {
  Tensor<T> first;
  Tensor<T> second;
};

// A loss of a two-tower model: scores queries (users) against keys (items),
// the i-th key being the i-th query's positive; key_ids let it tell a repeated
// item from a true negative. backward() gives {d queries, d keys}.
template <class L>
concept RetrievalLoss = Loss<L> && requires(L& loss, const Tensor<typename L::scalar_type>& q,
                                            const Tensor<index_t>& key_ids) {
  { loss.forward(q, q, key_ids) } -> std::convertible_to<typename L::scalar_type>;
  { loss.backward() } -> std::convertible_to<PairGrad<typename L::scalar_type>>;
};

template <class L>
consteval bool check_retrieval_loss() {
  static_assert(Loss<L>, "adaptrec::losses::RetrievalLoss: the type is no Loss (it needs a "
                         "floating-point `scalar_type` and `backward()`)");
  static_assert(RetrievalLoss<L>,
                "adaptrec::losses::RetrievalLoss: missing `T forward(const Tensor<T>& queries, "
                "const Tensor<T>& keys, const Tensor<index_t>& key_ids)` or `PairGrad<T> "
                "backward()`");
  return RetrievalLoss<L>;
}

}  // namespace adaptrec::losses
