#include <adaptrec/metrics/scenario_ranking.hpp>

#include <support/expect_throw.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <span>
#include <vector>

using namespace adaptrec;
using namespace adaptrec::metrics;
using adaptrec_test::require_throw_naming;
using data::Rating;

namespace {

double discount(int rank) { return 1.0 / std::log2(rank + 2.0); }

// Scenario "comedy" with items 2, 5, 7, 9, 11 (local ids 0-4) and three users:
//   user 1: train 2,       validation 7, test 11
//   user 3: train 5,       validation 9, test 7
//   user 8: train 2, 11,   validation 5, test 9
data::ScenarioSplit hand_scenario() {
  data::ScenarioSplit s;
  s.id = 2;
  s.name = "comedy";
  s.items = {2, 5, 7, 9, 11};
  s.users = {1, 3, 8};
  s.split.train = {{8, 11, 4, 3}, {1, 2, 5, 1}, {3, 5, 4, 1}, {8, 2, 3, 1}};
  s.split.validation = {{1, 7, 3, 2}, {3, 9, 4, 2}, {8, 5, 2, 4}};
  s.split.test = {{1, 11, 3, 3}, {3, 7, 4, 3}, {8, 9, 2, 5}};
  return s;
}

// Scores by global item id 0-11, per user.
const std::map<std::int32_t, std::vector<double>>& hand_scores() {
  static const std::map<std::int32_t, std::vector<double>> scores = {
      {1, {0, 0, 1.0, 0, 0, 0.2, 0, 2.0, 0, 0.1, 0, 0.5}},
      {3, {0, 0, 0.9, 0, 0, 0.95, 0, 0.5, 0, 0.8, 0, 0.1}},
      {8, {0, 0, 0.3, 0, 0, 0.6, 0, 0.6, 0, 0.6, 0, 0.99}},
  };
  return scores;
}

// The hand scores as user vectors over one-hot item vectors, so that every dot
// product is exactly one score.
Tensor<float> hand_user_vectors() {
  Tensor<float> users(Shape{9, 12});
  for (const auto& [user, scores] : hand_scores())
    for (std::size_t i = 0; i < scores.size(); ++i)
      users(user, static_cast<index_t>(i)) = static_cast<float>(scores[i]);
  return users;
}

Tensor<float> one_hot_items() {
  Tensor<float> items(Shape{12, 12});
  for (index_t i = 0; i < 12; ++i) items(i, i) = 1.0f;
  return items;
}

// The plain definition: candidates not excluded scoring at least as high as
// the target.
std::int64_t reference_rank(const std::vector<double>& scores, std::int64_t target,
                            const std::vector<std::int64_t>& excluded) {
  const std::set<std::int64_t> skip(excluded.begin(), excluded.end());
  std::int64_t rank = 0;
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(scores.size()); ++i)
    if (i != target && !skip.count(i) &&
        scores[static_cast<std::size_t>(i)] >= scores[static_cast<std::size_t>(target)])
      ++rank;
  return rank;
}

}  // namespace

// Scores come back as a contiguous range of float or double, one per candidate.
using float_scores = std::vector<float> (*)(std::int32_t, std::span<const std::int32_t>);
using double_scores = std::span<const double> (*)(std::int32_t, std::span<const std::int32_t>);
using int_scores = std::vector<int> (*)(std::int32_t, std::span<const std::int32_t>);
using no_user = std::vector<float> (*)(std::span<const std::int32_t>);
static_assert(candidate_scorer<float_scores> && candidate_scorer<double_scores>);
static_assert(!candidate_scorer<int_scores> && !candidate_scorer<no_user>);

BOOST_AUTO_TEST_SUITE(metrics_scenario_ranking)

BOOST_AUTO_TEST_CASE(the_test_task_excludes_training_and_validation_items) {
  const ScenarioRankingTask task = scenario_ranking_task(hand_scenario(), HeldOut::test);
  BOOST_TEST(task.scenario == 2);
  BOOST_TEST(task.name == "comedy");
  BOOST_TEST((task.candidates == std::vector<std::int32_t>{2, 5, 7, 9, 11}));
  BOOST_TEST((task.users == std::vector<std::int32_t>{1, 3, 8}));
  BOOST_TEST((task.targets == std::vector<std::int64_t>{4, 2, 3}));
  BOOST_REQUIRE(task.excluded.size() == 3u);
  BOOST_TEST((task.excluded[0] == std::vector<std::int64_t>{0, 2}));
  BOOST_TEST((task.excluded[1] == std::vector<std::int64_t>{1, 3}));
  BOOST_TEST((task.excluded[2] == std::vector<std::int64_t>{0, 1, 4}));

  const ScenarioRankingTask validation =
      scenario_ranking_task(hand_scenario(), HeldOut::validation);
  BOOST_TEST((validation.targets == std::vector<std::int64_t>{2, 3, 1}));
  BOOST_TEST((validation.excluded[0] == std::vector<std::int64_t>{0}));
  BOOST_TEST((validation.excluded[2] == std::vector<std::int64_t>{0, 4}));
}

BOOST_AUTO_TEST_CASE(hand_computed_ranks_with_seen_items_excluded_and_ties_against_the_target) {
  // Test ranks among the non-excluded candidates:
  //   user 1: target 11 (0.5) against 5 (0.2), 9 (0.1)           -> rank 0
  //   user 3: target 7 (0.5) against 2 (0.9), 11 (0.1)           -> rank 1
  //   user 8: target 9 (0.6) against 7 (0.6, a tie)              -> rank 1
  // (without exclusion the ranks would be 2, 3 and 3).
  //   NDCG@10 = (1 + 2 / log2(3)) / 3, HR@1 = 1/3, MRR = (1 + 1/2 + 1/2) / 3.
  const ScenarioRankingTask task = scenario_ranking_task(hand_scenario(), HeldOut::test);
  std::vector<std::int32_t> scored_users;
  const auto score = [&](std::int32_t user, std::span<const std::int32_t> candidates) {
    scored_users.push_back(user);
    BOOST_TEST((std::vector<std::int32_t>(candidates.begin(), candidates.end()) ==
                std::vector<std::int32_t>{2, 5, 7, 9, 11}));
    std::vector<float> scores;
    for (std::int32_t item : candidates)
      scores.push_back(static_cast<float>(hand_scores().at(user)[static_cast<std::size_t>(item)]));
    return scores;
  };
  const RankingMetrics test = evaluate_scenario_ranking(task, score, {1, 10});
  BOOST_TEST((scored_users == std::vector<std::int32_t>{1, 3, 8}));
  BOOST_TEST(test.count() == 3u);
  BOOST_TEST(test.ndcg(10) == (1.0 + 2.0 * discount(1)) / 3.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(test.ndcg(10) == 0.7539531691, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(test.recall(10) == 1.0);
  BOOST_TEST(test.hit_rate(1) == 1.0 / 3.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(test.mrr() == 2.0 / 3.0, boost::test_tools::tolerance(1e-15));

  // Validation ranks: user 1 target 7 (2.0) -> 0; user 3 target 9 (0.8)
  // against 2 (0.9), 7, 11 -> 1; user 8 target 5 (0.6) against 7, 9 (ties) -> 2.
  const RankingMetrics validation = evaluate_scenario_ranking(
      scenario_ranking_task(hand_scenario(), HeldOut::validation), score, {10});
  BOOST_TEST(validation.ndcg(10) == (1.0 + discount(1) + discount(2)) / 3.0,
             boost::test_tools::tolerance(1e-15));
  BOOST_TEST(validation.mrr() == (1.0 + 1.0 / 2 + 1.0 / 3) / 3.0,
             boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(user_and_item_vectors_give_the_same_ranks_as_the_scores) {
  const ScenarioRankingTask task = scenario_ranking_task(hand_scenario(), HeldOut::test);
  const RankingMetrics m =
      evaluate_scenario_ranking(task, hand_user_vectors(), one_hot_items(), {1, 10}, 2);
  BOOST_TEST(m.count() == 3u);
  BOOST_TEST(m.ndcg(10) == (1.0 + 2.0 * discount(1)) / 3.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(m.hit_rate(1) == 1.0 / 3.0, boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(random_scenarios_match_a_plain_double_reference) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal;
  const index_t num_users = 30, num_items = 45, dim = 6;
  data::ScenarioSplit scenario;
  scenario.id = 0;
  scenario.name = "random";
  for (std::int32_t i = 0; i < num_items; i += 2) scenario.items.push_back(i);
  std::vector<Rating> ratings;
  for (int k = 0; k < 300; ++k)
    ratings.push_back({static_cast<std::int32_t>(rng() % num_users),
                       scenario.items[rng() % scenario.items.size()], 1.0f,
                       static_cast<std::int64_t>(rng() % 10)});
  scenario.split = data::leave_one_out_split(ratings, static_cast<std::int32_t>(num_users));
  BOOST_REQUIRE(scenario.split.test.size() > 20u);

  Tensor<double> user_vectors(Shape{num_users, dim}), item_vectors(Shape{num_items, dim});
  for (double& v : user_vectors) v = normal(rng);
  for (double& v : item_vectors) v = normal(rng);
  const auto dot = [&](std::int32_t user, std::int32_t item) {
    double sum = 0;
    for (index_t d = 0; d < dim; ++d) sum += user_vectors(user, d) * item_vectors(item, d);
    return sum;
  };

  for (const HeldOut held_out : {HeldOut::validation, HeldOut::test}) {
    const ScenarioRankingTask task = scenario_ranking_task(scenario, held_out);
    RankingMetrics expected({5, 10});
    for (std::size_t u = 0; u < task.users.size(); ++u) {
      std::vector<double> scores;
      for (std::int32_t item : task.candidates) scores.push_back(dot(task.users[u], item));
      expected.add_rank(reference_rank(scores, task.targets[u], task.excluded[u]));
    }
    const RankingMetrics from_scores =
        evaluate_scenario_ranking(task,
                                  [&](std::int32_t user, std::span<const std::int32_t> candidates) {
                                    std::vector<double> scores;
                                    for (std::int32_t item : candidates)
                                      scores.push_back(dot(user, item));
                                    return scores;
                                  },
                                  {5, 10});
    const RankingMetrics from_vectors =
        evaluate_scenario_ranking(task, user_vectors, item_vectors, {5, 10}, 7);
    for (const RankingMetrics* m : {&from_scores, &from_vectors}) {
      BOOST_TEST(m->count() == expected.count());
      for (int k : {5, 10}) {
        BOOST_TEST(m->ndcg(k) == expected.ndcg(k), boost::test_tools::tolerance(1e-12));
        BOOST_TEST(m->hit_rate(k) == expected.hit_rate(k), boost::test_tools::tolerance(1e-12));
      }
      BOOST_TEST(m->mrr() == expected.mrr(), boost::test_tools::tolerance(1e-12));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_scenario_without_test_users_gives_no_queries) {
  data::ScenarioSplit empty;
  empty.name = "empty";
  empty.items = {0, 1};
  const ScenarioRankingTask task = scenario_ranking_task(empty, HeldOut::test);
  BOOST_TEST(evaluate_scenario_ranking(task, one_hot_items(), one_hot_items()).count() == 0u);
}

BOOST_AUTO_TEST_CASE(the_mean_over_scenarios_weighs_each_scenario_once) {
  RankingMetrics a({5}), b({5});
  a.add_rank(0);
  a.add_rank(3);
  b.add_rank(1);
  const std::vector<RankingMetrics> per_scenario{a, b};
  const ScenarioAverage mean = mean_over_scenarios(per_scenario, 5);
  BOOST_TEST(mean.k == 5);
  BOOST_TEST(mean.scenarios == 2u);
  BOOST_TEST(mean.queries == 3u);
  BOOST_TEST(mean.hit_rate == 1.0);
  BOOST_TEST(mean.recall == 1.0);
  BOOST_TEST(mean.ndcg == ((1.0 + discount(3)) / 2.0 + discount(1)) / 2.0,
             boost::test_tools::tolerance(1e-15));
  BOOST_TEST(mean.mrr == ((1.0 + 0.25) / 2.0 + 0.5) / 2.0, boost::test_tools::tolerance(1e-15));

  require_throw_naming<invalid_argument>([] { mean_over_scenarios({}, 5); }, {"no scenarios"});
  const std::vector<RankingMetrics> with_empty{a, RankingMetrics({5})};
  require_throw_naming<invalid_argument>([&] { mean_over_scenarios(with_empty, 5); },
                                         {"scenario 1", "no queries"});
  require_throw_naming<invalid_argument>([&] { mean_over_scenarios(per_scenario, 10); },
                                         {"K = 10"});
}

BOOST_AUTO_TEST_CASE(bad_tasks_scores_and_vectors_are_named) {
  data::ScenarioSplit foreign = hand_scenario();
  foreign.split.train.push_back({3, 4, 1, 0});
  require_throw_naming<index_error>([&] { scenario_ranking_task(foreign, HeldOut::test); },
                                    {"item 4", "\"comedy\""});
  data::ScenarioSplit twice = hand_scenario();
  twice.split.test.push_back({3, 2, 1, 9});
  require_throw_naming<invalid_argument>([&] { scenario_ranking_task(twice, HeldOut::test); },
                                         {"user 3", "two held-out items", "\"comedy\""});

  const ScenarioRankingTask task = scenario_ranking_task(hand_scenario(), HeldOut::test);
  require_throw_naming<shape_error>(
      [&] {
        evaluate_scenario_ranking(task, [](std::int32_t, std::span<const std::int32_t>) {
          return std::vector<float>(4, 0.0f);
        });
      },
      {"4 scores for user 1", "5 candidates", "\"comedy\""});
  require_throw_naming<invalid_argument>(
      [&] {
        evaluate_scenario_ranking(task, [](std::int32_t, std::span<const std::int32_t>) {
          return std::vector<double>{0, 0, std::numeric_limits<double>::quiet_NaN(), 0, 0};
        });
      },
      {"item 2", "NaN"});

  Tensor<float> few_users(Shape{5, 12});
  require_throw_naming<index_error>(
      [&] { evaluate_scenario_ranking(task, few_users, one_hot_items()); },
      {"user 8", "[5, 12]", "\"comedy\""});
  Tensor<float> few_items(Shape{10, 12});
  require_throw_naming<index_error>(
      [&] { evaluate_scenario_ranking(task, hand_user_vectors(), few_items); },
      {"item 11", "[10, 12]"});
  Tensor<float> narrow_items(Shape{12, 3});
  require_throw_naming<shape_error>(
      [&] { evaluate_scenario_ranking(task, hand_user_vectors(), narrow_items); },
      {"[9, 12]", "[12, 3]"});

  ScenarioRankingTask inconsistent = task;
  inconsistent.targets.pop_back();
  require_throw_naming<shape_error>(
      [&] { evaluate_scenario_ranking(inconsistent, hand_user_vectors(), one_hot_items()); },
      {"3 users but 2 targets"});
}

BOOST_AUTO_TEST_SUITE_END()
