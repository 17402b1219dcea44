#pragma once
// What the three models of examples/multi_scenario.cpp share around their
// training: the command line's settings, the validation and test tasks, early
// stopping, and the result each model reports.
#include <adaptrec/metrics/scenario_ranking.hpp>
#include <adaptrec/train/trainer.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "multi_scenario_training.hpp"

namespace examples {

using Clock = std::chrono::steady_clock;
using PerScenario = std::vector<adaptrec::metrics::RankingMetrics>;

// The command line's choices, for every model.
struct Settings {
  int epochs, tune_epochs;
  std::uint64_t seed;
  std::size_t batch_size, tune_batch_size, tune_candidates, tune_steps, max_steps;
  index_t dim, star_hidden;
  float learning_rate, peft_learning_rate, tune_learning_rate;
  bool user_histories, verbose;
};

// A model's test metrics per scenario, its parameter counts and training time.
struct ModelResult {
  std::string name;
  PerScenario test;
  std::size_t trainable = 0, total = 0;
  double seconds = 0;
};

struct Tasks {
  std::vector<adaptrec::metrics::ScenarioRankingTask> validation, test;
};

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Early stopping on the mean validation NDCG@10 over scenarios.
inline adaptrec::train::TrainerOptions trainer_options(const Settings& s, int epochs,
                                                       std::string label) {
  adaptrec::train::TrainerOptions o;
  o.max_epochs = epochs;
  o.patience = 5;
  o.metric = "NDCG@10";
  o.verbose = s.verbose;
  o.label = std::move(label);
  return o;
}

inline adaptrec::train::Metrics validation_metrics(const PerScenario& per_scenario) {
  const auto mean = adaptrec::metrics::mean_over_scenarios(per_scenario, 10);
  return {{"NDCG@10", mean.ndcg}, {"Recall@10", mean.recall}};
}

}  // namespace examples
