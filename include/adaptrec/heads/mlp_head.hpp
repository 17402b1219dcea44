#pragma once
// The scenario-unaware baseline: one MLP shared by every scenario,
// Linear -> ReLU -> ... -> Linear. The scenario ids are still checked, so
// swapping this head for a scenario-aware one changes no call site.
#include <adaptrec/heads/scenario_routing.hpp>
#include <adaptrec/layers/mlp.hpp>
#include <span>
#include <string>
#include <vector>

namespace adaptrec::heads {

struct MlpHeadOptions {
  index_t input_dim = 0;
  index_t output_dim = 0;
  index_t num_scenarios = 1;
  std::vector<index_t> hidden_widths{};  // empty: a single Linear
};

template <class T = float>
class MlpHead : public TrainingMode {
 public:
  using scalar_type = T;
  using input_type = Tensor<T>;
  using output_type = Tensor<T>;

  MlpHead(const MlpHeadOptions& options, Rng& rng)
      : num_scenarios_(checked(options).num_scenarios),
        mlp_(layer_sizes(options.input_dim, options.hidden_widths, options.output_dim), rng) {}

  index_t input_dim() const { return mlp_.in_features(); }
  index_t output_dim() const { return mlp_.out_features(); }
  index_t num_scenarios() const { return num_scenarios_; }
  layers::MLP<T>& mlp() { return mlp_; }

  // x [batch, input_dim] -> [batch, output_dim]
  Tensor<T> forward(const Tensor<T>& x, std::span<const index_t> scenario) {
    require_head_input(x, input_dim(), name);
    ScenarioRouting(scenario, x.shape(), num_scenarios_, name);
    batch_ = x.dim(0);
    return mlp_.forward(x);
  }

  Tensor<T> backward(const Tensor<T>& dy) {
    require_shape(dy, Shape{batch_, output_dim()}, "adaptrec::heads::MlpHead::backward");
    return mlp_.backward(dy);
  }

  void train(bool on = true) {
    training_ = on;
    mlp_.train(on);
  }
  void eval() { train(false); }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    mlp_.visit_parameters(f, join_name(prefix, "mlp"));
  }

 private:
  static constexpr const char* name = "adaptrec::heads::MlpHead";

  static const MlpHeadOptions& checked(const MlpHeadOptions& o) {
    require_positive(name, "input_dim", o.input_dim);
    require_positive(name, "output_dim", o.output_dim);
    require_positive(name, "num_scenarios", o.num_scenarios);
    require_positive_widths(name, "hidden_widths", o.hidden_widths);
    return o;
  }

  index_t num_scenarios_;
  layers::MLP<T> mlp_;
  index_t batch_ = 0;
};

}  // namespace adaptrec::heads
