#pragma once
// Bottleneck adapters (Houlsby et al., "Parameter-Efficient Transfer Learning
// for NLP", ICML 2019, sec. 2.1 and fig. 2): a small residual network
//   y' = y + W_up act(W_down y + b_down) + b_up,   W_down: [m, d], W_up: [d, m]
// on the output of a sublayer's projection, before its residual connection
// and layer norm. Houlsby places one after the attention output projection
// and one after the feed-forward output; Pfeiffer et al. ("AdapterFusion",
// EACL 2021, sec. 3.2) keep only the one after the feed-forward network,
// halving the cost for the same quality. W_up starts at zero, so a fresh
// adapter is the identity and training starts from the pretrained model
// (Houlsby's "near-identity initialisation", made exact).
#include <adaptrec/io/json.hpp>
#include <adaptrec/layers/activation.hpp>
#include <adaptrec/layers/linear.hpp>
#include <adaptrec/layers/linear_hook.hpp>
#include <adaptrec/peft/detail/hooked_sites.hpp>
#include <adaptrec/peft/targets.hpp>

#include <memory>
#include <string>
#include <vector>

namespace adaptrec::peft {

template <class T = float>
class BottleneckAdapter final : public layers::LinearHook<T> {
 public:
  // Adapts the output of a Linear(in_features -> out_features).
  BottleneckAdapter(index_t in_features, index_t out_features, index_t bottleneck,
                    backend::Activation activation, Rng& rng)
      : in_features_(in_features),
        down_(out_features, checked_bottleneck(bottleneck), rng),
        activation_(activation),
        up_(bottleneck, out_features, rng) {
    up_.weight().value.set_zero();
    up_.bias().value.set_zero();
  }

  index_t in_features() const { return in_features_; }
  index_t out_features() const { return up_.out_features(); }
  index_t bottleneck() const { return down_.out_features(); }
  layers::Linear<T>& down() { return down_; }
  layers::Linear<T>& up() { return up_; }

  void forward(const Tensor<T>&, Tensor<T>& y) override {
    const Tensor<T> z = up_.forward(activation_.forward(down_.forward(y)));
    backend::axpy(T(1), z, y);
  }

  // y' = y + f(y): the frozen layer's output receives dy + J_f^T dy.
  layers::LinearHookGradient<T> backward(const Tensor<T>& dy) override {
    layers::LinearHookGradient<T> g;
    g.d_base_output = down_.backward(activation_.backward(up_.backward(dy)));
    backend::axpy(T(1), dy, g.d_base_output);
    return g;
  }

  void visit_parameters(const layers::ParameterVisitor<T>& visit,
                        const std::string& prefix) override {
    down_.visit_parameters(visit, join_name(prefix, "adapter.down"));
    up_.visit_parameters(visit, join_name(prefix, "adapter.up"));
  }
  void train(bool on) override {
    down_.train(on);
    activation_.train(on);
    up_.train(on);
  }

 private:
  static index_t checked_bottleneck(index_t m) {
    if (m <= 0)
      throw invalid_argument("adaptrec::peft::BottleneckAdapter: bottleneck must be positive, got " +
                             std::to_string(m));
    return m;
  }

  index_t in_features_;
  layers::Linear<T> down_;
  layers::DynamicActivation<T> activation_;
  layers::Linear<T> up_;
};

struct BottleneckAdapterOptions {
  enum class Placement { houlsby, pfeiffer };
  Placement placement = Placement::houlsby;
  index_t bottleneck = 64;
  backend::Activation activation = backend::Activation::relu;
  std::vector<std::size_t> layers;  // empty: every layer
};

template <class T = float>
class BottleneckAdapters {
 public:
  using scalar_type = T;
  using options_type = BottleneckAdapterOptions;

  BottleneckAdapters(encoders::Bert<T>& backbone, const BottleneckAdapterOptions& options, Rng& rng)
      : options_(options),
        sites_(linear_sites(backbone.num_layers(), options.layers, targets(options.placement),
                            "BottleneckAdapters"),
               "BottleneckAdapters") {
    for (const LinearSite& site : sites_.sites()) {
      auto& linear = target_linear(backbone, site.layer, site.target);
      sites_.add(std::make_unique<BottleneckAdapter<T>>(
          linear.in_features(), linear.out_features(), options.bottleneck, options.activation, rng));
    }
  }

  const BottleneckAdapterOptions& options() const { return options_; }
  const std::vector<LinearSite>& sites() const { return sites_.sites(); }
  BottleneckAdapter<T>& adapter(std::size_t i) { return sites_.hook(i); }

  void attach(encoders::Bert<T>& backbone) { sites_.attach(backbone); }
  void detach(encoders::Bert<T>& backbone) { sites_.detach(backbone); }
  bool attached_to(encoders::Bert<T>& backbone) { return sites_.attached_to(backbone); }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    sites_.visit_parameters(f, prefix);
  }
  void train(bool on = true) {
    training_ = on;
    sites_.train(on);
  }
  bool is_training() const { return training_; }

  io::Json config_json() const {
    io::Json c = io::Json::object();
    c.set("peft_type", "BOTTLENECK_ADAPTER");
    c.set("placement",
          options_.placement == BottleneckAdapterOptions::Placement::houlsby ? "houlsby"
                                                                              : "pfeiffer");
    c.set("bottleneck", options_.bottleneck);
    c.set("activation", backend::to_string(options_.activation));
    if (!options_.layers.empty()) {
      io::Json layers = io::Json::array();
      for (std::size_t l : options_.layers) layers.push_back(l);
      c.set("layers_to_transform", layers);
    }
    return c;
  }

 private:
  static std::vector<LinearTarget> targets(BottleneckAdapterOptions::Placement placement) {
    if (placement == BottleneckAdapterOptions::Placement::houlsby)
      return {LinearTarget::attention_output, LinearTarget::output};
    return {LinearTarget::output};
  }

  BottleneckAdapterOptions options_;
  detail::HookedSites<T, BottleneckAdapter<T>> sites_;
  bool training_ = true;
};

}  // namespace adaptrec::peft
