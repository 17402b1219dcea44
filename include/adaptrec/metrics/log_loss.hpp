#pragma once
// Mean binary cross-entropy -[y log p + (1 - y) log(1 - p)] over a stream.
//
// Probabilities are clipped to [1e-15, 1 - 1e-15] as scikit-learn's log_loss
// does (its long-standing default eps), so a confident mistake costs at most
// -log(1e-15) ~ 34.5 instead of infinity. add_logit takes the model's raw
// logit z and evaluates the same clipped loss without forming sigmoid(z), which
// would round to exactly 0 or 1 for |z| beyond ~37 in double (~17 in float).
#include <adaptrec/metrics/validation.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

namespace adaptrec::metrics {

class LogLoss {
 public:
  static constexpr double clip_epsilon = 1e-15;

  template <label_value L>
  void add(double probability, L label) {
    const auto at = detail::single(count_);
    const double p =
        detail::checked_probability(probability, "adaptrec::metrics::LogLoss::add", at);
    const int y = detail::checked_label(label, "adaptrec::metrics::LogLoss::add", at);
    accumulate(probability_loss(p, y));
  }

  // One batch of probabilities; validated in full before anything is added.
  template <batch_range Probabilities, batch_range Labels>
  void add(const Probabilities& probabilities, const Labels& labels) {
    constexpr const char* where = "adaptrec::metrics::LogLoss::add";
    detail::require_same_length(probabilities, "probabilities", labels, "labels", where);
    const std::size_t n = std::ranges::size(probabilities);
    const auto label_at = std::ranges::begin(labels);
    const auto probability_at = std::ranges::begin(probabilities);
    for (std::size_t i = 0; i < n; ++i) {
      detail::checked_probability(static_cast<double>(probability_at[i]), where,
                                  detail::batch(count_, i));
      detail::checked_label(label_at[i], where, detail::batch(count_, i));
    }
    for (std::size_t i = 0; i < n; ++i)
      accumulate(
          probability_loss(static_cast<double>(probability_at[i]), label_at[i] == 0 ? 0 : 1));
  }

  template <label_value L>
  void add_logit(double logit, L label) {
    const auto at = detail::single(count_);
    const double z = detail::checked_score(logit, "adaptrec::metrics::LogLoss::add_logit", at);
    const int y = detail::checked_label(label, "adaptrec::metrics::LogLoss::add_logit", at);
    accumulate(logit_loss(z, y));
  }

  // One batch of logits; validated in full before anything is added.
  template <batch_range Logits, batch_range Labels>
  void add_logit(const Logits& logits, const Labels& labels) {
    constexpr const char* where = "adaptrec::metrics::LogLoss::add_logit";
    detail::validate_scored_batch(logits, "logits", labels, where, count_);
    const std::size_t n = std::ranges::size(logits);
    const auto label_at = std::ranges::begin(labels);
    const auto logit_at = std::ranges::begin(logits);
    for (std::size_t i = 0; i < n; ++i)
      accumulate(logit_loss(static_cast<double>(logit_at[i]), label_at[i] == 0 ? 0 : 1));
  }

  // Mean loss, NaN before any example.
  double value() const {
    return count_ == 0 ? std::numeric_limits<double>::quiet_NaN()
                       : sum_ / static_cast<double>(count_);
  }
  double sum() const { return sum_; }
  std::size_t count() const { return count_; }

  void reset() {
    sum_ = 0;
    count_ = 0;
  }

 private:
  void accumulate(double loss) {
    sum_ += loss;
    ++count_;
  }

  static double probability_loss(double p, int label) {
    const double clipped = std::clamp(p, clip_epsilon, 1.0 - clip_epsilon);
    return label ? -std::log(clipped) : -std::log1p(-clipped);
  }

  // With m = z for label 0 and -z for label 1, the loss is softplus(m) =
  // max(m, 0) + log1p(exp(-|m|)), exact for all finite m. Clipping p to
  // [eps, 1 - eps] is clipping the logit to +-log((1 - eps) / eps).
  static double logit_loss(double z, int label) {
    static const double logit_bound = std::log((1.0 - clip_epsilon) / clip_epsilon);
    const double margin = std::clamp(label ? -z : z, -logit_bound, logit_bound);
    return std::max(margin, 0.0) + std::log1p(std::exp(-std::abs(margin)));
  }

  double sum_ = 0;
  std::size_t count_ = 0;
};

}  // namespace adaptrec::metrics
