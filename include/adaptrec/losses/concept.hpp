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

}  // namespace adaptrec::losses
