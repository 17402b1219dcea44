#pragma once
// An item text encoder adapted per scenario: one frozen pretrained encoder,
// one PEFT set (LoRA, adapters, ...) per scenario on its top layers, and the
// shared trainable projection of encoders::ItemTextEncoder. It is an
// encoders::Encoder with select_scenario(s), so a recommender::Tower holding
// it switches the set per batch (recommender::Recommender does so from the
// batch's scenario ids).
//
// The lower layers' states are cached by ItemTextEncoder, so a method's
// layers must lie within its fine-tuned top layers; the constructor checks.
#include <adaptrec/core/error.hpp>
#include <adaptrec/encoders/item_text_encoder.hpp>
#include <adaptrec/peft/scenario_adapters.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <utility>

namespace adaptrec::peft {

template <class Method>
class ScenarioTextEncoder : public TrainingMode {
 public:
  using scalar_type = typename Method::scalar_type;
  using options_type = typename Method::options_type;
  using T = scalar_type;

  // Freezes the whole backbone (the projection keeps training) and attaches
  // scenario 0's set.
  ScenarioTextEncoder(encoders::ItemTextEncoder<T> encoder, std::size_t num_scenarios,
                      const options_type& options, Rng& rng)
      : encoder_(std::move(encoder)),
        adapters_(checked_backbone(encoder_, options), num_scenarios, options, rng) {
    set_trainable(encoder_.encoder(), false);
    adapters_.select(encoder_.encoder(), 0);
  }

  encoders::ItemTextEncoder<T>& text_encoder() { return encoder_; }
  ScenarioAdapters<Method>& adapters() { return adapters_; }
  index_t output_dim() const { return encoder_.output_dim(); }
  std::size_t num_scenarios() const { return adapters_.num_scenarios(); }

  void select_scenario(std::size_t s) { adapters_.select(encoder_.encoder(), s); }

  // ids: any shape -> ids.shape + [output_dim()], through the active scenario's set.
  Tensor<T> forward(const Tensor<index_t>& ids) { return encoder_.forward(ids); }
  void backward(const Tensor<T>& dy) { encoder_.backward(dy); }

  // The text encoder's own parameters (`projection.*`, the tuned layers'
  // frozen weights), then every scenario's set (`scenario.<s>.*`). The active
  // set, which the tuned layers also carry, is visited once, under its
  // scenario's name.
  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    std::set<const Parameter<T>*> adapter_tensors;
    adapters_.visit_parameters(
        [&](const std::string&, Parameter<T>& p) { adapter_tensors.insert(&p); }, prefix);
    encoder_.visit_parameters(
        [&](const std::string& name, Parameter<T>& p) {
          if (!adapter_tensors.count(&p)) f(name, p);
        },
        prefix);
    adapters_.visit_parameters(f, prefix);
  }

  void train(bool on = true) {
    training_ = on;
    encoder_.train(on);
    adapters_.train(on);
  }
  void eval() { train(false); }

 private:
  static encoders::Bert<T>& checked_backbone(encoders::ItemTextEncoder<T>& encoder,
                                             const options_type& options) {
    const std::size_t num_layers = encoder.encoder().num_layers();
    const std::size_t first_tuned =
        num_layers - static_cast<std::size_t>(encoder.options().fine_tune_top_layers);
    if constexpr (requires { options.layers; }) {
      const std::size_t lowest =
          options.layers.empty() ? 0
                                 : *std::min_element(options.layers.begin(), options.layers.end());
      if (lowest < first_tuned)
        throw invalid_argument(
            "adaptrec::peft::ScenarioTextEncoder: the method adapts layer " +
            std::to_string(lowest) + ", but the text encoder caches layers below " +
            std::to_string(first_tuned) + " (fine_tune_top_layers=" +
            std::to_string(encoder.options().fine_tune_top_layers) +
            "); choose layers in the top ones or fine-tune more layers");
    }
    return encoder.encoder();
  }

  encoders::ItemTextEncoder<T> encoder_;
  ScenarioAdapters<Method> adapters_;
};

}  // namespace adaptrec::peft
