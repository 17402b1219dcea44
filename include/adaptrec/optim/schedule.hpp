#pragma once
// Learning-rate schedules: a multiplier of the base learning rate for each
// optimizer step, counted from 0 (the multiplier for the first update is
// multiplier(0)).
//
// Warmup follows Hugging Face transformers' get_linear_schedule_with_warmup and
// get_cosine_schedule_with_warmup: the multiplier is step / warmup_steps while
// step < warmup_steps, so the very first update uses a zero learning rate, and
// it reaches 1 exactly at step == warmup_steps.
#include <adaptrec/core/error.hpp>
#include <adaptrec/optim/concept.hpp>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <numbers>
#include <string>
#include <utility>

namespace adaptrec::optim {

template <class S>
concept LearningRateSchedule = requires(const S& schedule, std::int64_t step) {
  { schedule.multiplier(step) } -> std::convertible_to<double>;
};

namespace detail {

inline void require_step(std::int64_t step, const char* schedule) {
  if (step < 0)
    throw invalid_argument(std::string("adaptrec::optim::") + schedule + ": step " +
                           std::to_string(step) + " is negative");
}

inline void require_steps(std::int64_t warmup_steps, std::int64_t total_steps,
                          const char* schedule) {
  if (warmup_steps < 0 || total_steps <= 0 || warmup_steps > total_steps)
    throw invalid_argument(std::string("adaptrec::optim::") + schedule + ": warmup_steps " +
                           std::to_string(warmup_steps) + " and total_steps " +
                           std::to_string(total_steps) +
                           " must satisfy 0 <= warmup_steps <= total_steps, total_steps > 0");
}

// step / warmup_steps during warmup (Hugging Face semantics).
inline double warmup_multiplier(std::int64_t step, std::int64_t warmup_steps) {
  return static_cast<double>(step) / static_cast<double>(std::max<std::int64_t>(1, warmup_steps));
}

}  // namespace detail

struct ConstantSchedule {
  double multiplier(std::int64_t step) const {
    detail::require_step(step, "ConstantSchedule");
    return 1.0;
  }
};

// Linear warmup from 0 to 1 over warmup_steps, then linear decay to 0 at
// total_steps, and 0 afterwards (get_linear_schedule_with_warmup).
class LinearWarmupLinearDecay {
 public:
  LinearWarmupLinearDecay(std::int64_t warmup_steps, std::int64_t total_steps)
      : warmup_steps_(warmup_steps), total_steps_(total_steps) {
    detail::require_steps(warmup_steps, total_steps, "LinearWarmupLinearDecay");
  }

  double multiplier(std::int64_t step) const {
    detail::require_step(step, "LinearWarmupLinearDecay");
    if (step < warmup_steps_) return detail::warmup_multiplier(step, warmup_steps_);
    const double remaining = static_cast<double>(total_steps_ - step);
    const double decay_steps =
        static_cast<double>(std::max<std::int64_t>(1, total_steps_ - warmup_steps_));
    return std::max(0.0, remaining / decay_steps);
  }

  std::int64_t warmup_steps() const { return warmup_steps_; }
  std::int64_t total_steps() const { return total_steps_; }

 private:
  std::int64_t warmup_steps_;
  std::int64_t total_steps_;
};

// Linear warmup, then half a cosine from 1 down to min_ratio at total_steps
// (Loshchilov & Hutter, "SGDR", ICLR 2017, without restarts), as
// get_cosine_schedule_with_warmup (min_ratio 0) and
// get_cosine_with_min_lr_schedule_with_warmup (min_lr_rate = min_ratio).
// Past total_steps the multiplier stays at min_ratio, where Hugging Face's
// formula would climb back up the cosine.
class LinearWarmupCosineDecay {
 public:
  LinearWarmupCosineDecay(std::int64_t warmup_steps, std::int64_t total_steps,
                          double min_ratio = 0)
      : warmup_steps_(warmup_steps), total_steps_(total_steps), min_ratio_(min_ratio) {
    detail::require_steps(warmup_steps, total_steps, "LinearWarmupCosineDecay");
    if (!(min_ratio >= 0 && min_ratio <= 1))
      throw invalid_argument("adaptrec::optim::LinearWarmupCosineDecay: min_ratio " +
                             std::to_string(min_ratio) + " must lie in [0, 1]");
  }

  double multiplier(std::int64_t step) const {
    detail::require_step(step, "LinearWarmupCosineDecay");
    if (step < warmup_steps_) return detail::warmup_multiplier(step, warmup_steps_);
    const double decay_steps =
        static_cast<double>(std::max<std::int64_t>(1, total_steps_ - warmup_steps_));
    const double progress = std::min(1.0, static_cast<double>(step - warmup_steps_) / decay_steps);
    const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
    return min_ratio_ + (1.0 - min_ratio_) * cosine;
  }

  std::int64_t warmup_steps() const { return warmup_steps_; }
  std::int64_t total_steps() const { return total_steps_; }
  double min_ratio() const { return min_ratio_; }

 private:
  std::int64_t warmup_steps_;
  std::int64_t total_steps_;
  double min_ratio_;
};

// Sets the optimizer's learning rate to base_learning_rate * multiplier(step).
// Call it before the optimizer's step number `step` (counted from 0).
template <Optimizer O, LearningRateSchedule S>
void apply_schedule(O& optimizer, typename O::scalar_type base_learning_rate, const S& schedule,
                    std::int64_t step) {
  optimizer.set_learning_rate(static_cast<typename O::scalar_type>(
      static_cast<double>(base_learning_rate) * schedule.multiplier(step)));
}

// An optimizer's learning rate driven by a schedule; the base rate is the one
// the optimizer had when this was made.
template <Optimizer O, LearningRateSchedule S>
class ScheduledLearningRate {
 public:
  using scalar_type = typename O::scalar_type;

  ScheduledLearningRate(O& optimizer, S schedule)
      : optimizer_(&optimizer),
        schedule_(std::move(schedule)),
        base_learning_rate_(optimizer.learning_rate()) {}

  // Sets the rate for optimizer step `step` (counted from 0); call before it.
  void apply(std::int64_t step) const {
    apply_schedule(*optimizer_, base_learning_rate_, schedule_, step);
  }

  scalar_type base_learning_rate() const { return base_learning_rate_; }
  const S& schedule() const { return schedule_; }

 private:
  O* optimizer_;
  S schedule_;
  scalar_type base_learning_rate_;
};

static_assert(LearningRateSchedule<ConstantSchedule>);
static_assert(LearningRateSchedule<LinearWarmupLinearDecay>);
static_assert(LearningRateSchedule<LinearWarmupCosineDecay>);

}  // namespace adaptrec::optim
