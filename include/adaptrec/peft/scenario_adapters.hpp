#pragma once
// Per-scenario PEFT: one set of a method's tensors (LoRA, adapters, ...) per
// scenario on one frozen backbone, switched per batch. The backbone is shared
// by every scenario and stored once; each scenario adds only its own small
// set, so a new scenario costs a few thousand parameters and cannot disturb
// the others.
//
// select(backbone, s) attaches scenario s's set and makes only its tensors
// trainable, so one optimizer over all sets (visit_parameters) updates just
// the active scenario, as PyTorch's optimizers skip tensors without a
// gradient. A batch therefore holds one scenario; group mixed data by
// scenario before the encoder.
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace adaptrec::peft {

template <class Method>
class ScenarioAdapters {
 public:
  using scalar_type = typename Method::scalar_type;
  using options_type = typename Method::options_type;

  template <class Backbone>
  ScenarioAdapters(Backbone& backbone, std::size_t num_scenarios, const options_type& options,
                   Rng& rng) {
    if (num_scenarios == 0)
      throw invalid_argument("adaptrec::peft::ScenarioAdapters: at least one scenario is needed");
    sets_.reserve(num_scenarios);
    for (std::size_t s = 0; s < num_scenarios; ++s) sets_.emplace_back(backbone, options, rng);
  }

  std::size_t num_scenarios() const { return sets_.size(); }
  Method& scenario(std::size_t s) { return sets_.at(checked(s)); }
  // The attached scenario, or -1.
  long active() const { return active_; }

  template <class Backbone>
  void select(Backbone& backbone, std::size_t s) {
    checked(s);
    if (active_ == static_cast<long>(s)) return;
    if (active_ >= 0) sets_[static_cast<std::size_t>(active_)].detach(backbone);
    sets_[s].attach(backbone);
    for (std::size_t i = 0; i < sets_.size(); ++i) set_trainable(sets_[i], i == s);
    active_ = static_cast<long>(s);
  }

  template <class Backbone>
  void detach(Backbone& backbone) {
    if (active_ >= 0) sets_[static_cast<std::size_t>(active_)].detach(backbone);
    active_ = -1;
  }

  // Every set's tensors, `scenario.<s>.` before the in-model names.
  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    for (std::size_t s = 0; s < sets_.size(); ++s)
      sets_[s].visit_parameters(f, join_name(prefix, "scenario." + std::to_string(s)));
  }
  void train(bool on = true) {
    training_ = on;
    for (auto& set : sets_) set.train(on);
  }
  bool is_training() const { return training_; }

 private:
  std::size_t checked(std::size_t s) const {
    if (s >= sets_.size())
      throw index_error("adaptrec::peft::ScenarioAdapters: scenario " + std::to_string(s) +
                        " does not exist (there are " + std::to_string(sets_.size()) + ")");
    return s;
  }

  std::vector<Method> sets_;
  long active_ = -1;
  bool training_ = true;
};

}  // namespace adaptrec::peft
