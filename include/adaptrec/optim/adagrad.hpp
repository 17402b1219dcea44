#pragma once
// Adagrad (Duchi, Hazan & Singer, JMLR 2011), matching torch.optim.Adagrad
// without learning-rate decay:
//   g  = grad + weight_decay * x
//   s += g^2                         (s starts at initial_accumulator)
//   x -= lr * g / (sqrt(s) + epsilon)
// A row-sparse parameter (an embedding table) updates only its touched rows and
// their accumulators, as torch does for sparse gradients. Weight decay then
// applies to touched rows only (torch refuses decay with sparse gradients).
#include <adaptrec/optim/concept.hpp>
#include <adaptrec/backend/cpu/optimizer.hpp>
#include <adaptrec/optim/parameter_list.hpp>

#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

namespace adaptrec::optim {

template <class T = float>
struct AdagradOptions {
  T learning_rate = T(0.01);
  T initial_accumulator = T(0);
  T epsilon = T(1e-10);
  T weight_decay = T(0);
};

template <class T = float>
class Adagrad {
 public:
  using scalar_type = T;

  explicit Adagrad(std::vector<NamedParameter<T>> params, AdagradOptions<T> options = {})
      : params_(std::move(params), "Adagrad"), options_(options), accumulators_(params_.size()) {
    detail::require_learning_rate(options_.learning_rate, "Adagrad");
    detail::require_option(
        options_.initial_accumulator >= 0 && std::isfinite(options_.initial_accumulator),
        "Adagrad", "initial_accumulator", options_.initial_accumulator,
        "must be finite and non-negative");
    // Stricter than PyTorch: with epsilon 0 and a zero accumulator, a zero
    // gradient divides 0 by 0.
    detail::require_option(options_.epsilon > 0 && std::isfinite(options_.epsilon), "Adagrad",
                           "epsilon", options_.epsilon, "must be finite and positive");
    detail::require_option(options_.weight_decay >= 0 && std::isfinite(options_.weight_decay),
                           "Adagrad", "weight_decay", options_.weight_decay,
                           "must be finite and non-negative");
  }

  // Updates every trainable parameter; frozen ones and their accumulators stay
  // as they are.
  void step() {
    params_.require_finite_gradients([](const Parameter<T>& p) { return p.sparse; });
    for (std::size_t i = 0; i < params_.size(); ++i)
      if (params_.parameter(i).trainable) update(i);
  }

  void zero_grad() { params_.zero_grad(); }
  T learning_rate() const { return options_.learning_rate; }
  void set_learning_rate(T learning_rate) {
    detail::require_learning_rate(learning_rate, "Adagrad");
    options_.learning_rate = learning_rate;
  }
  std::size_t size() const { return params_.size(); }
  const AdagradOptions<T>& options() const { return options_; }

 private:
  void update(std::size_t i) {
    Parameter<T>& p = params_.parameter(i);
    Tensor<T>& accumulator = accumulators_[i];
    if (accumulator.empty()) accumulator = Tensor<T>::full(p.shape(), options_.initial_accumulator);
    T* x = p.value.data();
    const T* g = p.grad.data();
    T* a = accumulator.data();
    detail::for_each_span(p, p.sparse, [&](index_t offset, index_t count) {
      backend::cpu::adagrad_span(x + offset, g + offset, a + offset, count, options_.learning_rate,
                           options_.epsilon, options_.weight_decay);
    });
  }

  detail::ParameterList<T> params_;
  AdagradOptions<T> options_;
  std::vector<Tensor<T>> accumulators_;  // allocated on a parameter's first update
};

static_assert(Optimizer<Adagrad<float>>);

}  // namespace adaptrec::optim
