#pragma once
// Shared-bottom multi-task network (Caruana, 1997, "Multitask Learning",
// sec. 2; Ruder, 2017, "An Overview of Multi-Task Learning in Deep Neural
// Networks", sec. 3.1, hard parameter sharing) with scenarios as the tasks:
//   y = tower_s(bottom(x))
// The bottom MLP (ReLU after every layer) runs on the whole batch; each
// scenario's tower (ReLU between layers, none after the last) runs on that
// scenario's rows in one block.
#include <adaptrec/heads/scenario_routing.hpp>
#include <adaptrec/layers/mlp.hpp>
#include <span>
#include <string>
#include <vector>

namespace adaptrec::heads {

struct SharedBottomOptions {
  index_t input_dim = 0;
  index_t output_dim = 0;
  index_t num_scenarios = 0;
  std::vector<index_t> bottom_widths{};  // at least one layer
  std::vector<index_t> tower_widths{};   // hidden widths of each tower; empty: one Linear
};

template <class T = float>
class SharedBottom : public TrainingMode {
 public:
  using scalar_type = T;
  using input_type = Tensor<T>;
  using output_type = Tensor<T>;

  SharedBottom(const SharedBottomOptions& options, Rng& rng)
      : bottom_(bottom_sizes(checked(options)), rng, backend::Activation::relu, T(0), 0,
                /*activate_last=*/true) {
    towers_.reserve(static_cast<std::size_t>(options.num_scenarios));
    for (index_t s = 0; s < options.num_scenarios; ++s)
      towers_.emplace_back(
          layer_sizes(options.bottom_widths.back(), options.tower_widths, options.output_dim), rng);
  }

  index_t input_dim() const { return bottom_.in_features(); }
  index_t output_dim() const { return towers_.front().out_features(); }
  index_t num_scenarios() const { return static_cast<index_t>(towers_.size()); }
  layers::MLP<T>& bottom() { return bottom_; }
  layers::MLP<T>& tower(index_t s) { return towers_.at(static_cast<std::size_t>(s)); }

  // x [batch, input_dim] -> [batch, output_dim]
  Tensor<T> forward(const Tensor<T>& x, std::span<const index_t> scenario) {
    require_head_input(x, input_dim(), name);
    routing_ = ScenarioRouting(scenario, x.shape(), num_scenarios(), name);
    const Tensor<T> shared = bottom_.forward(x);
    Tensor<T> y(Shape{x.dim(0), output_dim()});
    for (index_t s : routing_.active()) {
      Tensor<T> rows;
      routing_.place(tower(s).forward(routing_.select(shared, s, rows)), s, y);
    }
    return y;
  }

  Tensor<T> backward(const Tensor<T>& dy) {
    require_shape(dy, Shape{routing_.batch(), output_dim()},
                  "adaptrec::heads::SharedBottom::backward");
    Tensor<T> d_shared(Shape{routing_.batch(), bottom_.out_features()});
    for (index_t s : routing_.active()) {
      Tensor<T> rows;
      routing_.add(tower(s).backward(routing_.select(dy, s, rows)), s, d_shared);
    }
    return bottom_.backward(d_shared);
  }

  void train(bool on = true) {
    training_ = on;
    bottom_.train(on);
    for (auto& t : towers_) t.train(on);
  }
  void eval() { train(false); }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    bottom_.visit_parameters(f, join_name(prefix, "bottom"));
    for (std::size_t s = 0; s < towers_.size(); ++s)
      towers_[s].visit_parameters(f, join_name(prefix, "towers." + std::to_string(s)));
  }

 private:
  static constexpr const char* name = "adaptrec::heads::SharedBottom";

  static const SharedBottomOptions& checked(const SharedBottomOptions& o) {
    require_positive(name, "input_dim", o.input_dim);
    require_positive(name, "output_dim", o.output_dim);
    require_positive(name, "num_scenarios", o.num_scenarios);
    if (o.bottom_widths.empty())
      throw invalid_argument(std::string(name) + ": bottom_widths needs at least one layer");
    require_positive_widths(name, "bottom_widths", o.bottom_widths);
    require_positive_widths(name, "tower_widths", o.tower_widths);
    return o;
  }
  static std::vector<index_t> bottom_sizes(const SharedBottomOptions& o) {
    std::vector<index_t> sizes{o.input_dim};
    sizes.insert(sizes.end(), o.bottom_widths.begin(), o.bottom_widths.end());
    return sizes;
  }

  layers::MLP<T> bottom_;
  std::vector<layers::MLP<T>> towers_;
  ScenarioRouting routing_;
};

}  // namespace adaptrec::heads
