#pragma once
// The module concept and the helpers that walk a module's parameters.
//
// A module maps an input to an output with `forward(x)`, caching what it needs;
// `backward(dy)` accumulates parameter gradients and returns the gradient with
// respect to the input (nothing, when the input is integer ids). Parameters are
// visited by dotted name: `visit_parameters(f, prefix)` calls
// `f(const std::string& name, Parameter<scalar_type>&)` for each one.
#include <adaptrec/core/parameter.hpp>

#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace adaptrec {

// `prefix.name`, or `name` at the root.
inline std::string join_name(std::string_view prefix, std::string_view name) {
  if (prefix.empty()) return std::string(name);
  std::string s(prefix);
  s += '.';
  s += name;
  return s;
}

// Whether a caller needs backward's input gradient. The lowest layer that a
// frozen model's trainable part reaches skips it (`skipped`: the result is
// then empty), as autograd does for inputs that need no gradient: for LoRA on
// every layer of a frozen encoder that saves layer 0's three input-gradient
// GEMMs.
enum class InputGradient { needed, skipped };

namespace detail {
template <class T>
struct ParameterVisitorArchetype {
  void operator()(const std::string&, Parameter<T>&) const {}
};
}  // namespace detail

template <class M>
concept Module = requires(M& m, const M& cm, const typename M::input_type& x,
                          const typename M::output_type& dy) {
  typename M::scalar_type;
  typename M::input_type;
  typename M::output_type;
  { m.forward(x) } -> std::convertible_to<typename M::output_type>;
  m.backward(dy);
  m.train(true);
  { cm.is_training() } -> std::convertible_to<bool>;
  m.visit_parameters(detail::ParameterVisitorArchetype<typename M::scalar_type>{}, std::string{});
};

// Leaf modules inherit the train/eval switch from here.
class TrainingMode {
 public:
  void train(bool on = true) { training_ = on; }
  void eval() { training_ = false; }
  bool is_training() const { return training_; }

 protected:
  bool training_ = true;
};

template <class T>
struct NamedParameter {
  std::string name;
  Parameter<T>* parameter;
};

// Every parameter of `module` with its full name, in visiting order.
template <class M>
auto collect_parameters(M& module, const std::string& prefix = {}) {
  using T = typename M::scalar_type;
  std::vector<NamedParameter<T>> out;
  module.visit_parameters(
      [&](const std::string& name, Parameter<T>& p) { out.push_back({name, &p}); }, prefix);
  return out;
}

template <class M>
void zero_grad(M& module) {
  module.visit_parameters(
      [](const std::string&, auto& p) { p.zero_grad(); }, std::string{});
}

template <class M>
void set_trainable(M& module, bool trainable) {
  module.visit_parameters(
      [&](const std::string&, auto& p) { p.trainable = trainable; }, std::string{});
}

template <class M>
bool any_trainable(M& module) {
  bool any = false;
  module.visit_parameters([&](const std::string&, auto& p) { any = any || p.trainable; },
                          std::string{});
  return any;
}

struct ParameterCount {
  std::size_t trainable = 0;
  std::size_t total = 0;
};

template <class M>
ParameterCount count_parameters(M& module) {
  ParameterCount c;
  module.visit_parameters(
      [&](const std::string&, auto& p) {
        c.total += static_cast<std::size_t>(p.size());
        if (p.trainable) c.trainable += static_cast<std::size_t>(p.size());
      },
      std::string{});
  return c;
}

}  // namespace adaptrec
