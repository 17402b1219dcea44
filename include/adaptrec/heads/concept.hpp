#pragma once
// What a scenario-aware head can do.
//
// A recommender that serves several scenarios (domains: genre groups of a
// catalogue, product categories, app surfaces) tags every example with a
// scenario id. A Head maps a shared representation x [batch, input_dim()] and
// one scenario id per row to [batch, output_dim()] (a user or item vector, or
// a logit when output_dim() == 1), caching what backward needs; backward(dy)
// accumulates parameter gradients and returns dx. Rows of different scenarios
// may share a batch.
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/tensor.hpp>
#include <concepts>
#include <span>
#include <string>

namespace adaptrec::heads {
namespace detail {

template <class H>
concept has_scalar_type = requires {
  typename H::scalar_type;
};

template <class H>
concept maps_scenario_batches = has_scalar_type<H> &&
    requires(H& h, const Tensor<typename H::scalar_type>& x, std::span<const index_t> scenario) {
  { h.forward(x, scenario) } -> std::same_as<Tensor<typename H::scalar_type>>;
};

template <class H>
concept returns_input_gradient = has_scalar_type<H> &&
    requires(H& h, const Tensor<typename H::scalar_type>& dy) {
  { h.backward(dy) } -> std::same_as<Tensor<typename H::scalar_type>>;
};

template <class H>
concept reports_dimensions = requires(const H& h) {
  { h.input_dim() } -> std::same_as<index_t>;
  { h.output_dim() } -> std::same_as<index_t>;
  { h.num_scenarios() } -> std::same_as<index_t>;
};

template <class H>
concept switches_training = requires(H& h, const H& seen) {
  h.train(true);
  { seen.is_training() } -> std::convertible_to<bool>;
};

template <class H>
concept visits_parameters = has_scalar_type<H> && requires(H& h) {
  h.visit_parameters(::adaptrec::detail::ParameterVisitorArchetype<typename H::scalar_type>{},
                     std::string{});
};

}  // namespace detail

template <class H>
concept Head = detail::has_scalar_type<H> && detail::maps_scenario_batches<H> &&
    detail::returns_input_gradient<H> && detail::reports_dimensions<H> &&
    detail::switches_training<H> && detail::visits_parameters<H>;

// Templates that take a head call static_assert(check_head<H>()) so that a
// wrong type fails with a message naming the missing member rather than a
// wall of template errors.
template <class H>
consteval bool check_head() {
  static_assert(detail::has_scalar_type<H>, "adaptrec::heads::Head: the type has no `scalar_type`");
  static_assert(detail::maps_scenario_batches<H>,
                "adaptrec::heads::Head: missing `Tensor<T> forward(const Tensor<T>& x, "
                "std::span<const index_t> scenario)`");
  static_assert(detail::returns_input_gradient<H>,
                "adaptrec::heads::Head: missing `Tensor<T> backward(const Tensor<T>& dy)`");
  static_assert(detail::reports_dimensions<H>,
                "adaptrec::heads::Head: missing `index_t input_dim() const`, `index_t "
                "output_dim() const` or `index_t num_scenarios() const`");
  static_assert(detail::switches_training<H>,
                "adaptrec::heads::Head: missing `train(bool)` or `bool is_training() const`");
  static_assert(detail::visits_parameters<H>,
                "adaptrec::heads::Head: missing `visit_parameters(f, prefix)`");
  return Head<H>;
}

}  // namespace adaptrec::heads
