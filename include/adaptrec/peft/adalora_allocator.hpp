#pragma once
// AdaLoRA's rank allocator (Zhang et al., "Adaptive Budget Allocation for
// Parameter-Efficient Fine-Tuning", ICLR 2023, sec. 3.2-3.3 and Algorithm 1).
// Hugging Face PEFT's RankAllocator is the reference for what the paper
// leaves open: the step conventions of the schedule and the call order.
//
// Importance (sec. 3.2). The sensitivity I(w) = |w dL/dw| of every entry of
// P, lambda and Q is smoothed, and its uncertainty measured, by two moving
// averages
//   Ibar(t) = beta1 Ibar(t-1) + (1 - beta1) I(t)
//   Ubar(t) = beta2 Ubar(t-1) + (1 - beta2) |I(t) - Ibar(t)|
// and scored s(w) = Ibar(w) Ubar(w). Triplet i of a site scores
//   S_i = s(lambda_i) + mean_j s(Q_ij) + mean_j s(P_ji).
//
// Budget (sec. 3.3). The total rank b(t) stays at b(0) = init_r x sites up to
// tinit, falls cubically to b(T) = target_r x sites at total_step - tfinal and
// stays there. Every deltaT steps the lowest-scoring triplets are pruned so
// that exactly b(t) remain; at total_step - tfinal the pattern is fixed and
// re-applied after every later step.
#include <adaptrec/core/error.hpp>
#include <adaptrec/peft/adalora_linear.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace adaptrec::peft {

struct AdaLoraBudget {
  index_t budget;  // total rank over all sites
  bool mask;       // whether this step prunes to the budget
};

class AdaLoraSchedule {
 public:
  AdaLoraSchedule(index_t initial_budget, index_t target_budget, index_t tinit, index_t tfinal,
                  index_t total_step, index_t delta_t)
      : initial_(initial_budget),
        target_(target_budget),
        tinit_(tinit),
        tfinal_(tfinal),
        total_step_(total_step),
        delta_t_(delta_t) {
    const std::string where = "adaptrec::peft::AdaLoraSchedule: ";
    if (total_step <= 0)
      throw invalid_argument(where + "total_step=" + std::to_string(total_step) +
                             " must be positive (the schedule needs the training length)");
    if (tinit < 0 || tfinal < 0 || tinit + tfinal >= total_step)
      throw invalid_argument(
          where + "tinit=" + std::to_string(tinit) + " and tfinal=" + std::to_string(tfinal) +
          " must be non-negative with tinit + tfinal < total_step=" + std::to_string(total_step));
    if (delta_t <= 0)
      throw invalid_argument(where + "delta_t=" + std::to_string(delta_t) + " must be positive");
    if (target_budget < 0 || target_budget > initial_budget)
      throw invalid_argument(where + "target budget " + std::to_string(target_budget) +
                             " must lie in [0, initial budget " + std::to_string(initial_budget) +
                             "]");
  }

  index_t initial_budget() const { return initial_; }
  index_t target_budget() const { return target_; }
  index_t tinit() const { return tinit_; }
  index_t tfinal() const { return tfinal_; }
  index_t total_step() const { return total_step_; }
  index_t delta_t() const { return delta_t_; }
  // The step at which the final pattern is fixed.
  index_t final_step() const { return total_step_ - tfinal_; }

  // PEFT's conventions: the warm-up includes step tinit, the cubic budget is
  // truncated to an integer, and masking happens on multiples of delta_t.
  AdaLoraBudget at(index_t step) const {
    if (step <= tinit_) return {initial_, false};
    if (step > final_step()) return {target_, true};
    const double remaining =
        1.0 - static_cast<double>(step - tinit_) / static_cast<double>(final_step() - tinit_);
    const double budget =
        static_cast<double>(initial_ - target_) * remaining * remaining * remaining +
        static_cast<double>(target_);
    return {static_cast<index_t>(budget), step % delta_t_ == 0};
  }

 private:
  index_t initial_, target_, tinit_, tfinal_, total_step_, delta_t_;
};

// The smoothed sensitivity and uncertainty of one site's P, lambda and Q.
template <class T>
class TripletImportance {
 public:
  explicit TripletImportance(const AdaLoraLinear<T>& hook)
      : a_(hook.lora_a().shape()), e_(hook.lora_e().shape()), b_(hook.lora_b().shape()) {}

  // Folds in I = |w dL/dw| of the hook's current values and gradients.
  void update(const AdaLoraLinear<T>& hook, double beta1, double beta2) {
    a_.update(hook.lora_a(), beta1, beta2);
    e_.update(hook.lora_e(), beta1, beta2);
    b_.update(hook.lora_b(), beta1, beta2);
  }

  // S_i for every triplet i.
  std::vector<double> scores() const {
    const index_t rank = e_.sensitivity.size();
    const index_t in = a_.sensitivity.cols(), out = b_.sensitivity.rows();
    std::vector<double> s(static_cast<std::size_t>(rank));
    for (index_t i = 0; i < rank; ++i) {
      double right = 0, left = 0;
      for (index_t j = 0; j < in; ++j) right += a_.score(i * in + j);
      for (index_t j = 0; j < out; ++j) left += b_.score(j * rank + i);
      s[static_cast<std::size_t>(i)] =
          e_.score(i) + right / static_cast<double>(in) + left / static_cast<double>(out);
    }
    return s;
  }

 private:
  struct Smoothed {
    Tensor<double> sensitivity, uncertainty;
    explicit Smoothed(const Shape& shape) : sensitivity(shape), uncertainty(shape) {}
    void update(const Parameter<T>& p, double beta1, double beta2) {
      for (index_t k = 0; k < p.size(); ++k) {
        const double instant =
            std::abs(static_cast<double>(p.value[k]) * static_cast<double>(p.grad[k]));
        sensitivity[k] = beta1 * sensitivity[k] + (1 - beta1) * instant;
        uncertainty[k] = beta2 * uncertainty[k] + (1 - beta2) * std::abs(instant - sensitivity[k]);
      }
    }
    double score(index_t k) const { return sensitivity[k] * uncertainty[k]; }
  };
  Smoothed a_, e_, b_;
};

// Keeps the `budget` highest-scoring triplets over all sites, exactly: ties
// go to the earlier site and triplet. (PEFT prunes every score at or below
// the k-th smallest, which prunes more than asked when scores tie, as they
// do while every lambda is still zero.) scores[s][i] is S_i of site s;
// site_names name a site whose score is not finite.
inline std::vector<std::vector<bool>> keep_most_important(
    const std::vector<std::vector<double>>& scores, index_t budget,
    const std::vector<std::string>& site_names) {
  if (site_names.size() != scores.size())
    throw invalid_argument(
        "adaptrec::peft::keep_most_important: " + std::to_string(site_names.size()) +
        " names for " + std::to_string(scores.size()) + " sites");
  if (budget < 0)
    throw invalid_argument("adaptrec::peft::keep_most_important: budget " + std::to_string(budget) +
                           " is negative");
  struct Ranked {
    double score;
    std::size_t site, triplet;
  };
  std::vector<Ranked> all;
  std::vector<std::vector<bool>> keep(scores.size());
  for (std::size_t s = 0; s < scores.size(); ++s) {
    keep[s].assign(scores[s].size(), false);
    for (std::size_t i = 0; i < scores[s].size(); ++i) {
      if (!std::isfinite(scores[s][i]))
        throw error("adaptrec::peft::AdaLora: the importance of triplet " + std::to_string(i) +
                    " of " + site_names[s] +
                    " is not finite; a gradient or value of its lora_A, lora_E or lora_B is "
                    "NaN or infinite");
      all.push_back({scores[s][i], s, i});
    }
  }
  const std::size_t kept = std::min(static_cast<std::size_t>(budget), all.size());
  const auto more_important = [](const Ranked& x, const Ranked& y) {
    if (x.score != y.score) return x.score > y.score;
    return x.site != y.site ? x.site < y.site : x.triplet < y.triplet;
  };
  std::nth_element(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(kept), all.end(),
                   more_important);
  for (std::size_t k = 0; k < kept; ++k) keep[all[k].site][all[k].triplet] = true;
  return keep;
}

// Tracks the importance of every triplet of a set of AdaLoRA hooks and prunes
// them to the schedule's budget. The hooks are not owned.
template <class T>
class AdaLoraRankAllocator {
 public:
  struct Site {
    std::string name;
    AdaLoraLinear<T>* hook;
  };

  AdaLoraRankAllocator(std::vector<Site> sites, const AdaLoraSchedule& schedule, double beta1,
                       double beta2)
      : sites_(std::move(sites)), schedule_(schedule), beta1_(beta1), beta2_(beta2) {
    const std::string where = "adaptrec::peft::AdaLoraRankAllocator: ";
    if (!(beta1 > 0 && beta1 < 1) || !(beta2 > 0 && beta2 < 1))
      throw invalid_argument(where + "beta1=" + std::to_string(beta1) +
                             " and beta2=" + std::to_string(beta2) + " must lie in (0, 1)");
    index_t total = 0;
    for (const Site& s : sites_) total += s.hook->rank();
    if (total != schedule.initial_budget())
      throw invalid_argument(where + "the sites hold " + std::to_string(total) +
                             " triplets, the schedule starts from " +
                             std::to_string(schedule.initial_budget()));
    reset_importance();
  }

  const AdaLoraSchedule& schedule() const { return schedule_; }
  // Whether the final phase's pattern is fixed.
  bool pattern_fixed() const { return pattern_fixed_; }
  // Whether any step has pruned yet.
  bool has_masked() const { return has_masked_; }

  // Call after the optimizer step of `step` and before the gradients are
  // zeroed, as PEFT's AdaLoraModel.update_and_allocate is called: the
  // sensitivity is |w dL/dw| with the step's gradient and the updated w
  // (Algorithm 1 takes w before the update; the two differ by one learning-
  // rate step, and the updated w is what makes lambda, zero at the start,
  // score anything at all on the first step). Returns the step's budget.
  index_t update_and_allocate(index_t step) {
    if (step < 0)
      throw invalid_argument("adaptrec::peft::AdaLora::update_and_allocate: step " +
                             std::to_string(step) + " is negative");
    if (step < schedule_.final_step()) {
      update_importance();
      const AdaLoraBudget b = schedule_.at(step);
      if (b.mask) mask_to_budget(b.budget);
      return b.budget;
    }
    if (!pattern_fixed_) {
      // The last allocation; the moving averages are not needed after it.
      mask_to_budget(schedule_.target_budget());
      pattern_fixed_ = true;
      importance_.clear();
    } else {
      for (Site& s : sites_) s.hook->reapply_mask();
    }
    return schedule_.target_budget();
  }

  void update_importance() {
    if (pattern_fixed_) return;
    for (std::size_t i = 0; i < sites_.size(); ++i)
      importance_[i].update(*sites_[i].hook, beta1_, beta2_);
  }

  // S of every triplet, site by site.
  std::vector<std::vector<double>> triplet_scores() const {
    std::vector<std::vector<double>> scores;
    for (const TripletImportance<T>& imp : importance_) scores.push_back(imp.scores());
    return scores;
  }

  // Prunes every hook so that exactly min(budget, all triplets) remain.
  void mask_to_budget(index_t budget) {
    std::vector<std::vector<double>> scores = triplet_scores();
    if (scores.size() != sites_.size())
      throw error("adaptrec::peft::AdaLoraRankAllocator: the final pattern is already fixed");
    std::vector<std::string> names;
    for (const Site& s : sites_) names.push_back(s.name);
    const std::vector<std::vector<bool>> keep = keep_most_important(scores, budget, names);
    for (std::size_t i = 0; i < sites_.size(); ++i) sites_[i].hook->mask_triplets(keep[i]);
    has_masked_ = true;
  }

  // Kept rank of every site, in site order.
  std::vector<index_t> rank_pattern() const {
    std::vector<index_t> ranks;
    for (const Site& s : sites_) ranks.push_back(s.hook->kept_rank());
    return ranks;
  }
  const std::vector<Site>& sites() const { return sites_; }

  // Starts the moving averages again from zero (and unfixes the pattern).
  void reset_importance() {
    importance_.clear();
    for (const Site& s : sites_) importance_.emplace_back(*s.hook);
    pattern_fixed_ = false;
  }

 private:
  std::vector<Site> sites_;
  AdaLoraSchedule schedule_;
  double beta1_, beta2_;
  std::vector<TripletImportance<T>> importance_;
  bool pattern_fixed_ = false;
  bool has_masked_ = false;
};

}  // namespace adaptrec::peft
