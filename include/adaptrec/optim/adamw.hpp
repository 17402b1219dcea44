#pragma once
// AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled
// Weight Decay Regularization", ICLR 2019, Algorithm 2), matching
// torch.optim.AdamW: before the Adam update on the raw gradient,
//   x -= lr * weight_decay * x
// so the decay is not rescaled by the adaptive denominator as an L2 term is.
// With `lazy_sparse`, only the touched rows of a sparse parameter decay.
#include <adaptrec/optim/adam.hpp>

#include <utility>
#include <vector>

namespace adaptrec::optim {

template <class T = float>
struct AdamWOptions {
  T learning_rate = T(1e-3);
  T beta1 = T(0.9);
  T beta2 = T(0.999);
  T epsilon = T(1e-8);
  T weight_decay = T(0.01);
  bool lazy_sparse = false;
};

template <class T = float>
class AdamW
    : public detail::AdamUpdate<T, AdamWOptions<T>, detail::WeightDecayMode::decoupled> {
 public:
  explicit AdamW(std::vector<NamedParameter<T>> params, AdamWOptions<T> options = {})
      : detail::AdamUpdate<T, AdamWOptions<T>, detail::WeightDecayMode::decoupled>(
            std::move(params), options, "AdamW") {}
};

static_assert(Optimizer<AdamW<float>>);

}  // namespace adaptrec::optim
