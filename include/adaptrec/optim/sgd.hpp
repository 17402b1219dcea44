#pragma once
// Stochastic gradient descent with optional momentum, Nesterov momentum
// (Sutskever et al., ICML 2013) and L2 weight decay, with the exact semantics
// of torch.optim.SGD:
//   d = g + weight_decay * x
//   b = d                                   on a parameter's first step,
//   b = momentum * b + (1 - dampening) * d  afterwards
//   x -= lr * (nesterov ? d + momentum * b : b)        (with momentum)
//   x -= lr * d                                        (without)
#include <adaptrec/optim/concept.hpp>
#include <adaptrec/backend/cpu/optimizer.hpp>
#include <adaptrec/optim/parameter_list.hpp>

#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

namespace adaptrec::optim {

template <class T = float>
struct SgdOptions {
  T learning_rate = T(0.01);
  T momentum = T(0);
  bool nesterov = false;
  T weight_decay = T(0);
  T dampening = T(0);
};

template <class T = float>
class Sgd {
 public:
  using scalar_type = T;

  explicit Sgd(std::vector<NamedParameter<T>> params, SgdOptions<T> options = {})
      : params_(std::move(params), "Sgd"), options_(options),
        momentum_buffers_(params_.size()) {
    detail::require_learning_rate(options_.learning_rate, "Sgd");
    detail::require_option(options_.momentum >= 0 && std::isfinite(options_.momentum), "Sgd",
                           "momentum", options_.momentum, "must be finite and non-negative");
    detail::require_option(options_.weight_decay >= 0 && std::isfinite(options_.weight_decay),
                           "Sgd", "weight_decay", options_.weight_decay,
                           "must be finite and non-negative");
    detail::require_option(options_.dampening >= 0 && options_.dampening <= 1, "Sgd", "dampening",
                           options_.dampening, "must lie in [0, 1]");
    detail::require_option(!options_.nesterov || (options_.momentum > 0 && options_.dampening == 0),
                           "Sgd", "nesterov", 1.0,
                           "requires a positive momentum and zero dampening");
  }

  // Updates every trainable parameter; frozen ones and their buffers stay as they are.
  void step() {
    params_.require_finite_gradients([&](const Parameter<T>& p) { return touched_rows_only(p); });
    for (std::size_t i = 0; i < params_.size(); ++i)
      if (params_.parameter(i).trainable) update(i);
  }

  void zero_grad() { params_.zero_grad(); }
  T learning_rate() const { return options_.learning_rate; }
  void set_learning_rate(T learning_rate) {
    detail::require_learning_rate(learning_rate, "Sgd");
    options_.learning_rate = learning_rate;
  }
  std::size_t size() const { return params_.size(); }
  const SgdOptions<T>& options() const { return options_; }

 private:
  // Without momentum or decay, rows with zero gradient do not move, so a
  // sparse table's untouched rows can be skipped without changing the result.
  bool touched_rows_only(const Parameter<T>& p) const {
    return p.sparse && options_.momentum == 0 && options_.weight_decay == 0;
  }

  void update(std::size_t i) {
    Parameter<T>& p = params_.parameter(i);
    T* x = p.value.data();
    const T* g = p.grad.data();
    backend::cpu::SgdScalars<T> scalars{
        .learning_rate = options_.learning_rate,
        .weight_decay = options_.weight_decay,
        .momentum = options_.momentum,
        .one_minus_dampening = static_cast<T>(1.0 - static_cast<double>(options_.dampening)),
        .nesterov = options_.nesterov,
        .first_step = false};
    if (options_.momentum == 0) {
      detail::for_each_span(p, touched_rows_only(p), [&](index_t offset, index_t count) {
        backend::cpu::sgd_span(x + offset, g + offset, count, scalars);
      });
      return;
    }
    Tensor<T>& buffer = momentum_buffers_[i];
    scalars.first_step = buffer.empty();
    if (scalars.first_step) buffer = Tensor<T>(p.shape());
    T* b = buffer.data();
    detail::for_each_span(p, false, [&](index_t offset, index_t count) {
      backend::cpu::sgd_momentum_span(x + offset, g + offset, b + offset, count, scalars);
    });
  }

  detail::ParameterList<T> params_;
  SgdOptions<T> options_;
  std::vector<Tensor<T>> momentum_buffers_;  // empty until a parameter's first step
};

static_assert(Optimizer<Sgd<float>>);

}  // namespace adaptrec::optim
