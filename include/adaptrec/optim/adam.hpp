#pragma once
// Adam (Kingma & Ba, ICLR 2015, Algorithm 1) with bias correction, matching
// torch.optim.Adam (amsgrad off). With t the parameter's own step count:
//   g  = grad + weight_decay * x          (L2 penalty folded into the gradient)
//   m  = beta1 * m + (1 - beta1) * g
//   v  = beta2 * v + (1 - beta2) * g^2
//   x -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + epsilon)
// AdamW (adamw.hpp) runs the same update with the decay decoupled from it.
//
// With `lazy_sparse`, a row-sparse parameter (an embedding table) updates only
// its touched rows and their moments, as TensorFlow Addons' LazyAdam and
// torch.optim.SparseAdam do; a step in which it touched no row leaves it, its
// moments and its step count alone. Without it, the semantics are dense: the
// moments of every row decay and rows with zero gradient keep moving.
#include <adaptrec/optim/concept.hpp>
#include <adaptrec/backend/cpu/optimizer.hpp>
#include <adaptrec/optim/parameter_list.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace adaptrec::optim {

template <class T = float>
struct AdamOptions {
  T learning_rate = T(1e-3);
  T beta1 = T(0.9);
  T beta2 = T(0.999);
  T epsilon = T(1e-8);
  T weight_decay = T(0);  // L2, added to the gradient, as torch.optim.Adam
  bool lazy_sparse = false;
};

namespace detail {

enum class WeightDecayMode {
  added_to_gradient,  // L2 regularisation: g += weight_decay * x
  decoupled,          // Loshchilov & Hutter (ICLR 2019): x -= lr * weight_decay * x
};

// The one Adam implementation behind Adam and AdamW. `Options` has the fields
// of AdamOptions; `name` is the class users see, for error messages.
template <class T, class Options, WeightDecayMode decay_mode>
class AdamUpdate {
 public:
  using scalar_type = T;

  AdamUpdate(std::vector<NamedParameter<T>> params, const Options& options, const char* name)
      : params_(std::move(params), name), options_(options), state_(params_.size()) {
    require_learning_rate(options_.learning_rate, name);
    require_option(options_.beta1 >= 0 && options_.beta1 < 1, name, "beta1", options_.beta1,
                   "must lie in [0, 1)");
    require_option(options_.beta2 >= 0 && options_.beta2 < 1, name, "beta2", options_.beta2,
                   "must lie in [0, 1)");
    // Stricter than PyTorch: with epsilon 0, an element whose gradient has
    // always been zero divides 0 by 0.
    require_option(options_.epsilon > 0 && std::isfinite(options_.epsilon), name, "epsilon",
                   options_.epsilon, "must be finite and positive");
    require_option(options_.weight_decay >= 0 && std::isfinite(options_.weight_decay), name,
                   "weight_decay", options_.weight_decay, "must be finite and non-negative");
  }

  // Updates every trainable parameter; frozen ones, their moments and their
  // step counts stay as they are.
  void step() {
    params_.require_finite_gradients([&](const Parameter<T>& p) { return lazy(p); });
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const Parameter<T>& p = params_.parameter(i);
      if (!p.trainable || (lazy(p) && p.touched_rows.empty())) continue;
      update(i);
    }
  }

  void zero_grad() { params_.zero_grad(); }
  T learning_rate() const { return options_.learning_rate; }
  void set_learning_rate(T learning_rate) {
    require_learning_rate(learning_rate, params_.optimizer_name());
    options_.learning_rate = learning_rate;
  }
  std::size_t size() const { return params_.size(); }
  const Options& options() const { return options_; }

  // How many updates parameter i has received: the t of its bias correction.
  std::int64_t step_count(std::size_t i) const {
    if (i >= state_.size())
      throw index_error(std::string("adaptrec::optim::") + params_.optimizer_name() +
                        "::step_count: parameter index " + std::to_string(i) + " is not below " +
                        std::to_string(state_.size()));
    return state_[i].steps;
  }

 private:
  struct Moments {
    Tensor<T> first;   // m
    Tensor<T> second;  // v
    std::int64_t steps = 0;
  };

  bool lazy(const Parameter<T>& p) const { return options_.lazy_sparse && p.sparse; }

  void update(std::size_t i) {
    Parameter<T>& p = params_.parameter(i);
    Moments& s = state_[i];
    if (s.first.empty()) {
      s.first = Tensor<T>(p.shape());
      s.second = Tensor<T>(p.shape());
    }
    ++s.steps;
    // Scalars in double, as PyTorch computes them in Python floats.
    const double lr = static_cast<double>(options_.learning_rate);
    const double t = static_cast<double>(s.steps);
    const double beta1 = static_cast<double>(options_.beta1);
    const double beta2 = static_cast<double>(options_.beta2);
    const backend::cpu::AdamScalars<T> scalars{
        .one_minus_beta1 = static_cast<T>(1.0 - beta1),
        .beta2 = options_.beta2,
        .one_minus_beta2 = static_cast<T>(1.0 - beta2),
        .step_size = static_cast<T>(lr / (1.0 - std::pow(beta1, t))),
        .bias_correction2_sqrt = static_cast<T>(std::sqrt(1.0 - std::pow(beta2, t))),
        .epsilon = options_.epsilon,
        .weight_decay = options_.weight_decay,
        .shrink = static_cast<T>(1.0 - lr * static_cast<double>(options_.weight_decay))};
    T* x = p.value.data();
    const T* g = p.grad.data();
    T* m = s.first.data();
    T* v = s.second.data();
    for_each_span(p, lazy(p), [&](index_t offset, index_t count) {
      backend::cpu::adam_span<decay_mode == WeightDecayMode::decoupled>(x + offset, g + offset, m + offset,
                                                          v + offset, count, scalars);
    });
  }

  ParameterList<T> params_;
  Options options_;
  std::vector<Moments> state_;  // moments allocated on a parameter's first update
};

}  // namespace detail

template <class T = float>
class Adam
    : public detail::AdamUpdate<T, AdamOptions<T>, detail::WeightDecayMode::added_to_gradient> {
 public:
  explicit Adam(std::vector<NamedParameter<T>> params, AdamOptions<T> options = {})
      : detail::AdamUpdate<T, AdamOptions<T>, detail::WeightDecayMode::added_to_gradient>(
            std::move(params), options, "Adam") {}
};

static_assert(Optimizer<Adam<float>>);

}  // namespace adaptrec::optim
