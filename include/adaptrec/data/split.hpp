#pragma once
// Train/validation/test splits of a rating log for the two usual protocols:
// leave-one-out ranking (the last and second-to-last interaction of each user by
// time, as in He et al., "Neural Collaborative Filtering", WWW 2017, Section 4.1)
// and click-through-rate prediction with ratings >= a threshold as positives.
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/data/movielens_dataset.hpp>
#include <adaptrec/data/shuffle.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace adaptrec::data {

struct Interaction {
  std::int32_t user;
  std::int32_t item;
  std::int64_t timestamp;
  float label;  // 1 for a positive, 0 for a negative
};

struct LeaveOneOutSplit {
  std::vector<Rating> train;       // in input order
  std::vector<Rating> validation;  // at most one per user, ordered by user
  std::vector<Rating> test;        // at most one per user, ordered by user
};

struct CtrSplit {
  std::vector<Interaction> train, validation, test;
};

namespace detail {

inline void require_users_in_range(const std::vector<Rating>& ratings, std::int32_t num_users,
                                   const char* caller) {
  if (num_users < 0)
    throw invalid_argument(std::string(caller) + ": negative num_users " +
                           std::to_string(num_users));
  for (std::size_t i = 0; i < ratings.size(); ++i)
    if (ratings[i].user < 0 || ratings[i].user >= num_users)
      throw index_error(std::string(caller) + ": rating " + std::to_string(i) + " has user " +
                        std::to_string(ratings[i].user) + " outside [0, " +
                        std::to_string(num_users) + ")");
}

// The positions of each user's ratings, grouped by user (CSR layout) and within
// a user sorted by timestamp, ties kept in input order.
struct RatingsByUser {
  std::vector<std::size_t> offsets;  // num_users + 1
  std::vector<std::size_t> positions;
};

inline RatingsByUser group_by_user_chronologically(const std::vector<Rating>& ratings,
                                                   std::int32_t num_users) {
  RatingsByUser grouped;
  grouped.offsets.assign(static_cast<std::size_t>(num_users) + 1, 0);
  for (const Rating& r : ratings) ++grouped.offsets[static_cast<std::size_t>(r.user) + 1];
  for (std::size_t u = 0; u < static_cast<std::size_t>(num_users); ++u)
    grouped.offsets[u + 1] += grouped.offsets[u];
  grouped.positions.resize(ratings.size());
  std::vector<std::size_t> cursor(grouped.offsets.begin(), grouped.offsets.end() - 1);
  for (std::size_t i = 0; i < ratings.size(); ++i)
    grouped.positions[cursor[static_cast<std::size_t>(ratings[i].user)]++] = i;
  for (std::size_t u = 0; u < static_cast<std::size_t>(num_users); ++u)
    std::stable_sort(grouped.positions.begin() + static_cast<std::ptrdiff_t>(grouped.offsets[u]),
                     grouped.positions.begin() + static_cast<std::ptrdiff_t>(grouped.offsets[u + 1]),
                     [&](std::size_t a, std::size_t b) {
                       return ratings[a].timestamp < ratings[b].timestamp;
                     });
  return grouped;
}

struct SplitSizes {
  std::size_t train, validation, test;
};

inline SplitSizes ctr_split_sizes(std::size_t n, double validation_fraction, double test_fraction,
                                  float positive_threshold, const char* caller) {
  const auto valid_fraction = [](double f) { return std::isfinite(f) && f >= 0.0 && f <= 1.0; };
  if (!valid_fraction(validation_fraction) || !valid_fraction(test_fraction) ||
      validation_fraction + test_fraction > 1.0)
    throw invalid_argument(std::string(caller) + ": fractions validation=" +
                           std::to_string(validation_fraction) + ", test=" +
                           std::to_string(test_fraction) +
                           " must lie in [0, 1] and sum to at most 1");
  if (std::isnan(positive_threshold))
    throw invalid_argument(std::string(caller) + ": positive_threshold is NaN");
  const auto count = [n](double f) {
    return std::min(n, static_cast<std::size_t>(std::llround(f * static_cast<double>(n))));
  };
  const std::size_t test = count(test_fraction);
  const std::size_t validation = std::min(n - test, count(validation_fraction));
  return {n - test - validation, validation, test};
}

inline Interaction to_interaction(const Rating& r, float positive_threshold) {
  return {r.user, r.item, r.timestamp, r.rating >= positive_threshold ? 1.0f : 0.0f};
}

}  // namespace detail

// Per user, the latest rating goes to test and the one before to validation;
// ties in timestamp keep input order, so the later line counts as later. Users
// with fewer than three ratings keep them all in train, so every user who has a
// test item also has at least one training item.
inline LeaveOneOutSplit leave_one_out_split(const std::vector<Rating>& ratings,
                                            std::int32_t num_users) {
  detail::require_users_in_range(ratings, num_users, "leave_one_out_split");
  const detail::RatingsByUser grouped = detail::group_by_user_chronologically(ratings, num_users);
  std::vector<bool> held_out(ratings.size(), false);
  LeaveOneOutSplit split;
  for (std::size_t u = 0; u < static_cast<std::size_t>(num_users); ++u) {
    const std::size_t begin = grouped.offsets[u], end = grouped.offsets[u + 1];
    if (end - begin < 3) continue;
    const std::size_t last = grouped.positions[end - 1], second_last = grouped.positions[end - 2];
    split.test.push_back(ratings[last]);
    split.validation.push_back(ratings[second_last]);
    held_out[last] = held_out[second_last] = true;
  }
  split.train.reserve(ratings.size() - split.test.size() - split.validation.size());
  for (std::size_t i = 0; i < ratings.size(); ++i)
    if (!held_out[i]) split.train.push_back(ratings[i]);
  return split;
}

// A uniformly random split (each part in input order); label = rating >= threshold.
inline CtrSplit random_ctr_split(const std::vector<Rating>& ratings, double validation_fraction,
                                 double test_fraction, std::uint64_t seed,
                                 float positive_threshold = 4.0f) {
  const detail::SplitSizes sizes = detail::ctr_split_sizes(
      ratings.size(), validation_fraction, test_fraction, positive_threshold, "random_ctr_split");
  std::vector<std::size_t> order = shuffled_indices(ratings.size(), seed);
  const auto take = [&](std::size_t from, std::size_t count) {
    const auto first = order.begin() + static_cast<std::ptrdiff_t>(from);
    const auto last = first + static_cast<std::ptrdiff_t>(count);
    std::sort(first, last);
    std::vector<Interaction> part;
    part.reserve(count);
    for (auto it = first; it != last; ++it)
      part.push_back(detail::to_interaction(ratings[*it], positive_threshold));
    return part;
  };
  CtrSplit split;
  split.test = take(0, sizes.test);
  split.validation = take(sizes.test, sizes.validation);
  split.train = take(sizes.test + sizes.validation, sizes.train);
  return split;
}

// The earliest ratings train, the next validate, the latest test (global time
// order, ties in input order); each part in time order.
inline CtrSplit temporal_ctr_split(const std::vector<Rating>& ratings, double validation_fraction,
                                   double test_fraction, float positive_threshold = 4.0f) {
  const detail::SplitSizes sizes = detail::ctr_split_sizes(
      ratings.size(), validation_fraction, test_fraction, positive_threshold, "temporal_ctr_split");
  std::vector<std::size_t> order(ratings.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return ratings[a].timestamp < ratings[b].timestamp;
  });
  CtrSplit split;
  for (std::size_t k = 0; k < order.size(); ++k) {
    auto& part = k < sizes.train ? split.train
                 : k < sizes.train + sizes.validation ? split.validation
                                                      : split.test;
    part.push_back(detail::to_interaction(ratings[order[k]], positive_threshold));
  }
  return split;
}

// Each user's items in time order (ties in input order).
inline std::vector<std::vector<std::int32_t>> items_by_user(const std::vector<Rating>& train,
                                                            std::int32_t num_users) {
  detail::require_users_in_range(train, num_users, "items_by_user");
  const detail::RatingsByUser grouped = detail::group_by_user_chronologically(train, num_users);
  std::vector<std::vector<std::int32_t>> items(static_cast<std::size_t>(num_users));
  for (std::size_t u = 0; u < items.size(); ++u) {
    items[u].reserve(grouped.offsets[u + 1] - grouped.offsets[u]);
    for (std::size_t k = grouped.offsets[u]; k < grouped.offsets[u + 1]; ++k)
      items[u].push_back(train[grouped.positions[k]].item);
  }
  return items;
}

}  // namespace adaptrec::data
