#pragma once
// Multi-gate Mixture-of-Experts (Ma et al., KDD 2018, "Modeling Task
// Relationships in Multi-task Learning with Multi-gate Mixture-of-Experts",
// sec. 4.2-4.3), with scenarios as the tasks:
//   y = h^s(f^s(x)),  f^s(x) = sum_i g^s(x)_i f_i(x)   (eq. 5)
//   g^s(x) = softmax(W_gs x)                            (eq. 6, no bias)
// The n experts f_i are shared and run on the whole batch; scenario s's gate
// and tower h^s run on that scenario's rows only, so a row never pays for
// another scenario's gate or tower.
#include <adaptrec/heads/experts.hpp>
#include <adaptrec/heads/scenario_routing.hpp>
#include <adaptrec/layers/linear.hpp>
#include <adaptrec/layers/mlp.hpp>
#include <span>
#include <string>
#include <vector>

namespace adaptrec::heads {

struct MmoeOptions {
  index_t input_dim = 0;
  index_t output_dim = 0;
  index_t num_scenarios = 0;
  index_t num_experts = 0;
  std::vector<index_t> expert_widths{};  // hidden and output widths of each expert
  std::vector<index_t> tower_widths{};   // hidden widths of each tower; empty: one Linear
};

template <class T = float>
class Mmoe : public TrainingMode {
 public:
  using scalar_type = T;
  using input_type = Tensor<T>;
  using output_type = Tensor<T>;

  Mmoe(const MmoeOptions& options, Rng& rng)
      : experts_(checked(options).num_experts, options.input_dim, options.expert_widths, rng, name),
        mixtures_(static_cast<std::size_t>(options.num_scenarios)) {
    gates_.reserve(static_cast<std::size_t>(options.num_scenarios));
    towers_.reserve(static_cast<std::size_t>(options.num_scenarios));
    for (index_t s = 0; s < options.num_scenarios; ++s) {
      gates_.emplace_back(options.input_dim, options.num_experts, rng, /*with_bias=*/false);
      towers_.emplace_back(layer_sizes(experts_.width(), options.tower_widths, options.output_dim),
                           rng);
    }
  }

  index_t input_dim() const { return gates_.front().in_features(); }
  index_t output_dim() const { return towers_.front().out_features(); }
  index_t num_scenarios() const { return static_cast<index_t>(towers_.size()); }
  index_t num_experts() const { return experts_.count(); }
  ExpertGroup<T>& experts() { return experts_; }
  layers::Linear<T>& gate(index_t s) { return gates_.at(static_cast<std::size_t>(s)); }
  layers::MLP<T>& tower(index_t s) { return towers_.at(static_cast<std::size_t>(s)); }
  // Scenario s's gate weights for its rows of the last forward, [rows, 1, n].
  const Tensor<T>& gate_probabilities(index_t s) const {
    return mixtures_.at(static_cast<std::size_t>(s)).probabilities();
  }

  // x [batch, input_dim] -> [batch, output_dim]
  Tensor<T> forward(const Tensor<T>& x, std::span<const index_t> scenario) {
    require_head_input(x, input_dim(), name);
    routing_ = ScenarioRouting(scenario, x.shape(), num_scenarios(), name);
    const Tensor<T> stacked = experts_.forward(x);
    Tensor<T> y(Shape{x.dim(0), output_dim()});
    for (index_t s : routing_.active()) {
      const auto i = static_cast<std::size_t>(s);
      Tensor<T> x_rows, expert_rows;
      const Tensor<T>& xs = routing_.select(x, s, x_rows);
      const Tensor<T> mixed =
          mixtures_[i].forward(gates_[i].forward(xs), routing_.select(stacked, s, expert_rows));
      routing_.place(towers_[i].forward(mixed), s, y);
    }
    return y;
  }

  Tensor<T> backward(const Tensor<T>& dy) {
    require_shape(dy, Shape{routing_.batch(), output_dim()}, "adaptrec::heads::Mmoe::backward");
    Tensor<T> dx(Shape{routing_.batch(), input_dim()});
    Tensor<T> d_stacked(Shape{routing_.batch(), experts_.count() * experts_.width()});
    for (index_t s : routing_.active()) {
      const auto i = static_cast<std::size_t>(s);
      Tensor<T> dy_rows;
      auto g = mixtures_[i].backward(towers_[i].backward(routing_.select(dy, s, dy_rows)));
      routing_.add(gates_[i].backward(g.logits), s, dx);
      routing_.add(g.stacked, s, d_stacked);
    }
    backend::axpy(T(1), experts_.backward(d_stacked), dx);
    return dx;
  }

  void train(bool on = true) {
    training_ = on;
    experts_.train(on);
    for (auto& g : gates_) g.train(on);
    for (auto& t : towers_) t.train(on);
  }
  void eval() { train(false); }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    experts_.visit_parameters(f, join_name(prefix, "experts"));
    for (std::size_t s = 0; s < gates_.size(); ++s)
      gates_[s].visit_parameters(f, join_name(prefix, "gates." + std::to_string(s)));
    for (std::size_t s = 0; s < towers_.size(); ++s)
      towers_[s].visit_parameters(f, join_name(prefix, "towers." + std::to_string(s)));
  }

 private:
  static constexpr const char* name = "adaptrec::heads::Mmoe";

  static const MmoeOptions& checked(const MmoeOptions& o) {
    require_positive(name, "input_dim", o.input_dim);
    require_positive(name, "output_dim", o.output_dim);
    require_positive(name, "num_scenarios", o.num_scenarios);
    require_positive(name, "num_experts", o.num_experts);
    require_positive_widths(name, "expert_widths", o.expert_widths);
    require_positive_widths(name, "tower_widths", o.tower_widths);
    return o;
  }

  ExpertGroup<T> experts_;
  std::vector<layers::Linear<T>> gates_;
  std::vector<layers::MLP<T>> towers_;
  std::vector<GatedMixture<T>> mixtures_;
  ScenarioRouting routing_;
};

}  // namespace adaptrec::heads
