#pragma once
// Weighted sum of per-task losses for multi-task recommenders (CTR + CVR,
// MMoE / PLE heads): L = sum_i w_i l_i.
//
// Fixed weights come from the constructor. Alternatively the weights can be
// learned by homoscedastic uncertainty (Kendall et al., CVPR 2018, eq. 7 with
// s_i = log sigma_i^2, times 2):
//   L = sum_i exp(-s_i) l_i + s_i,
// where s (the `log_variance` parameter, one entry per task) is trained with
// the model: a noisy task raises its s_i and so lowers its own weight, and the
// + s_i term keeps s from growing without bound.
#include <adaptrec/core/module.hpp>
#include <adaptrec/losses/detail.hpp>

#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace adaptrec::losses {

template <class T = float>
class MultiTaskLoss {
 public:
  using scalar_type = T;

  // Fixed weights; tasks are named "task0", "task1", ...
  explicit MultiTaskLoss(std::vector<T> weights) : weights_(std::move(weights)) {
    for (std::size_t i = 0; i < weights_.size(); ++i) names_.push_back("task" + std::to_string(i));
    check_weights();
  }

  explicit MultiTaskLoss(const std::vector<std::pair<std::string, T>>& named_weights) {
    for (const auto& [task, w] : named_weights) {
      names_.push_back(task);
      weights_.push_back(w);
    }
    check_weights();
  }

  // Learned weights exp(-s_i), starting from s_i = initial_log_variance.
  static MultiTaskLoss uncertainty_weighted(std::vector<std::string> task_names,
                                            T initial_log_variance = T(0)) {
    if (!std::isfinite(initial_log_variance))
      throw invalid_argument(detail::where(name, "initial log variance") + " must be finite, got " +
                             std::to_string(initial_log_variance));
    MultiTaskLoss loss(std::vector<T>(task_names.size(), std::exp(-initial_log_variance)));
    loss.names_ = std::move(task_names);
    loss.learned_ = true;
    loss.log_variance_ = Parameter<T>(Shape{static_cast<index_t>(loss.names_.size())});
    loss.log_variance_.value.fill(initial_log_variance);
    return loss;
  }

  std::size_t task_count() const { return weights_.size(); }
  bool learns_weights() const { return learned_; }
  const std::string& task_name(std::size_t task) const { return names_[checked(task)]; }

  // The current weight of a task: fixed, or exp(-s_i) when learned.
  T weight(std::size_t task) const {
    checked(task);
    return learned_ ? std::exp(-log_variance_.value[static_cast<index_t>(task)]) : weights_[task];
  }

  // Returns the weighted total and remembers each task's loss.
  T combine(std::span<const T> task_losses) {
    if (task_losses.size() != task_count())
      throw invalid_argument(detail::where(name, "combine") + ": got " +
                             std::to_string(task_losses.size()) + " task losses for " +
                             std::to_string(task_count()) + " tasks");
    for (std::size_t i = 0; i < task_losses.size(); ++i)
      if (std::isnan(task_losses[i]))
        throw invalid_argument(detail::where(name, "combine") + ": the loss of task '" +
                               names_[i] + "' (" + std::to_string(i) + ") is NaN");
    last_losses_.assign(task_losses.begin(), task_losses.end());
    detail::accumulator_t<T> total = 0;
    for (std::size_t i = 0; i < task_losses.size(); ++i) {
      total += weight(i) * task_losses[i];
      if (learned_) total += log_variance_.value[static_cast<index_t>(i)];
    }
    return static_cast<T>(total);
  }
  T combine(std::initializer_list<T> task_losses) {
    return combine(std::span<const T>(task_losses.begin(), task_losses.size()));
  }

  // d L / d l_i = w_i, one entry per task. With learned weights it also
  // accumulates d L / d s_i = 1 - exp(-s_i) l_i into log_variance's gradient.
  std::vector<T> backward() {
    if (last_losses_.empty())
      throw error(detail::where(name, "backward() called before combine()"));
    std::vector<T> d_losses(task_count());
    for (std::size_t i = 0; i < task_count(); ++i) d_losses[i] = weight(i);
    if (learned_ && log_variance_.trainable)
      for (std::size_t i = 0; i < task_count(); ++i)
        log_variance_.grad[static_cast<index_t>(i)] += T(1) - d_losses[i] * last_losses_[i];
    return d_losses;
  }

  // Multiplies a task's gradient by the task's weight, so each task's backward
  // pass can be scaled without rebuilding the combined loss.
  void scale_gradient(std::size_t task, Tensor<T>& grad) const {
    const T w = weight(task);
    for (T& g : grad) g *= w;
  }

  const std::vector<T>& last_losses() const { return last_losses_; }

  // Visits `log_variance` ([tasks]) when the weights are learned; nothing otherwise.
  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    if (learned_) f(join_name(prefix, "log_variance"), log_variance_);
  }

 private:
  static constexpr const char* name = "MultiTaskLoss";

  void check_weights() const {
    if (weights_.empty()) throw invalid_argument(detail::where(name, "no tasks given"));
    for (std::size_t i = 0; i < weights_.size(); ++i)
      if (!(weights_[i] >= T(0)) || !std::isfinite(weights_[i]))
        throw invalid_argument(detail::where(name, "the weight of task '") + names_[i] + "' (" +
                               std::to_string(i) + ") must be finite and >= 0, got " +
                               std::to_string(weights_[i]));
  }

  std::size_t checked(std::size_t task) const {
    if (task >= task_count())
      throw index_error(detail::where(name, "task ") + std::to_string(task) + " is outside [0, " +
                        std::to_string(task_count()) + ")");
    return task;
  }

  std::vector<std::string> names_;
  std::vector<T> weights_;
  std::vector<T> last_losses_;
  bool learned_ = false;
  Parameter<T> log_variance_;
};

}  // namespace adaptrec::losses
