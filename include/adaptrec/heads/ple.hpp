#pragma once
// Progressive Layered Extraction (Tang et al., RecSys 2020, "Progressive
// Layered Extraction (PLE): A Novel Multi-Task Learning (MTL) Model for
// Personalized Recommendations", sec. 4.2-4.3), with scenarios as the tasks.
//
// Each extraction level j has shared experts and experts of each scenario.
// Scenario s's gate mixes its own experts and the shared ones (sec. 4.2 for
// one level, sec. 4.3 for several):
//   g^{s,j} = softmax(W_g^{s,j} g^{s,j-1}) [E_{s,1..m_k}, E_{shared,1..m_s}]
// where scenario s's experts read g^{s,j-1} and the shared ones read the
// shared gate's output g^{shared,j-1} (level 0 reads x everywhere). Below the
// last level a shared gate, with one logit for every expert of the level,
// mixes the experts for the next level's shared experts. Towers per scenario
// read g^{s,N}.
//
// Scenarios differ from tasks in one way: a row belongs to one scenario, so
// the only scenario experts that exist for it are its own. The shared gate
// therefore mixes, for a row of scenario s, the shared experts and s's experts
// (softmax over those logits of its output); the logits of other scenarios'
// experts take no part. A batch of scenario 0 thus leaves every other
// scenario's experts, gates and tower untouched.
#include <adaptrec/heads/experts.hpp>
#include <adaptrec/heads/scenario_routing.hpp>
#include <adaptrec/layers/linear.hpp>
#include <adaptrec/layers/mlp.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace adaptrec::heads {

struct PleOptions {
  index_t input_dim = 0;
  index_t output_dim = 0;
  index_t num_scenarios = 0;
  index_t num_levels = 1;                // 1 is the single-level CGC (sec. 4.2)
  index_t shared_experts = 1;            // m_s per level
  index_t scenario_experts = 1;          // m_k per scenario and level
  std::vector<index_t> expert_widths{};  // hidden and output widths of each expert
  std::vector<index_t> tower_widths{};   // hidden widths of each tower; empty: one Linear
};

namespace detail {

// One extraction network: maps each active scenario's rows and the shared
// representation to the next level's, in place.
template <class T>
class ExtractionLevel {
 public:
  ExtractionLevel(const PleOptions& o, index_t input_dim, bool last, Rng& rng)
      : num_scenarios_(o.num_scenarios),
        own_(o.scenario_experts),
        shared_(o.shared_experts),
        shared_experts_(o.shared_experts, input_dim, o.expert_widths, rng, name),
        scenario_mixtures_(static_cast<std::size_t>(o.num_scenarios)) {
    for (index_t s = 0; s < o.num_scenarios; ++s) {
      scenario_experts_.emplace_back(own_, input_dim, o.expert_widths, rng, name);
      scenario_gates_.emplace_back(input_dim, own_ + shared_, rng, /*with_bias=*/false);
    }
    if (!last) {
      shared_gate_.emplace(input_dim, o.num_scenarios * own_ + shared_, rng, /*with_bias=*/false);
      shared_mixtures_.resize(static_cast<std::size_t>(o.num_scenarios));
    }
  }

  index_t width() const { return shared_experts_.width(); }
  bool is_last() const { return !shared_gate_.has_value(); }

  // rows[s]: scenario s's rows (active s only); shared: [batch, in], or
  // nothing needed at the last level. Both become this level's outputs.
  void forward(const ScenarioRouting& routing, std::vector<Tensor<T>>& rows, Tensor<T>& shared) {
    const Tensor<T> shared_stacked = shared_experts_.forward(shared);
    Tensor<T> shared_logits, shared_out;
    if (!is_last()) {
      shared_logits = shared_gate_->forward(shared);
      shared_out = Tensor<T>(Shape{routing.batch(), width()});
    }
    for (index_t s : routing.active()) {
      const auto i = static_cast<std::size_t>(s);
      Tensor<T> expert_storage, logit_storage;
      const Tensor<T> own = scenario_experts_[i].forward(rows[i]);
      const Tensor<T>& shared_rows = routing.select(shared_stacked, s, expert_storage);
      const Tensor<T> stacked = backend::concat_columns<T>({&own, &shared_rows});
      if (!is_last()) {
        const auto parts = backend::split_columns(routing.select(shared_logits, s, logit_storage),
                                                  logit_blocks(s));
        routing.place(shared_mixtures_[i].forward(
                          backend::concat_columns<T>({&parts[1], &parts[3]}), stacked),
                      s, shared_out);
      }
      rows[i] = scenario_mixtures_[i].forward(scenario_gates_[i].forward(rows[i]), stacked);
    }
    shared = std::move(shared_out);
  }

  // Gradients of the outputs in, gradients of the inputs out (in place).
  void backward(const ScenarioRouting& routing, std::vector<Tensor<T>>& d_rows,
                Tensor<T>& d_shared) {
    const index_t batch = routing.batch();
    Tensor<T> d_shared_stacked(Shape{batch, shared_ * width()});
    Tensor<T> d_shared_logits;
    if (!is_last()) d_shared_logits = Tensor<T>(Shape{batch, num_scenarios_ * own_ + shared_});
    for (index_t s : routing.active()) {
      const auto i = static_cast<std::size_t>(s);
      auto g = scenario_mixtures_[i].backward(d_rows[i]);
      Tensor<T> d_stacked = std::move(g.stacked);
      if (!is_last()) {
        Tensor<T> storage;
        auto gs = shared_mixtures_[i].backward(routing.select(d_shared, s, storage));
        backend::axpy(T(1), gs.stacked, d_stacked);
        const auto parts = backend::split_columns(gs.logits, {own_, shared_});
        const index_t n = gs.logits.rows();
        const Tensor<T> before(Shape{n, s * own_}),
            after(Shape{n, (num_scenarios_ - 1 - s) * own_});
        routing.add(backend::concat_columns<T>({&before, &parts[0], &after, &parts[1]}), s,
                    d_shared_logits);
      }
      const auto parts = backend::split_columns(d_stacked, {own_ * width(), shared_ * width()});
      routing.add(parts[1], s, d_shared_stacked);
      d_rows[i] = scenario_gates_[i].backward(g.logits);
      backend::axpy(T(1), scenario_experts_[i].backward(parts[0]), d_rows[i]);
    }
    Tensor<T> d_in = shared_experts_.backward(d_shared_stacked);
    if (!is_last()) backend::axpy(T(1), shared_gate_->backward(d_shared_logits), d_in);
    d_shared = std::move(d_in);
  }

  void train(bool on) {
    shared_experts_.train(on);
    for (auto& e : scenario_experts_) e.train(on);
    for (auto& g : scenario_gates_) g.train(on);
    if (shared_gate_) shared_gate_->train(on);
  }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    shared_experts_.visit_parameters(f, join_name(prefix, "shared_experts"));
    for (std::size_t s = 0; s < scenario_experts_.size(); ++s)
      scenario_experts_[s].visit_parameters(
          f, join_name(prefix, "scenario_experts." + std::to_string(s)));
    for (std::size_t s = 0; s < scenario_gates_.size(); ++s)
      scenario_gates_[s].visit_parameters(f,
                                          join_name(prefix, "scenario_gates." + std::to_string(s)));
    if (shared_gate_) shared_gate_->visit_parameters(f, join_name(prefix, "shared_gate"));
  }

 private:
  static constexpr const char* name = "adaptrec::heads::Ple";

  // The shared gate's logits are [scenario 0's experts, ..., scenario S-1's,
  // shared experts]; scenario s's rows use blocks 1 and 3 of this split.
  std::vector<index_t> logit_blocks(index_t s) const {
    return {s * own_, own_, (num_scenarios_ - 1 - s) * own_, shared_};
  }

  index_t num_scenarios_, own_, shared_;
  ExpertGroup<T> shared_experts_;
  std::vector<ExpertGroup<T>> scenario_experts_;
  std::vector<layers::Linear<T>> scenario_gates_;
  std::optional<layers::Linear<T>> shared_gate_;
  std::vector<GatedMixture<T>> scenario_mixtures_;
  std::vector<GatedMixture<T>> shared_mixtures_;
};

}  // namespace detail

template <class T = float>
class Ple : public TrainingMode {
 public:
  using scalar_type = T;
  using input_type = Tensor<T>;
  using output_type = Tensor<T>;

  Ple(const PleOptions& options, Rng& rng) : input_dim_(checked(options).input_dim) {
    for (index_t j = 0; j < options.num_levels; ++j)
      levels_.emplace_back(options, j == 0 ? options.input_dim : options.expert_widths.back(),
                           j + 1 == options.num_levels, rng);
    for (index_t s = 0; s < options.num_scenarios; ++s)
      towers_.emplace_back(
          layer_sizes(options.expert_widths.back(), options.tower_widths, options.output_dim), rng);
  }

  index_t input_dim() const { return input_dim_; }
  index_t output_dim() const { return towers_.front().out_features(); }
  index_t num_scenarios() const { return static_cast<index_t>(towers_.size()); }
  index_t num_levels() const { return static_cast<index_t>(levels_.size()); }
  layers::MLP<T>& tower(index_t s) { return towers_.at(static_cast<std::size_t>(s)); }

  // x [batch, input_dim] -> [batch, output_dim]
  Tensor<T> forward(const Tensor<T>& x, std::span<const index_t> scenario) {
    require_head_input(x, input_dim(), name);
    routing_ = ScenarioRouting(scenario, x.shape(), num_scenarios(), name);
    std::vector<Tensor<T>> rows(towers_.size());
    for (index_t s : routing_.active()) {
      Tensor<T> storage;
      routing_.select(x, s, storage);
      rows[static_cast<std::size_t>(s)] = routing_.single() ? x : std::move(storage);
    }
    Tensor<T> shared = x;
    for (auto& level : levels_) level.forward(routing_, rows, shared);
    Tensor<T> y(Shape{x.dim(0), output_dim()});
    for (index_t s : routing_.active())
      routing_.place(
          towers_[static_cast<std::size_t>(s)].forward(rows[static_cast<std::size_t>(s)]), s, y);
    return y;
  }

  Tensor<T> backward(const Tensor<T>& dy) {
    require_shape(dy, Shape{routing_.batch(), output_dim()}, "adaptrec::heads::Ple::backward");
    std::vector<Tensor<T>> d_rows(towers_.size());
    for (index_t s : routing_.active()) {
      const auto i = static_cast<std::size_t>(s);
      Tensor<T> storage;
      d_rows[i] = towers_[i].backward(routing_.select(dy, s, storage));
    }
    Tensor<T> d_shared;  // the last level has no shared output
    for (auto level = levels_.rbegin(); level != levels_.rend(); ++level)
      level->backward(routing_, d_rows, d_shared);
    for (index_t s : routing_.active())
      routing_.add(d_rows[static_cast<std::size_t>(s)], s, d_shared);
    return d_shared;
  }

  void train(bool on = true) {
    training_ = on;
    for (auto& l : levels_) l.train(on);
    for (auto& t : towers_) t.train(on);
  }
  void eval() { train(false); }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    for (std::size_t j = 0; j < levels_.size(); ++j)
      levels_[j].visit_parameters(f, join_name(prefix, "levels." + std::to_string(j)));
    for (std::size_t s = 0; s < towers_.size(); ++s)
      towers_[s].visit_parameters(f, join_name(prefix, "towers." + std::to_string(s)));
  }

 private:
  static constexpr const char* name = "adaptrec::heads::Ple";

  static const PleOptions& checked(const PleOptions& o) {
    require_positive(name, "input_dim", o.input_dim);
    require_positive(name, "output_dim", o.output_dim);
    require_positive(name, "num_scenarios", o.num_scenarios);
    require_positive(name, "num_levels", o.num_levels);
    require_positive(name, "shared_experts", o.shared_experts);
    require_positive(name, "scenario_experts", o.scenario_experts);
    if (o.expert_widths.empty())
      throw invalid_argument(std::string(name) +
                             ": expert_widths must name at least the output width");
    require_positive_widths(name, "expert_widths", o.expert_widths);
    require_positive_widths(name, "tower_widths", o.tower_widths);
    return o;
  }

  index_t input_dim_;
  std::vector<detail::ExtractionLevel<T>> levels_;
  std::vector<layers::MLP<T>> towers_;
  ScenarioRouting routing_;
};

}  // namespace adaptrec::heads
