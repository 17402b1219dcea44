#pragma once
// Fraction of examples whose thresholded score matches the label. A score is
// predicted positive when it is strictly above the threshold, as Keras's
// binary_accuracy and torchmetrics' BinaryAccuracy do; the default 0.5 suits
// probabilities, 0 suits logits.
#include <adaptrec/metrics/validation.hpp>

#include <cmath>
#include <cstddef>
#include <limits>

namespace adaptrec::metrics {

class Accuracy {
 public:
  explicit Accuracy(double threshold = 0.5) : threshold_(threshold) {
    if (std::isnan(threshold))
      throw invalid_argument("adaptrec::metrics::Accuracy: threshold is NaN");
  }

  template <label_value L>
  void add(double score, L label) {
    const auto at = detail::single(count_);
    const double s = detail::checked_score(score, "adaptrec::metrics::Accuracy::add", at);
    const int y = detail::checked_label(label, "adaptrec::metrics::Accuracy::add", at);
    accumulate(s, y);
  }

  // One batch; validated in full before anything is added.
  template <batch_range Scores, batch_range Labels>
  void add(const Scores& scores, const Labels& labels) {
    constexpr const char* where = "adaptrec::metrics::Accuracy::add";
    detail::validate_scored_batch(scores, "scores", labels, where, count_);
    const std::size_t n = std::ranges::size(scores);
    const auto score_at = std::ranges::begin(scores);
    const auto label_at = std::ranges::begin(labels);
    for (std::size_t i = 0; i < n; ++i)
      accumulate(static_cast<double>(score_at[i]), label_at[i] == 0 ? 0 : 1);
  }

  // Correct / seen, NaN before any example.
  double value() const {
    return count_ == 0 ? std::numeric_limits<double>::quiet_NaN()
                       : static_cast<double>(correct_) / static_cast<double>(count_);
  }
  double threshold() const { return threshold_; }
  std::size_t correct() const { return correct_; }
  std::size_t count() const { return count_; }

  void reset() {
    correct_ = 0;
    count_ = 0;
  }

 private:
  void accumulate(double score, int label) {
    const int predicted = score > threshold_ ? 1 : 0;
    correct_ += predicted == label ? 1 : 0;
    ++count_;
  }

  double threshold_;
  std::size_t correct_ = 0;
  std::size_t count_ = 0;
};

}  // namespace adaptrec::metrics
