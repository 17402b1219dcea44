#pragma once
// Area under the ROC curve, accumulated over a stream of (score, label) pairs.
//
// AUC is the Mann-Whitney U statistic normalised by the number of
// (positive, negative) pairs: the probability that a random positive scores
// above a random negative, a tied pair counting 1/2 (Hanley & McNeil, Radiology
// 1982; equivalently the rank-sum formula with average ranks for ties). It is
// computed exactly at value() time after one sort, in double.
#include <adaptrec/metrics/validation.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace adaptrec::metrics {

namespace detail {

struct ScoredLabel {
  double score;
  std::uint8_t label;
};

struct AucCounts {
  double auc;  // NaN when one class is absent
  std::size_t positives;
  std::size_t negatives;
};

// AUC of [first, last) already sorted by ascending score. Walking groups of equal
// score, each positive beats every negative of a lower score and ties with each
// negative of its own score; counting pairs directly avoids the cancellation of
// the rank-sum form R+ - P(P+1)/2 on large inputs.
template <class It>
AucCounts auc_of_sorted(It first, It last) {
  double winning_pairs = 0;  // ties count 1/2
  std::size_t positives = 0, negatives = 0;
  while (first != last) {
    It group_end = first;
    std::size_t group_positives = 0, group_negatives = 0;
    while (group_end != last && group_end->score == first->score) {
      if (group_end->label)
        ++group_positives;
      else
        ++group_negatives;
      ++group_end;
    }
    winning_pairs += static_cast<double>(group_positives) *
                     (static_cast<double>(negatives) + 0.5 * static_cast<double>(group_negatives));
    positives += group_positives;
    negatives += group_negatives;
    first = group_end;
  }
  const double auc =
      positives == 0 || negatives == 0
          ? std::numeric_limits<double>::quiet_NaN()
          : winning_pairs / (static_cast<double>(positives) * static_cast<double>(negatives));
  return {auc, positives, negatives};
}

}  // namespace detail

class Auc {
 public:
  template <label_value L>
  void add(double score, L label) {
    const auto at = detail::single(entries_.size());
    const double s = detail::checked_score(score, "adaptrec::metrics::Auc::add", at);
    const int y = detail::checked_label(label, "adaptrec::metrics::Auc::add", at);
    push(s, y);
  }

  // One batch; validated in full before anything is added, so a throwing call
  // leaves the metric unchanged.
  template <batch_range Scores, batch_range Labels>
  void add(const Scores& scores, const Labels& labels) {
    constexpr const char* where = "adaptrec::metrics::Auc::add";
    const std::size_t n = std::ranges::size(scores), first = entries_.size();
    detail::validate_scored_batch(scores, "scores", labels, where, first);
    const auto score_at = std::ranges::begin(scores);
    const auto label_at = std::ranges::begin(labels);
    entries_.reserve(first + n);
    for (std::size_t i = 0; i < n; ++i)
      push(static_cast<double>(score_at[i]), label_at[i] == 0 ? 0 : 1);
  }

  // The ROC AUC, or NaN when only one class has been seen (see defined()).
  double value() const { return counts().auc; }
  bool defined() const { return positives_ > 0 && positives_ < entries_.size(); }

  std::size_t count() const { return entries_.size(); }
  std::size_t positives() const { return positives_; }
  std::size_t negatives() const { return entries_.size() - positives_; }

  void reset() {
    entries_.clear();
    positives_ = 0;
    sorted_ = true;
  }

 private:
  void push(double score, int label) {
    if (sorted_ && !entries_.empty() && score < entries_.back().score) sorted_ = false;
    entries_.push_back({score, static_cast<std::uint8_t>(label)});
    positives_ += static_cast<std::size_t>(label);
  }

  // Sorting is cached across value() calls until the next add(). It mutates
  // cached state, so value() must not race with itself on one object.
  detail::AucCounts counts() const {
    if (!sorted_) {
      std::sort(entries_.begin(), entries_.end(),
                [](const detail::ScoredLabel& a, const detail::ScoredLabel& b) {
                  return a.score < b.score;
                });
      sorted_ = true;
    }
    return detail::auc_of_sorted(entries_.begin(), entries_.end());
  }

  mutable std::vector<detail::ScoredLabel> entries_;
  mutable bool sorted_ = true;
  std::size_t positives_ = 0;
};

}  // namespace adaptrec::metrics
