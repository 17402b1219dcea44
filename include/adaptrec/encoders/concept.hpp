#pragma once
// The item encoder concept: whatever turns integer ids (items, entities) into
// vectors a recommender scores. An id table (layers::Embedding), a text tower
// (ItemTextEncoder), knowledge-graph embeddings (TransE) and projected
// precomputed features (MultimodalProjector) all fit one slot of a model:
//   forward(ids)   ids of any shape -> Tensor<T> of shape ids.shape + [output_dim()]
//   backward(dy)   dy of that shape; accumulates parameter gradients
//   output_dim()   the width of the vectors
// plus the module basics: scalar_type, train(bool), is_training() and
// visit_parameters(f, prefix).
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/tensor.hpp>

#include <concepts>
#include <string>

namespace adaptrec::encoders {
namespace detail {

template <class E>
concept has_scalar_type = requires {
  typename E::scalar_type;
}
&&std::floating_point<typename E::scalar_type>;

template <class E>
concept encodes_ids = has_scalar_type<E> && requires(E& e, const Tensor<index_t>& ids) {
  { e.forward(ids) } -> std::same_as<Tensor<typename E::scalar_type>>;
};

template <class E>
concept backpropagates = has_scalar_type<E> &&
    requires(E& e, const Tensor<typename E::scalar_type>& dy) {
  e.backward(dy);
};

template <class E>
concept reports_output_dim = requires(const E& e) {
  { e.output_dim() } -> std::same_as<index_t>;
};

template <class E>
concept switches_training_mode = requires(E& e, const E& ce) {
  e.train(true);
  { ce.is_training() } -> std::convertible_to<bool>;
};

template <class E>
concept visits_parameters = has_scalar_type<E> && requires(E& e) {
  e.visit_parameters(adaptrec::detail::ParameterVisitorArchetype<typename E::scalar_type>{},
                     std::string{});
};

}  // namespace detail

template <class E>
concept Encoder = detail::has_scalar_type<E> && detail::encodes_ids<E> &&
    detail::backpropagates<E> && detail::reports_output_dim<E> &&
    detail::switches_training_mode<E> && detail::visits_parameters<E>;

// Pipeline templates call static_assert(check_encoder<E>()) so that a wrong
// type fails with a message naming the missing member rather than a wall of
// template errors.
template <class E>
consteval bool check_encoder() {
  static_assert(detail::has_scalar_type<E>,
                "adaptrec::encoders::Encoder: the type has no floating-point `scalar_type`");
  static_assert(detail::encodes_ids<E>,
                "adaptrec::encoders::Encoder: missing `Tensor<scalar_type> forward(const "
                "Tensor<index_t>& ids)`");
  static_assert(detail::backpropagates<E>,
                "adaptrec::encoders::Encoder: missing `backward(const Tensor<scalar_type>& dy)`");
  static_assert(detail::reports_output_dim<E>,
                "adaptrec::encoders::Encoder: missing `index_t output_dim() const`");
  static_assert(detail::switches_training_mode<E>,
                "adaptrec::encoders::Encoder: missing `train(bool)` or `bool is_training() const` "
                "(inherit adaptrec::TrainingMode)");
  static_assert(detail::visits_parameters<E>,
                "adaptrec::encoders::Encoder: missing `visit_parameters(f, const std::string& "
                "prefix)`");
  return Encoder<E>;
}

}  // namespace adaptrec::encoders
