#include <adaptrec/metrics/candidate_ranking.hpp>

#include <adaptrec/core/random.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <set>
#include <span>
#include <string>
#include <vector>

using namespace adaptrec;
using metrics::rank_of_target;
using metrics::top_k;

namespace {

// Plain definitions, with a set for the exclusions.
template <class T>
std::int64_t reference_rank(const std::vector<T>& scores, std::int64_t target,
                            const std::vector<std::int64_t>& excluded) {
  const std::set<std::int64_t> skip(excluded.begin(), excluded.end());
  std::int64_t rank = 0;
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(scores.size()); ++i)
    if (i != target && !skip.count(i) &&
        scores[static_cast<std::size_t>(i)] >= scores[static_cast<std::size_t>(target)])
      ++rank;
  return rank;
}

template <class T>
std::vector<std::int64_t> reference_top_k(const std::vector<T>& scores, int k,
                                          const std::vector<std::int64_t>& excluded) {
  const std::set<std::int64_t> skip(excluded.begin(), excluded.end());
  std::vector<std::int64_t> items;
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(scores.size()); ++i)
    if (!skip.count(i)) items.push_back(i);
  std::stable_sort(items.begin(), items.end(), [&](std::int64_t a, std::int64_t b) {
    return scores[static_cast<std::size_t>(a)] > scores[static_cast<std::size_t>(b)];
  });
  items.resize(std::min(items.size(), static_cast<std::size_t>(k)));
  return items;
}

bool message_contains(const std::exception& e, const std::string& part) {
  return std::string(e.what()).find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_candidate_ranking)

BOOST_AUTO_TEST_CASE(rank_counts_ties_against_the_target) {
  // Target 1 scores 0.5; other items at least as high: 3 (0.5, a tie) and
  // 4 (0.9), so the pessimistic rank is 2.
  const std::vector<float> scores{0.1f, 0.5f, 0.3f, 0.5f, 0.9f, 0.2f};
  using ids = std::vector<std::int64_t>;
  BOOST_TEST(rank_of_target(scores, 1, ids{}) == 2);
  BOOST_TEST(rank_of_target(scores, 1, ids{4}) == 1);        // 4 was a training item
  BOOST_TEST(rank_of_target(scores, 1, ids{3, 4}) == 0);     // both were
  BOOST_TEST(rank_of_target(scores, 1, ids{4, 3, 4}) == 0);  // unsorted, repeated
  BOOST_TEST(rank_of_target(scores, 1, ids{1, 0, 5}) == 2);  // the target is never excluded
  BOOST_TEST(rank_of_target(scores, 4, ids{}) == 0);
  BOOST_TEST(rank_of_target(scores, 0, ids{}) == 5);
}

BOOST_AUTO_TEST_CASE(constant_scorer_ranks_the_target_last) {
  // Ten equal scores: all nine others tie with the target, rank 9; excluding
  // two of them leaves rank 7.
  const std::vector<double> scores(10, 0.25);
  BOOST_TEST(rank_of_target(scores, 0, std::vector<std::int64_t>{}) == 9);
  BOOST_TEST(rank_of_target(scores, 6, std::vector<std::int64_t>{2, 5}) == 7);
}

BOOST_AUTO_TEST_CASE(rank_matches_reference_on_random_data) {
  Rng rng(3);
  std::uniform_int_distribution<int> level(0, 20), size(1, 1700);
  for (int trial = 0; trial < 30; ++trial) {
    const auto n = static_cast<std::size_t>(size(rng));
    std::vector<float> scores(n);
    for (float& s : scores) s = static_cast<float>(level(rng)) / 7.0f;
    std::uniform_int_distribution<std::int64_t> item(0, static_cast<std::int64_t>(n) - 1);
    std::vector<std::int64_t> excluded(n / 10);
    for (auto& e : excluded) e = item(rng);
    if (trial % 2 == 0) std::sort(excluded.begin(), excluded.end());
    const std::vector<double> scores_double(scores.begin(), scores.end());
    for (int q = 0; q < 5; ++q) {
      const std::int64_t target = item(rng);
      const std::int64_t expected = reference_rank(scores, target, excluded);
      BOOST_TEST(rank_of_target(scores, target, excluded) == expected);
      BOOST_TEST(rank_of_target(scores_double, target, excluded) == expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(rank_rejects_bad_input_naming_the_item) {
  const std::vector<float> scores{0.1f, 0.5f, NAN, 0.2f};
  const std::vector<float> clean{0.1f, 0.5f, 0.4f, 0.2f};
  try {
    static_cast<void>(rank_of_target(scores, 1, std::vector<std::int64_t>{}));
    BOOST_FAIL("expected invalid_argument");
  } catch (const invalid_argument& e) {
    BOOST_TEST(message_contains(e, "score of item 2 is NaN"));
  }
  try {
    static_cast<void>(rank_of_target(clean, 4, std::vector<std::int64_t>{}));
    BOOST_FAIL("expected index_error");
  } catch (const index_error& e) {
    BOOST_TEST(message_contains(e, "target item 4 is outside the 4 candidates"));
  }
  try {
    static_cast<void>(rank_of_target(clean, 0, std::vector<std::int64_t>{1, 9}));
    BOOST_FAIL("expected index_error");
  } catch (const index_error& e) {
    BOOST_TEST(message_contains(e, "excluded item 9 at position 1"));
  }
  BOOST_CHECK_THROW(static_cast<void>(rank_of_target(clean, -1, std::vector<std::int64_t>{})),
                    index_error);
}

BOOST_AUTO_TEST_CASE(top_k_orders_by_score_then_lower_index) {
  // Scores by item: 0:0.1 1:0.5 2:0.3 3:0.5 4:0.9 5:0.2. Best three: 4, then the
  // tie 1 and 3 in index order.
  const std::vector<float> scores{0.1f, 0.5f, 0.3f, 0.5f, 0.9f, 0.2f};
  using ids = std::vector<std::int64_t>;
  BOOST_TEST((top_k(scores, 3, ids{}) == ids{4, 1, 3}));
  BOOST_TEST((top_k(scores, 3, ids{1}) == ids{4, 3, 2}));
  BOOST_TEST((top_k(scores, 10, ids{4, 0}) == ids{1, 3, 2, 5}));  // fewer than k remain
  BOOST_TEST((top_k(scores, 1, ids{0, 1, 2, 3, 4, 5}).empty()));
}

BOOST_AUTO_TEST_CASE(top_k_matches_reference_on_random_data) {
  Rng rng(9);
  std::uniform_int_distribution<int> level(0, 15), size(1, 1700), k_dist(1, 60);
  for (int trial = 0; trial < 30; ++trial) {
    const auto n = static_cast<std::size_t>(size(rng));
    std::vector<double> scores(n);
    for (double& s : scores) s = level(rng) * 0.1;
    std::uniform_int_distribution<std::int64_t> item(0, static_cast<std::int64_t>(n) - 1);
    std::vector<std::int64_t> excluded(n / 5);
    for (auto& e : excluded) e = item(rng);
    const int k = k_dist(rng);
    BOOST_TEST((top_k(scores, k, excluded) == reference_top_k(scores, k, excluded)));
    const std::vector<float> scores_float(scores.begin(), scores.end());
    BOOST_TEST((top_k(scores_float, k, excluded) == reference_top_k(scores_float, k, excluded)));
  }
}

BOOST_AUTO_TEST_CASE(top_k_rejects_bad_input) {
  const std::vector<double> scores{0.3, NAN};
  try {
    static_cast<void>(top_k(scores, 1, std::vector<std::int64_t>{}));
    BOOST_FAIL("expected invalid_argument");
  } catch (const invalid_argument& e) {
    BOOST_TEST(message_contains(e, "score of item 1 is NaN"));
  }
  const std::vector<double> clean{0.3, 0.1};
  BOOST_CHECK_THROW(static_cast<void>(top_k(clean, 0, std::vector<std::int64_t>{})),
                    invalid_argument);
  BOOST_CHECK_THROW(static_cast<void>(top_k(clean, 1, std::vector<std::int64_t>{2})), index_error);
}

BOOST_AUTO_TEST_SUITE_END()
