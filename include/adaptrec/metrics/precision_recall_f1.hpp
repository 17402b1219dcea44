#pragma once
// Precision, recall and F1 of the positive class after thresholding scores
// (positive when strictly above the threshold, as in accuracy.hpp). A ratio
// whose denominator is zero is reported as 0, matching scikit-learn's
// precision_recall_fscore_support with zero_division=0. F1 is computed as
// 2 TP / (2 TP + FP + FN), scikit-learn's form, which equals the harmonic mean
// of precision and recall whenever both are defined.
#include <adaptrec/metrics/validation.hpp>

#include <cmath>
#include <cstddef>

namespace adaptrec::metrics {

class PrecisionRecallF1 {
 public:
  explicit PrecisionRecallF1(double threshold = 0.5) : threshold_(threshold) {
    if (std::isnan(threshold))
      throw invalid_argument("adaptrec::metrics::PrecisionRecallF1: threshold is NaN");
  }

  template <label_value L>
  void add(double score, L label) {
    const auto at = detail::single(count());
    const double s = detail::checked_score(score, "adaptrec::metrics::PrecisionRecallF1::add", at);
    const int y = detail::checked_label(label, "adaptrec::metrics::PrecisionRecallF1::add", at);
    accumulate(s, y);
  }

  // One batch; validated in full before anything is added.
  template <batch_range Scores, batch_range Labels>
  void add(const Scores& scores, const Labels& labels) {
    constexpr const char* where = "adaptrec::metrics::PrecisionRecallF1::add";
    const std::size_t n = std::ranges::size(scores);
    detail::validate_scored_batch(scores, "scores", labels, where, count());
    const auto score_at = std::ranges::begin(scores);
    const auto label_at = std::ranges::begin(labels);
    for (std::size_t i = 0; i < n; ++i)
      accumulate(static_cast<double>(score_at[i]), label_at[i] == 0 ? 0 : 1);
  }

  double precision() const { return ratio(true_positives_, true_positives_ + false_positives_); }
  double recall() const { return ratio(true_positives_, true_positives_ + false_negatives_); }
  double f1() const {
    return ratio(2 * true_positives_, 2 * true_positives_ + false_positives_ + false_negatives_);
  }
  // F1, so the class reads like the single-number metrics.
  double value() const { return f1(); }

  std::size_t true_positives() const { return true_positives_; }
  std::size_t false_positives() const { return false_positives_; }
  std::size_t false_negatives() const { return false_negatives_; }
  std::size_t true_negatives() const { return true_negatives_; }
  std::size_t count() const {
    return true_positives_ + false_positives_ + false_negatives_ + true_negatives_;
  }
  double threshold() const { return threshold_; }

  void reset() { true_positives_ = false_positives_ = false_negatives_ = true_negatives_ = 0; }

 private:
  static double ratio(std::size_t numerator, std::size_t denominator) {
    return denominator == 0 ? 0.0
                            : static_cast<double>(numerator) / static_cast<double>(denominator);
  }

  void accumulate(double score, int label) {
    const bool predicted = score > threshold_;
    if (predicted && label)
      ++true_positives_;
    else if (predicted)
      ++false_positives_;
    else if (label)
      ++false_negatives_;
    else
      ++true_negatives_;
  }

  double threshold_;
  std::size_t true_positives_ = 0;
  std::size_t false_positives_ = 0;
  std::size_t false_negatives_ = 0;
  std::size_t true_negatives_ = 0;
};

}  // namespace adaptrec::metrics
