#pragma once
// The fusion concept: a module that combines several per-example feature
// vectors ("sources": an item's ID embedding, its text vector from a
// pretrained encoder, its attributes, a knowledge-graph entity vector) into
// one. `forward(sources)` takes one [batch, source_dims[i]] tensor per source
// and returns [batch, output_dim()], caching what `backward` needs;
// `backward(dy)` accumulates parameter gradients and returns one gradient per
// source, in source order.
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/tensor.hpp>

#include <concepts>
#include <cstddef>
#include <string>
#include <vector>

namespace adaptrec::fusion {
namespace detail {

template <class F>
concept has_scalar_type = requires { typename F::scalar_type; };

template <class F>
concept fuses_sources =
    has_scalar_type<F> &&
    requires(F& f, const std::vector<Tensor<typename F::scalar_type>>& sources) {
      { f.forward(sources) } -> std::same_as<Tensor<typename F::scalar_type>>;
    };

template <class F>
concept returns_source_gradients =
    has_scalar_type<F> && requires(F& f, const Tensor<typename F::scalar_type>& dy) {
      { f.backward(dy) } -> std::same_as<std::vector<Tensor<typename F::scalar_type>>>;
    };

template <class F>
concept reports_output_dim = requires(const F& f) {
  { f.output_dim() } -> std::same_as<index_t>;
};

template <class F>
concept reports_num_sources = requires(const F& f) {
  { f.num_sources() } -> std::same_as<std::size_t>;
};

template <class F>
concept visits_parameters = has_scalar_type<F> && requires(F& f) {
  f.visit_parameters(::adaptrec::detail::ParameterVisitorArchetype<typename F::scalar_type>{},
                     std::string{});
};

template <class F>
concept switches_training_mode = requires(F& f, const F& cf) {
  f.train(true);
  { cf.is_training() } -> std::convertible_to<bool>;
};

}  // namespace detail

template <class F>
concept Fusion = detail::has_scalar_type<F> && detail::fuses_sources<F> &&
                 detail::returns_source_gradients<F> && detail::reports_output_dim<F> &&
                 detail::reports_num_sources<F> && detail::visits_parameters<F> &&
                 detail::switches_training_mode<F>;

// Pipeline templates call static_assert(check_fusion<F>()) so that a wrong type
// fails with a message naming the missing member rather than a wall of
// template errors.
template <class F>
consteval bool check_fusion() {
  static_assert(detail::has_scalar_type<F>,
                "adaptrec::fusion::Fusion: the type has no `scalar_type`");
  static_assert(detail::fuses_sources<F>,
                "adaptrec::fusion::Fusion: missing `Tensor<T> forward(const "
                "std::vector<Tensor<T>>& sources)`");
  static_assert(detail::returns_source_gradients<F>,
                "adaptrec::fusion::Fusion: missing `std::vector<Tensor<T>> backward(const "
                "Tensor<T>& dy)` returning one gradient per source");
  static_assert(detail::reports_output_dim<F>,
                "adaptrec::fusion::Fusion: missing `index_t output_dim() const`");
  static_assert(detail::reports_num_sources<F>,
                "adaptrec::fusion::Fusion: missing `std::size_t num_sources() const`");
  static_assert(detail::visits_parameters<F>,
                "adaptrec::fusion::Fusion: missing `visit_parameters(f, prefix)` calling "
                "f(const std::string&, Parameter<T>&)");
  static_assert(detail::switches_training_mode<F>,
                "adaptrec::fusion::Fusion: missing `train(bool)` or `bool is_training() const` "
                "(inherit TrainingMode)");
  return Fusion<F>;
}

}  // namespace adaptrec::fusion
