#pragma once
// Top-K ranking metrics averaged over queries (one query = one user's ranking):
//   HR@K      1 if any relevant item is in the top K (He et al., "Neural
//             Collaborative Filtering", WWW 2017, Section 4.1).
//   NDCG@K    DCG@K / IDCG@K with binary relevance and discount 1 / log2(p + 2)
//             at 0-based position p (Jarvelin & Kekalainen, "Cumulated
//             gain-based evaluation of IR techniques", TOIS 2002); the ideal
//             list puts min(|relevant|, K) relevant items first.
//   Recall@K  relevant items in the top K / |relevant|.
//   MRR       1 / (1 + position of the first relevant item), 0 if none.
// A query arrives either as the rank of a single held-out item (leave-one-out;
// see rank_of_target) or as a ranked top list plus the set of relevant items
// (see top_k). Getters return NaN before the first query.
#include <adaptrec/metrics/candidate_ranking.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace adaptrec::metrics {

class RankingMetrics {
 public:
  // The cut-offs K to report; duplicates are merged. An empty list leaves MRR.
  explicit RankingMetrics(std::vector<int> ks = {10}) {
    std::sort(ks.begin(), ks.end());
    ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
    for (int k : ks) {
      if (k <= 0)
        throw invalid_argument("adaptrec::metrics::RankingMetrics: K = " + std::to_string(k) +
                               " must be positive");
      at_k_.push_back({k, 0, 0, 0});
    }
  }

  // Leave-one-out query: the single relevant item has this 0-based rank among
  // all candidates.
  void add_rank(std::int64_t rank) {
    if (rank < 0)
      throw invalid_argument("adaptrec::metrics::RankingMetrics::add_rank: rank " +
                             std::to_string(rank) + " of query " + std::to_string(queries_) +
                             " is negative");
    for (AtK& m : at_k_) {
      if (rank >= m.k) continue;
      m.hits += 1;
      m.ndcg += discount(rank);
      m.recall += 1;
    }
    reciprocal_rank_sum_ += 1.0 / (static_cast<double>(rank) + 1.0);
    ++queries_;
  }

  // A query with a ranked list (best first) and its relevant items, a set:
  // repeated relevant ids count once. Items beyond the list count as missed,
  // and MRR only sees the list.
  void add_ranked_list(std::span<const std::int64_t> ranked_items,
                       std::span<const std::int64_t> relevant_items) {
    constexpr const char* where = "adaptrec::metrics::RankingMetrics::add_ranked_list";
    if (relevant_items.empty())
      throw invalid_argument(std::string(where) + ": query " + std::to_string(queries_) +
                             " has no relevant items");
    relevant_.assign(relevant_items.begin(), relevant_items.end());
    std::sort(relevant_.begin(), relevant_.end());
    relevant_.erase(std::unique(relevant_.begin(), relevant_.end()), relevant_.end());
    found_.assign(relevant_.size(), false);

    hit_positions_.clear();
    for (std::size_t p = 0; p < ranked_items.size(); ++p) {
      const auto it = std::lower_bound(relevant_.begin(), relevant_.end(), ranked_items[p]);
      if (it == relevant_.end() || *it != ranked_items[p]) continue;
      const auto slot = static_cast<std::size_t>(it - relevant_.begin());
      if (found_[slot])
        throw invalid_argument(std::string(where) + ": relevant item " +
                               std::to_string(ranked_items[p]) + " appears twice in the ranked " +
                               "list of query " + std::to_string(queries_) +
                               " (again at position " + std::to_string(p) + ")");
      found_[slot] = true;
      hit_positions_.push_back(static_cast<std::int64_t>(p));
    }

    const double relevant = static_cast<double>(relevant_.size());
    // Grown on demand, so a huge K costs nothing until a query has that many
    // relevant items.
    while (ideal_dcg_.size() <= relevant_.size())
      ideal_dcg_.push_back(ideal_dcg_.back() +
                           discount(static_cast<std::int64_t>(ideal_dcg_.size()) - 1));
    for (AtK& m : at_k_) {
      std::size_t hits = 0;
      double dcg = 0;
      for (std::int64_t p : hit_positions_) {
        if (p >= m.k) break;
        ++hits;
        dcg += discount(p);
      }
      const auto ideal_length = std::min(relevant_.size(), static_cast<std::size_t>(m.k));
      m.hits += hits > 0 ? 1 : 0;
      m.ndcg += dcg / ideal_dcg_[ideal_length];
      m.recall += static_cast<double>(hits) / relevant;
    }
    if (!hit_positions_.empty())
      reciprocal_rank_sum_ += 1.0 / (static_cast<double>(hit_positions_.front()) + 1.0);
    ++queries_;
  }

  double hit_rate(int k) const { return mean(at(k, "hit_rate").hits); }
  double ndcg(int k) const { return mean(at(k, "ndcg").ndcg); }
  double recall(int k) const { return mean(at(k, "recall").recall); }
  double mrr() const { return mean(reciprocal_rank_sum_); }

  std::size_t queries() const { return queries_; }
  std::size_t count() const { return queries_; }
  std::vector<int> ks() const {
    std::vector<int> out;
    for (const AtK& m : at_k_) out.push_back(m.k);
    return out;
  }

  void reset() {
    for (AtK& m : at_k_) m.hits = m.ndcg = m.recall = 0;
    reciprocal_rank_sum_ = 0;
    queries_ = 0;
  }

 private:
  struct AtK {
    int k;
    double hits, ndcg, recall;  // sums over queries
  };

  static double discount(std::int64_t position) {
    return 1.0 / std::log2(static_cast<double>(position) + 2.0);
  }

  double mean(double sum) const {
    return queries_ == 0 ? std::numeric_limits<double>::quiet_NaN()
                         : sum / static_cast<double>(queries_);
  }

  const AtK& at(int k, const char* getter) const {
    for (const AtK& m : at_k_)
      if (m.k == k) return m;
    std::string configured;
    for (const AtK& m : at_k_) configured += (configured.empty() ? "" : ", ") + std::to_string(m.k);
    throw invalid_argument(
        std::string("adaptrec::metrics::RankingMetrics::") + getter + ": K = " + std::to_string(k) +
        " was not configured (configured: " + (configured.empty() ? "none" : configured) + ")");
  }

  std::vector<AtK> at_k_;
  std::vector<double> ideal_dcg_{0.0};  // ideal_dcg_[n] = sum of the first n discounts
  double reciprocal_rank_sum_ = 0;
  std::size_t queries_ = 0;
  // Per-query scratch, kept to avoid reallocating for every query.
  std::vector<std::int64_t> relevant_;
  std::vector<bool> found_;
  std::vector<std::int64_t> hit_positions_;
};

}  // namespace adaptrec::metrics
