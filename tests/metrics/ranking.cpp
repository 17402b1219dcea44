#include <adaptrec/metrics/ranking.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

using namespace adaptrec;
using metrics::RankingMetrics;

namespace {
double discount(int position) { return 1.0 / std::log2(position + 2.0); }
}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_ranking)

BOOST_AUTO_TEST_CASE(leave_one_out_ranks_at_zero_three_and_beyond_k) {
  // Three queries with the held-out item at 0-based ranks 0, 3 and 7, K = 5:
  //   HR@5   = (1 + 1 + 0) / 3 = 2/3
  //   NDCG@5 = (1/log2(2) + 1/log2(5) + 0) / 3 = (1 + 0.4306765581) / 3 = 0.4768921860
  //   MRR    = (1/1 + 1/4 + 1/8) / 3 = 1.375 / 3 = 0.4583333333
  // and with K = 1 only rank 0 counts: HR@1 = NDCG@1 = 1/3.
  RankingMetrics metrics({5, 1});
  metrics.add_rank(0);
  metrics.add_rank(3);
  metrics.add_rank(7);
  BOOST_TEST(metrics.queries() == 3u);
  BOOST_TEST(metrics.hit_rate(5) == 2.0 / 3.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(metrics.ndcg(5) == (1.0 + 1.0 / std::log2(5.0)) / 3.0,
             boost::test_tools::tolerance(1e-15));
  BOOST_TEST(metrics.ndcg(5) == 0.4768921860, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(metrics.recall(5) == metrics.hit_rate(5));
  BOOST_TEST(metrics.mrr() == 1.375 / 3.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(metrics.hit_rate(1) == 1.0 / 3.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(metrics.ndcg(1) == 1.0 / 3.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST((metrics.ks() == std::vector<int>{1, 5}));
}

BOOST_AUTO_TEST_CASE(ranked_list_with_several_relevant_items) {
  // Ranked {7, 3, 9, 1, 4}, relevant {3, 4, 8}: hits at positions 1 and 4; 8 is
  // not in the list. IDCG uses min(|relevant|, K) = 3 ideal hits for K = 3 and 5:
  //   IDCG = 1/log2(2) + 1/log2(3) + 1/log2(4) = 1 + 0.6309297536 + 0.5 = 2.1309297536
  //   K = 3: DCG = 1/log2(3) = 0.6309297536, NDCG = 0.2960819110, recall 1/3, HR 1
  //   K = 5: DCG = 1/log2(3) + 1/log2(6) = 1.0177825608, NDCG = 0.4776237035,
  //          recall 2/3, HR 1
  //   MRR = 1/2.
  RankingMetrics metrics({3, 5});
  const std::vector<std::int64_t> ranked{7, 3, 9, 1, 4};
  const std::vector<std::int64_t> relevant{4, 8, 3};
  metrics.add_ranked_list(ranked, relevant);
  const double ideal = 1.0 + 1.0 / std::log2(3.0) + 0.5;
  BOOST_TEST(metrics.ndcg(3) == (1.0 / std::log2(3.0)) / ideal,
             boost::test_tools::tolerance(1e-15));
  BOOST_TEST(metrics.ndcg(3) == 0.2960819110, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(metrics.ndcg(5) == (1.0 / std::log2(3.0) + 1.0 / std::log2(6.0)) / ideal,
             boost::test_tools::tolerance(1e-15));
  BOOST_TEST(metrics.ndcg(5) == 0.4776237035, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(metrics.recall(3) == 1.0 / 3.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(metrics.recall(5) == 2.0 / 3.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(metrics.hit_rate(3) == 1.0);
  BOOST_TEST(metrics.mrr() == 0.5);
}

BOOST_AUTO_TEST_CASE(ideal_dcg_stops_at_the_number_of_relevant_items) {
  // One relevant item at position 1 of the list, K = 5: IDCG = 1 (one ideal hit,
  // not five), so NDCG@5 = 1/log2(3) = 0.6309297536. A query with no hit in the
  // list adds 0 to everything: the means over two queries halve.
  RankingMetrics metrics({5});
  const std::vector<std::int64_t> ranked{7, 3};
  const std::vector<std::int64_t> relevant{3, 3};  // a set: the repeat counts once
  metrics.add_ranked_list(ranked, relevant);
  BOOST_TEST(metrics.ndcg(5) == discount(1), boost::test_tools::tolerance(1e-15));
  BOOST_TEST(metrics.recall(5) == 1.0);
  const std::vector<std::int64_t> missed{11};
  metrics.add_ranked_list(ranked, missed);
  BOOST_TEST(metrics.ndcg(5) == discount(1) / 2, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(metrics.hit_rate(5) == 0.5);
  BOOST_TEST(metrics.mrr() == 0.25);  // (1/2 + 0) / 2
}

BOOST_AUTO_TEST_CASE(rank_and_list_forms_agree_for_one_relevant_item) {
  // Target 42 placed at rank r of a 20-item list: identical metrics either way
  // for every rank inside the list.
  RankingMetrics by_rank({1, 5, 10, 20}), by_list({1, 5, 10, 20});
  for (std::int64_t r = 0; r < 20; ++r) {
    std::vector<std::int64_t> ranked(20);
    for (std::int64_t p = 0; p < 20; ++p) ranked[static_cast<std::size_t>(p)] = 100 + p;
    ranked[static_cast<std::size_t>(r)] = 42;
    const std::vector<std::int64_t> relevant{42};
    by_rank.add_rank(r);
    by_list.add_ranked_list(ranked, relevant);
  }
  for (int k : {1, 5, 10, 20}) {
    BOOST_TEST(by_rank.hit_rate(k) == by_list.hit_rate(k), boost::test_tools::tolerance(1e-15));
    BOOST_TEST(by_rank.ndcg(k) == by_list.ndcg(k), boost::test_tools::tolerance(1e-15));
    BOOST_TEST(by_rank.recall(k) == by_list.recall(k), boost::test_tools::tolerance(1e-15));
  }
  BOOST_TEST(by_rank.mrr() == by_list.mrr(), boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(k_larger_than_any_list) {
  // K = 2^30 covers every list: ranked {5, 6} with relevant {6, 9}: hit at
  // position 1, DCG = 1/log2(3), IDCG = 1 + 1/log2(3) (two relevant items),
  // recall 1/2.
  RankingMetrics metrics({1 << 30});
  const std::vector<std::int64_t> ranked{5, 6};
  const std::vector<std::int64_t> relevant{6, 9};
  metrics.add_ranked_list(ranked, relevant);
  BOOST_TEST(metrics.ndcg(1 << 30) == discount(1) / (1.0 + discount(1)),
             boost::test_tools::tolerance(1e-15));
  BOOST_TEST(metrics.recall(1 << 30) == 0.5);
  metrics.add_rank(123456);
  BOOST_TEST(metrics.hit_rate(1 << 30) == 1.0);
}

BOOST_AUTO_TEST_CASE(empty_and_reset) {
  RankingMetrics metrics;
  BOOST_TEST(std::isnan(metrics.ndcg(10)));
  BOOST_TEST(std::isnan(metrics.mrr()));
  metrics.add_rank(2);
  BOOST_TEST(metrics.count() == 1u);
  metrics.reset();
  BOOST_TEST(metrics.queries() == 0u);
  metrics.add_rank(0);
  BOOST_TEST(metrics.hit_rate(10) == 1.0);
}

BOOST_AUTO_TEST_CASE(bad_inputs_throw_with_context) {
  RankingMetrics metrics({10, 50});
  try {
    static_cast<void>(metrics.ndcg(20));
    BOOST_FAIL("expected invalid_argument");
  } catch (const invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("K = 20 was not configured (configured: 10, 50)") !=
               std::string::npos);
  }
  BOOST_CHECK_THROW(static_cast<void>(metrics.hit_rate(5)), invalid_argument);
  BOOST_CHECK_THROW(RankingMetrics({10, 0}), invalid_argument);
  try {
    metrics.add_rank(-1);
    BOOST_FAIL("expected invalid_argument");
  } catch (const invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("rank -1 of query 0") != std::string::npos);
  }
  const std::vector<std::int64_t> ranked{1, 2, 1};
  const std::vector<std::int64_t> none;
  BOOST_CHECK_THROW(metrics.add_ranked_list(ranked, none), invalid_argument);
  const std::vector<std::int64_t> relevant{1};
  try {
    metrics.add_ranked_list(ranked, relevant);
    BOOST_FAIL("expected invalid_argument");
  } catch (const invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("relevant item 1 appears twice") != std::string::npos);
  }
  BOOST_TEST(metrics.queries() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
