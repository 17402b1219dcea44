#pragma once
// Group AUC: the per-user ROC AUC averaged with each user weighted by their
// number of impressions, over the users who have both a positive and a negative
// example (Zhou et al., "Deep Interest Network for Click-Through Rate
// Prediction", KDD 2018, Section 6.2):
//   GAUC = sum_u w_u AUC_u / sum_u w_u,   w_u = impressions of user u.
// Users with a single class have no AUC and are left out of both sums.
#include <adaptrec/metrics/auc.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace adaptrec::metrics {

class Gauc {
 public:
  template <label_value L>
  void add(std::int64_t user, double score, L label) {
    const auto at = detail::single(entries_.size());
    const double s = detail::checked_score(score, "adaptrec::metrics::Gauc::add", at);
    const int y = detail::checked_label(label, "adaptrec::metrics::Gauc::add", at);
    entries_.push_back({user, s, static_cast<std::uint8_t>(y)});
    summary_valid_ = false;
  }

  // One batch; validated in full before anything is added.
  template <batch_range Users, batch_range Scores, batch_range Labels>
  requires std::integral<std::remove_cvref_t<std::ranges::range_value_t<Users>>>
  void add(const Users& users, const Scores& scores, const Labels& labels) {
    constexpr const char* where = "adaptrec::metrics::Gauc::add";
    detail::require_same_length(users, "users", scores, "scores", where);
    detail::require_same_length(scores, "scores", labels, "labels", where);
    const std::size_t n = std::ranges::size(scores), first = entries_.size();
    const auto score_at = std::ranges::begin(scores);
    const auto label_at = std::ranges::begin(labels);
    const auto user_at = std::ranges::begin(users);
    for (std::size_t i = 0; i < n; ++i) {
      detail::checked_score(static_cast<double>(score_at[i]), where, detail::batch(first, i));
      detail::checked_label(label_at[i], where, detail::batch(first, i));
    }
    entries_.reserve(first + n);
    for (std::size_t i = 0; i < n; ++i)
      entries_.push_back({static_cast<std::int64_t>(user_at[i]), static_cast<double>(score_at[i]),
                          static_cast<std::uint8_t>(label_at[i] == 0 ? 0 : 1)});
    if (n > 0) summary_valid_ = false;
  }

  // GAUC, or NaN when no user has both classes (see defined()).
  double value() const { return summary().gauc; }
  bool defined() const { return summary().users_counted > 0; }
  // Users that contributed an AUC (both classes seen).
  std::size_t users_counted() const { return summary().users_counted; }
  std::size_t count() const { return entries_.size(); }

  void reset() {
    entries_.clear();
    summary_valid_ = true;
    summary_ = {};
  }

 private:
  struct Entry {
    std::int64_t user;
    double score;
    std::uint8_t label;
  };
  struct Summary {
    double gauc = std::numeric_limits<double>::quiet_NaN();
    std::size_t users_counted = 0;
  };

  // Sorting by (user, score) makes each user's examples one score-sorted run.
  // The result is cached until the next add(); value() must not race with
  // itself on one object.
  const Summary& summary() const {
    if (summary_valid_) return summary_;
    std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      return a.user != b.user ? a.user < b.user : a.score < b.score;
    });
    double weighted_auc = 0, total_weight = 0;
    std::size_t users_counted = 0;
    for (auto first = entries_.begin(); first != entries_.end();) {
      auto last = std::find_if(first, entries_.end(),
                               [user = first->user](const Entry& e) { return e.user != user; });
      const detail::AucCounts user_auc = detail::auc_of_sorted(first, last);
      if (user_auc.positives > 0 && user_auc.negatives > 0) {
        const double impressions = static_cast<double>(last - first);
        weighted_auc += impressions * user_auc.auc;
        total_weight += impressions;
        ++users_counted;
      }
      first = last;
    }
    summary_.gauc =
        users_counted > 0 ? weighted_auc / total_weight : std::numeric_limits<double>::quiet_NaN();
    summary_.users_counted = users_counted;
    summary_valid_ = true;
    return summary_;
  }

  mutable std::vector<Entry> entries_;
  mutable Summary summary_;
  mutable bool summary_valid_ = true;
};

}  // namespace adaptrec::metrics
