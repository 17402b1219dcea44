#pragma once
// The optimizer concept: something that moves a fixed set of parameters along
// their accumulated gradients, one `step()` at a time, at a learning rate a
// schedule may change between steps.
#include <concepts>

namespace adaptrec::optim {

template <class O>
concept Optimizer = requires(O& optimizer, const O& const_optimizer,
                             typename O::scalar_type learning_rate) {
  typename O::scalar_type;
  optimizer.step();
  optimizer.zero_grad();
  { const_optimizer.learning_rate() } -> std::convertible_to<typename O::scalar_type>;
  optimizer.set_learning_rate(learning_rate);
};

}  // namespace adaptrec::optim
