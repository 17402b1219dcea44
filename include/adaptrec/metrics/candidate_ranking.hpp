#pragma once
// Turning one user's scores over all candidate items into what the ranking
// metrics consume: the rank of a held-out target (leave-one-out evaluation) or
// the top-K list (several relevant items). Items the user trained on are
// excluded from the candidates, the usual "filtered" protocol; the target is
// never excluded.
//
// rank_of_target counts ties pessimistically: the rank is the number of other
// candidates scoring at least as high as the target. A model that scores every
// item alike then ranks its target last rather than first, so a collapsed model
// cannot look good (Sun et al., "A Re-evaluation of Knowledge Graph Completion
// Methods", ACL 2020, on how optimistic tie handling inflates ranks).
#include <adaptrec/core/error.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace adaptrec::metrics {

namespace detail {

// The excluded ids in increasing order without repeats, after checking each is
// a valid candidate. Already-sorted input (the common case: a user's training
// items kept sorted) is returned as is, without copying.
inline std::span<const std::int64_t> sorted_unique_candidates(std::span<const std::int64_t> ids,
                                                              std::size_t candidates,
                                                              std::vector<std::int64_t>& storage,
                                                              const char* where) {
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || static_cast<std::size_t>(ids[i]) >= candidates)
      throw index_error(std::string(where) + ": excluded item " + std::to_string(ids[i]) +
                        " at position " + std::to_string(i) + " is outside the " +
                        std::to_string(candidates) + " candidates");
  if (std::adjacent_find(ids.begin(), ids.end(), std::greater_equal<>{}) == ids.end()) return ids;
  storage.assign(ids.begin(), ids.end());
  std::sort(storage.begin(), storage.end());
  storage.erase(std::unique(storage.begin(), storage.end()), storage.end());
  return storage;
}

template <class T>
[[noreturn]] void throw_first_nan(std::span<const T> scores, const char* where) {
  const auto nan = std::find_if(scores.begin(), scores.end(), [](T s) { return std::isnan(s); });
  throw invalid_argument(std::string(where) + ": score of item " +
                         std::to_string(nan - scores.begin()) + " is NaN");
}

struct CountAtLeast {
  std::int64_t at_least;  // scores >= the threshold
  std::int64_t nan;
};

// One pass counting scores >= threshold and NaNs together. Fixed-size blocks
// with counters as wide as the scores let GCC vectorise the loop even at -O2
// (its cheap cost model skips loops of unknown length); a single int64 counter
// with a bool NaN flag measured several times slower over 1,700 floats.
template <class T>
CountAtLeast count_at_least(std::span<const T> scores, T threshold) {
  using lane_count = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
  constexpr std::size_t block = 64;
  CountAtLeast total{0, 0};
  std::size_t i = 0;
  for (; i + block <= scores.size(); i += block) {
    lane_count at_least = 0, nan = 0;
    for (std::size_t j = 0; j < block; ++j) {
      const T s = scores[i + j];
      at_least += s >= threshold;
      nan += s != s;
    }
    total.at_least += at_least;
    total.nan += nan;
  }
  for (; i < scores.size(); ++i) {
    total.at_least += scores[i] >= threshold;
    total.nan += scores[i] != scores[i];
  }
  return total;
}

template <class T>
std::int64_t rank_of_target(std::span<const T> scores, std::int64_t target,
                            std::span<const std::int64_t> excluded) {
  constexpr const char* where = "adaptrec::metrics::rank_of_target";
  if (target < 0 || static_cast<std::size_t>(target) >= scores.size())
    throw index_error(std::string(where) + ": target item " + std::to_string(target) +
                      " is outside the " + std::to_string(scores.size()) + " candidates");
  const T target_score = scores[static_cast<std::size_t>(target)];
  const CountAtLeast counted = count_at_least(scores, target_score);
  if (counted.nan > 0) throw_first_nan(scores, where);

  std::vector<std::int64_t> storage;
  std::int64_t rank = counted.at_least - 1;  // the target itself
  for (const std::int64_t item : sorted_unique_candidates(excluded, scores.size(), storage, where))
    if (item != target && scores[static_cast<std::size_t>(item)] >= target_score) --rank;
  return rank;
}

template <class T>
std::vector<std::int64_t> top_k(std::span<const T> scores, int k,
                                std::span<const std::int64_t> excluded) {
  constexpr const char* where = "adaptrec::metrics::top_k";
  if (k <= 0)
    throw invalid_argument(std::string(where) + ": k = " + std::to_string(k) + " must be positive");
  if (std::any_of(scores.begin(), scores.end(), [](T s) { return std::isnan(s); }))
    throw_first_nan(scores, where);
  std::vector<std::int64_t> storage;
  const auto skipped = sorted_unique_candidates(excluded, scores.size(), storage, where);

  // A bounded heap whose front is the worst of the best k seen so far: one
  // pass, O(n log k), memory O(k). Items arrive in increasing id, so a later
  // item that only ties the worst kept score never displaces it.
  const auto better = [&scores](std::int64_t a, std::int64_t b) {
    const T sa = scores[static_cast<std::size_t>(a)], sb = scores[static_cast<std::size_t>(b)];
    return sa > sb || (sa == sb && a < b);
  };
  const std::size_t wanted = std::min(static_cast<std::size_t>(k), scores.size());
  std::vector<std::int64_t> heap;
  heap.reserve(wanted);
  T worst_kept = T(0);
  const auto consider = [&](std::size_t first, std::size_t last) {
    for (std::size_t item = first; item < last; ++item) {
      if (heap.size() < wanted) {
        heap.push_back(static_cast<std::int64_t>(item));
        std::push_heap(heap.begin(), heap.end(), better);
      } else if (scores[item] > worst_kept) {
        std::pop_heap(heap.begin(), heap.end(), better);
        heap.back() = static_cast<std::int64_t>(item);
        std::push_heap(heap.begin(), heap.end(), better);
      } else {
        continue;
      }
      worst_kept = scores[static_cast<std::size_t>(heap.front())];
    }
  };
  // Candidates are the runs between consecutive excluded ids.
  std::size_t run_start = 0;
  for (const std::int64_t item : skipped) {
    consider(run_start, static_cast<std::size_t>(item));
    run_start = static_cast<std::size_t>(item) + 1;
  }
  consider(run_start, scores.size());
  std::sort_heap(heap.begin(), heap.end(), better);
  return heap;
}

}  // namespace detail

// 0-based rank of scores[target] among the candidates not in `excluded`, ties
// counted against the target. Throws index_error for an out-of-range target
// or excluded id, invalid_argument naming the item for a NaN score.
inline std::int64_t rank_of_target(std::span<const float> scores, std::int64_t target,
                                   std::span<const std::int64_t> excluded) {
  return detail::rank_of_target(scores, target, excluded);
}
inline std::int64_t rank_of_target(std::span<const double> scores, std::int64_t target,
                                   std::span<const std::int64_t> excluded) {
  return detail::rank_of_target(scores, target, excluded);
}

// The k highest-scoring candidates not in `excluded`, best first, ties broken
// by the lower item id; fewer than k when fewer candidates remain.
inline std::vector<std::int64_t> top_k(std::span<const float> scores, int k,
                                       std::span<const std::int64_t> excluded) {
  return detail::top_k(scores, k, excluded);
}
inline std::vector<std::int64_t> top_k(std::span<const double> scores, int k,
                                       std::span<const std::int64_t> excluded) {
  return detail::top_k(scores, k, excluded);
}

}  // namespace adaptrec::metrics
