#pragma once
// One side of a two-tower recommender as a static type: several encoders of
// the same ids (an item's ID embedding, its text through a pretrained encoder,
// its knowledge-graph entity, its image vector) and the fusion that joins
// their vectors.
//
//   using ItemSide = Tower<fusion::GatedFusion<float>, layers::Embedding<float>,
//                          encoders::ItemTextEncoder<float>>;
//
// Swapping a component is changing one type; a type that is no Encoder or no
// Fusion stops compilation with a message naming what it lacks.
#include <adaptrec/encoders/concept.hpp>
#include <adaptrec/fusion/concept.hpp>

#include <concepts>
#include <cstddef>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace adaptrec::recommender {

namespace detail {
// Encoders that keep per-scenario state (a per-scenario LoRA set) switch it
// here; the others ignore the call.
template <class E>
concept scenario_switching = requires(E& e, std::size_t s) { e.select_scenario(s); };
}  // namespace detail

template <class Fusion, class... Encoders>
class Tower {
  static_assert(sizeof...(Encoders) >= 1, "adaptrec::recommender::Tower: give at least one encoder");
  static_assert((encoders::check_encoder<Encoders>() && ...));
  static_assert(fusion::check_fusion<Fusion>());

 public:
  using scalar_type = typename Fusion::scalar_type;
  static_assert((std::same_as<typename Encoders::scalar_type, scalar_type> && ...),
                "adaptrec::recommender::Tower: the encoders and the fusion must share one "
                "scalar_type (all float or all double)");
  static constexpr std::size_t num_encoders = sizeof...(Encoders);
  static constexpr bool keeps_scenario_state = (detail::scenario_switching<Encoders> || ...);

  // `encoders` in the order of the type's parameters; the fusion must take
  // their widths in that order.
  Tower(Fusion fusion, Encoders... encoders)
      : fusion_(std::move(fusion)), encoders_(std::move(encoders)...) {
    const std::vector<index_t> widths = encoder_widths();
    if (fusion_.num_sources() != widths.size())
      throw invalid_argument("adaptrec::recommender::Tower: the fusion takes " +
                             std::to_string(fusion_.num_sources()) + " sources, the tower has " +
                             std::to_string(widths.size()) + " encoders");
    if constexpr (requires { fusion_.source_dims(); }) {
      for (std::size_t i = 0; i < widths.size(); ++i)
        if (fusion_.source_dims()[i] != widths[i])
          throw invalid_argument("adaptrec::recommender::Tower: encoder " + std::to_string(i) +
                                 " gives vectors of width " + std::to_string(widths[i]) +
                                 ", the fusion expects " +
                                 std::to_string(fusion_.source_dims()[i]));
    }
  }

  index_t output_dim() const { return fusion_.output_dim(); }
  Fusion& fusion() { return fusion_; }
  template <std::size_t I>
  auto& encoder() {
    return std::get<I>(encoders_);
  }

  std::vector<index_t> encoder_widths() const {
    return std::apply([](const auto&... e) { return std::vector<index_t>{e.output_dim()...}; },
                      encoders_);
  }

  // ids: [B] -> [B, output_dim()].
  Tensor<scalar_type> forward(const Tensor<index_t>& ids) {
    std::vector<Tensor<scalar_type>> sources;
    sources.reserve(num_encoders);
    std::apply([&](auto&... e) { (sources.push_back(e.forward(ids)), ...); }, encoders_);
    return fusion_.forward(sources);
  }

  void backward(const Tensor<scalar_type>& dy) {
    const std::vector<Tensor<scalar_type>> d_sources = fusion_.backward(dy);
    std::size_t i = 0;
    std::apply([&](auto&... e) { (e.backward(d_sources[i++]), ...); }, encoders_);
  }

  // Only when an encoder keeps per-scenario state, so that a pipeline can tell
  // at compile time whether its batches must hold one scenario.
  void select_scenario(std::size_t s)
    requires keeps_scenario_state
  {
    std::apply(
        [&](auto&... e) {
          (
              [&] {
                if constexpr (detail::scenario_switching<std::remove_reference_t<decltype(e)>>)
                  e.select_scenario(s);
              }(),
              ...);
        },
        encoders_);
  }

  // `encoders.<i>.*` and `fusion.*`.
  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    std::size_t i = 0;
    std::apply(
        [&](auto&... e) {
          (e.visit_parameters(f, join_name(prefix, "encoders." + std::to_string(i++))), ...);
        },
        encoders_);
    fusion_.visit_parameters(f, join_name(prefix, "fusion"));
  }

  void train(bool on = true) {
    training_ = on;
    std::apply([&](auto&... e) { (e.train(on), ...); }, encoders_);
    fusion_.train(on);
  }
  void eval() { train(false); }
  bool is_training() const { return training_; }

 private:
  Fusion fusion_;
  std::tuple<Encoders...> encoders_;
  bool training_ = true;
};

}  // namespace adaptrec::recommender
