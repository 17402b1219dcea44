#pragma once
// Negative item samplers for implicit-feedback training. Both are seeded and
// reproducible across standard libraries, and draw "any item except these
// positives" for BPR-style pairs and sampled-softmax candidates.
//
// PopularityNegativeSampler draws item i with probability count_i^power / sum,
// the unigram^0.75 distribution of word2vec (Mikolov et al., NeurIPS 2013,
// Section 2.2) when power = 0.75; probability(i) is the q(i) that the logQ
// correction subtracts from logits (Yi et al., RecSys 2019, Section 3).
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/data/shuffle.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace adaptrec::data {

namespace detail {

// Checks that `positives` is sorted and inside [0, num_items); returns how many
// distinct items it names.
inline std::size_t count_distinct_positives(std::span<const std::int32_t> positives,
                                            std::int32_t num_items, const char* caller) {
  std::size_t distinct = 0;
  for (std::size_t k = 0; k < positives.size(); ++k) {
    if (positives[k] < 0 || positives[k] >= num_items)
      throw index_error(std::string(caller) + ": excluded item " + std::to_string(positives[k]) +
                        " outside [0, " + std::to_string(num_items) + ")");
    if (k > 0 && positives[k] < positives[k - 1])
      throw invalid_argument(std::string(caller) + ": excluded items are not sorted (" +
                             std::to_string(positives[k - 1]) + " before " +
                             std::to_string(positives[k]) + ")");
    if (k == 0 || positives[k] != positives[k - 1]) ++distinct;
  }
  return distinct;
}

inline bool is_excluded(std::span<const std::int32_t> sorted_positives, std::int32_t item) {
  return std::binary_search(sorted_positives.begin(), sorted_positives.end(), item);
}

}  // namespace detail

class UniformNegativeSampler {
 public:
  UniformNegativeSampler(std::int32_t num_items, std::uint64_t seed)
      : num_items_(num_items), rng_(seed) {
    if (num_items <= 0)
      throw invalid_argument("UniformNegativeSampler: num_items must be positive, got " +
                             std::to_string(num_items));
  }

  std::int32_t num_items() const { return num_items_; }
  double probability(std::int32_t item) const {
    return item >= 0 && item < num_items_ ? 1.0 / num_items_ : 0.0;
  }

  std::int32_t sample() {
    return static_cast<std::int32_t>(uniform_below(rng_, static_cast<std::uint64_t>(num_items_)));
  }

  std::vector<std::int32_t> sample(std::size_t n) {
    std::vector<std::int32_t> items(n);
    for (std::int32_t& item : items) item = sample();
    return items;
  }

  // Uniform over the items not in `sorted_positives` (ascending; duplicates
  // allowed). Rejection while the excluded share is small; past half, the draw
  // is the r-th non-excluded item instead, so the cost stays bounded.
  std::int32_t sample_excluding(std::span<const std::int32_t> sorted_positives) {
    const std::size_t excluded = detail::count_distinct_positives(
        sorted_positives, num_items_, "UniformNegativeSampler::sample_excluding");
    const auto allowed = static_cast<std::size_t>(num_items_) - excluded;
    if (allowed == 0)
      throw invalid_argument("UniformNegativeSampler::sample_excluding: all " +
                             std::to_string(num_items_) + " items are excluded");
    if (2 * excluded <= static_cast<std::size_t>(num_items_)) {
      while (true) {
        const std::int32_t item = sample();
        if (!detail::is_excluded(sorted_positives, item)) return item;
      }
    }
    return nth_allowed(sorted_positives, uniform_below(rng_, allowed));
  }

 private:
  // The rank-th (0-based) item not in `sorted_positives`: walk the distinct
  // exclusions, each one at or below the candidate pushes it up by one.
  static std::int32_t nth_allowed(std::span<const std::int32_t> sorted_positives,
                                  std::uint64_t rank) {
    auto item = static_cast<std::int64_t>(rank);
    std::int32_t previous = -1;
    for (const std::int32_t excluded : sorted_positives) {
      if (excluded == previous) continue;
      previous = excluded;
      if (excluded <= item) ++item;
      else break;
    }
    return static_cast<std::int32_t>(item);
  }

  std::int32_t num_items_;
  Rng rng_;
};

class PopularityNegativeSampler {
 public:
  PopularityNegativeSampler(const std::vector<std::int64_t>& item_counts, std::uint64_t seed,
                            double power = 1.0)
      : rng_(seed) {
    if (item_counts.empty() || item_counts.size() > static_cast<std::size_t>(INT32_MAX))
      throw invalid_argument("PopularityNegativeSampler: need between 1 and 2^31-1 item counts, got " +
                             std::to_string(item_counts.size()));
    if (!std::isfinite(power) || power < 0.0)
      throw invalid_argument("PopularityNegativeSampler: power must be finite and >= 0, got " +
                             std::to_string(power));
    std::vector<double> weights(item_counts.size());
    double total = 0.0;
    for (std::size_t i = 0; i < item_counts.size(); ++i) {
      if (item_counts[i] < 0)
        throw invalid_argument("PopularityNegativeSampler: item " + std::to_string(i) +
                               " has negative count " + std::to_string(item_counts[i]));
      weights[i] = std::pow(static_cast<double>(item_counts[i]), power);
      total += weights[i];
    }
    if (!(total > 0.0) || !std::isfinite(total))
      throw invalid_argument("PopularityNegativeSampler: every item count is zero");
    probabilities_.resize(weights.size());
    for (std::size_t i = 0; i < weights.size(); ++i) {
      probabilities_[i] = weights[i] / total;
      if (probabilities_[i] > 0.0) ++items_with_mass_;
    }
    build_alias_table();
  }

  std::int32_t num_items() const { return static_cast<std::int32_t>(probabilities_.size()); }

  double probability(std::int32_t item) const {
    if (item < 0 || item >= num_items())
      throw index_error("PopularityNegativeSampler::probability: item " + std::to_string(item) +
                        " outside [0, " + std::to_string(num_items()) + ")");
    return probabilities_[static_cast<std::size_t>(item)];
  }

  // O(1) per draw with Walker's alias method.
  std::int32_t sample() {
    const auto column = static_cast<std::size_t>(uniform_below(rng_, probabilities_.size()));
    return uniform_unit(rng_) < keep_[column] ? static_cast<std::int32_t>(column) : alias_[column];
  }

  std::vector<std::int32_t> sample(std::size_t n) {
    std::vector<std::int32_t> items(n);
    for (std::int32_t& item : items) item = sample();
    return items;
  }

  // Draws from the distribution renormalised over the items not in
  // `sorted_positives`. Rejection first; after many rejections (the positives
  // hold most of the mass) it switches to an exact draw over the remaining
  // items, which yields the same distribution.
  std::int32_t sample_excluding(std::span<const std::int32_t> sorted_positives) {
    detail::count_distinct_positives(sorted_positives, num_items(),
                                     "PopularityNegativeSampler::sample_excluding");
    std::size_t excluded_with_mass = 0;
    for (std::size_t k = 0; k < sorted_positives.size(); ++k)
      if ((k == 0 || sorted_positives[k] != sorted_positives[k - 1]) &&
          probabilities_[static_cast<std::size_t>(sorted_positives[k])] > 0.0)
        ++excluded_with_mass;
    if (excluded_with_mass == items_with_mass_)
      throw invalid_argument(
          "PopularityNegativeSampler::sample_excluding: every item with nonzero probability is "
          "excluded");
    constexpr int max_rejections = 64;
    for (int attempt = 0; attempt < max_rejections; ++attempt) {
      const std::int32_t item = sample();
      if (!detail::is_excluded(sorted_positives, item)) return item;
    }
    return sample_from_remaining(sorted_positives);
  }

 private:
  // Vose's linear-time construction ("A linear algorithm for generating random
  // numbers with a given distribution", IEEE TSE 17(9), 1991).
  void build_alias_table() {
    const std::size_t n = probabilities_.size();
    keep_.assign(n, 1.0);
    alias_.resize(n);
    std::vector<double> scaled(n);
    std::vector<std::size_t> small, large;
    for (std::size_t i = 0; i < n; ++i) {
      alias_[i] = static_cast<std::int32_t>(i);
      scaled[i] = probabilities_[i] * static_cast<double>(n);
      (scaled[i] < 1.0 ? small : large).push_back(i);
    }
    while (!small.empty() && !large.empty()) {
      const std::size_t s = small.back(), l = large.back();
      small.pop_back();
      keep_[s] = scaled[s];
      alias_[s] = static_cast<std::int32_t>(l);
      scaled[l] -= 1.0 - scaled[s];
      if (scaled[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
    // What is left holds probability 1 up to rounding. A zero-probability item
    // cannot be among it, but must never be drawn, so it defers to a real one.
    const auto with_mass = static_cast<std::int32_t>(
        std::find_if(probabilities_.begin(), probabilities_.end(), [](double p) { return p > 0.0; }) -
        probabilities_.begin());
    for (const auto& leftover : {small, large})
      for (const std::size_t i : leftover) {
        keep_[i] = probabilities_[i] > 0.0 ? 1.0 : 0.0;
        alias_[i] = probabilities_[i] > 0.0 ? static_cast<std::int32_t>(i) : with_mass;
      }
  }

  std::int32_t sample_from_remaining(std::span<const std::int32_t> sorted_positives) {
    double remaining = 0.0;
    for (std::size_t i = 0; i < probabilities_.size(); ++i)
      if (!detail::is_excluded(sorted_positives, static_cast<std::int32_t>(i)))
        remaining += probabilities_[i];
    const double target = uniform_unit(rng_) * remaining;
    double cumulative = 0.0;
    std::int32_t last_allowed = -1;
    for (std::size_t i = 0; i < probabilities_.size(); ++i) {
      const auto item = static_cast<std::int32_t>(i);
      if (probabilities_[i] == 0.0 || detail::is_excluded(sorted_positives, item)) continue;
      cumulative += probabilities_[i];
      last_allowed = item;
      if (target < cumulative) return item;
    }
    return last_allowed;  // rounding left target at the very end of the range
  }

  Rng rng_;
  std::vector<double> probabilities_;
  std::vector<double> keep_;
  std::vector<std::int32_t> alias_;
  std::size_t items_with_mass_ = 0;
};

}  // namespace adaptrec::data
