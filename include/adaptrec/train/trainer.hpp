#pragma once
// The training loop shared by every example: epochs, validation after each,
// early stopping on a chosen metric, and restoring the best epoch's weights.
//
// The caller owns the batch loop (`train_epoch`), because what a batch is
// differs per model; the trainer owns the schedule around it.
#include <adaptrec/io/checkpoint.hpp>
#include <adaptrec/train/progress.hpp>
#include <adaptrec/train/snapshot.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace adaptrec::train {

using Metrics = std::map<std::string, double>;

struct TrainerOptions {
  int max_epochs = 20;
  // Stop after this many epochs without improvement of `metric`; 0 never stops early.
  int patience = 3;
  std::string metric = "NDCG@10";
  bool higher_is_better = true;
  bool restore_best = true;
  bool verbose = false;
  std::string label = "train";
  // When set, the best epoch's parameters are also written there (safetensors).
  std::filesystem::path checkpoint_path;
};

struct EpochRecord {
  int epoch = 0;
  double train_loss = 0;
  std::size_t samples = 0;
  double seconds = 0;
  Metrics validation;
};

struct FitResult {
  std::vector<EpochRecord> history;
  int best_epoch = -1;
  double best_value = NAN;
  double train_seconds = 0;
  bool stopped_early = false;
};

inline std::string format_metrics(const Metrics& metrics) {
  std::string s;
  char buffer[64];
  for (const auto& [name, value] : metrics) {
    std::snprintf(buffer, sizeof buffer, "%s%s %.4f", s.empty() ? "" : "  ", name.c_str(), value);
    s += buffer;
  }
  return s;
}

// train_epoch(int epoch, Progress&) runs one pass over the training data and
// reports each batch with progress.update(samples, loss); validate() returns
// metrics that must include options.metric.
template <class M, class TrainEpoch, class Validate>
FitResult fit(M& model, TrainEpoch&& train_epoch, Validate&& validate,
              const TrainerOptions& options) {
  using T = typename M::scalar_type;
  if (options.max_epochs < 1)
    throw invalid_argument("adaptrec::train::fit: max_epochs must be >= 1");
  FitResult result;
  ParameterSnapshot<T> best;
  int epochs_without_improvement = 0;
  for (int epoch = 1; epoch <= options.max_epochs; ++epoch) {
    Progress progress(options.label + " epoch " + std::to_string(epoch) + "/" +
                          std::to_string(options.max_epochs),
                      options.verbose);
    model.train(true);
    train_epoch(epoch, progress);
    result.train_seconds += progress.seconds();
    if (!std::isfinite(progress.mean_loss()))
      throw error("adaptrec::train::fit: the training loss is not finite at epoch " +
                  std::to_string(epoch) + " (lower the learning rate?)");
    model.train(false);
    EpochRecord record{epoch, progress.mean_loss(), progress.samples(), progress.seconds(),
                       validate()};
    progress.finish(format_metrics(record.validation));
    const auto found = record.validation.find(options.metric);
    if (found == record.validation.end())
      throw invalid_argument("adaptrec::train::fit: validation returned no metric '" +
                             options.metric + "'");
    const double value = found->second;
    const bool improved = result.best_epoch < 0 ||
                          (options.higher_is_better ? value > result.best_value
                                                    : value < result.best_value);
    result.history.push_back(std::move(record));
    if (improved) {
      result.best_epoch = epoch;
      result.best_value = value;
      epochs_without_improvement = 0;
      if (options.restore_best) best = ParameterSnapshot<T>::take(model);
      if (!options.checkpoint_path.empty()) io::save_checkpoint(model, options.checkpoint_path);
    } else if (options.patience > 0 && ++epochs_without_improvement >= options.patience) {
      result.stopped_early = epoch < options.max_epochs;
      break;
    }
  }
  if (options.restore_best && !best.empty()) best.restore(model);
  model.train(false);
  return result;
}

}  // namespace adaptrec::train
