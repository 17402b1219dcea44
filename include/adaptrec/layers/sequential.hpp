#pragma once
// Static composition of modules, applied in order: the type spells the
// architecture (as dlib's nested layer types), and children are named
// "0", "1", ... like PyTorch's nn.Sequential, so checkpoint names carry over.
#include <adaptrec/core/module.hpp>

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace adaptrec::layers {

namespace detail {

// One function per element and per link, so a failed static_assert's
// instantiation trace names the offending type and position. They return true
// either way: the static_assert inside is the one diagnostic.
template <class M, std::size_t Position>
constexpr bool sequential_element_is_module() {
  static_assert(Module<M>,
                "adaptrec::layers::Sequential: an element does not satisfy adaptrec::Module "
                "(it needs scalar_type, input_type, output_type, forward, backward, train, "
                "is_training and visit_parameters); see the element type and Position in the "
                "instantiation trace");
  return true;
}

template <class Previous, class Next, std::size_t NextPosition>
constexpr bool sequential_link_matches() {
  constexpr bool types_match = std::is_same_v<typename Previous::output_type,
                                               typename Next::input_type>;
  static_assert(types_match,
                "adaptrec::layers::Sequential: the output_type of element NextPosition-1 is not "
                "the input_type of element NextPosition");
  constexpr bool same_scalar = std::is_same_v<typename Previous::scalar_type,
                                               typename Next::scalar_type>;
  static_assert(same_scalar,
                "adaptrec::layers::Sequential: elements NextPosition-1 and NextPosition have "
                "different scalar_types; visitors see Parameter<scalar_type> of one type");
  return true;
}

}  // namespace detail

template <class... Ms>
class Sequential {
  static_assert(sizeof...(Ms) >= 1, "adaptrec::layers::Sequential needs at least one module");

  static constexpr std::size_t size_ = sizeof...(Ms);
  template <std::size_t I>
  using element = std::tuple_element_t<I, std::tuple<Ms...>>;

  template <std::size_t... Is>
  static constexpr bool elements_are_modules(std::index_sequence<Is...>) {
    return (detail::sequential_element_is_module<Ms, Is>() && ...);
  }
  template <std::size_t... Is>
  static constexpr bool links_match(std::index_sequence<Is...>) {
    return (detail::sequential_link_matches<element<Is>, element<Is + 1>, Is + 1>() && ...);
  }
  static_assert(elements_are_modules(std::index_sequence_for<Ms...>{}));
  static_assert(links_match(std::make_index_sequence<size_ - 1>{}));

 public:
  using scalar_type = typename element<0>::scalar_type;
  using input_type = typename element<0>::input_type;
  using output_type = typename element<size_ - 1>::output_type;

  explicit Sequential(Ms... modules) : modules_(std::move(modules)...) {}

  static constexpr std::size_t size() { return size_; }

  template <std::size_t I>
  auto& get() {
    return std::get<I>(modules_);
  }
  template <std::size_t I>
  const auto& get() const {
    return std::get<I>(modules_);
  }

  output_type forward(const input_type& x) { return forward_from<0>(x); }

  // Runs the modules' backwards in reverse; returns the first module's input
  // gradient, or nothing when the first module takes ids.
  auto backward(const output_type& dy) { return backward_from<size_ - 1>(dy); }

  void train(bool on = true) {
    training_ = on;
    std::apply([on](auto&... m) { (m.train(on), ...); }, modules_);
  }
  void eval() { train(false); }
  bool is_training() const { return training_; }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    visit_from<0>(f, prefix);
  }

 private:
  template <std::size_t I, class In>
  output_type forward_from(const In& x) {
    if constexpr (I + 1 == size_)
      return std::get<I>(modules_).forward(x);
    else
      return forward_from<I + 1>(std::get<I>(modules_).forward(x));
  }

  template <std::size_t I, class Grad>
  auto backward_from(const Grad& dy) {
    if constexpr (I == 0) {
      return std::get<0>(modules_).backward(dy);
    } else {
      using InputGrad = decltype(std::get<I>(modules_).backward(dy));
      static_assert(!std::is_void_v<InputGrad>,
                    "adaptrec::layers::Sequential: only the first module may have a backward "
                    "that returns no input gradient");
      return backward_from<I - 1>(std::get<I>(modules_).backward(dy));
    }
  }

  template <std::size_t I, class F>
  void visit_from(F& f, const std::string& prefix) {
    std::get<I>(modules_).visit_parameters(f, join_name(prefix, std::to_string(I)));
    if constexpr (I + 1 < size_) visit_from<I + 1>(f, prefix);
  }

  std::tuple<Ms...> modules_;
  bool training_ = true;
};

}  // namespace adaptrec::layers
