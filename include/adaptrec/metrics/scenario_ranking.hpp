#pragma once
// Leave-one-out full ranking inside one scenario (data/scenario_split.hpp): a
// user's held-out item is ranked against all of the scenario's items except
// those the user rated before it there (the training items, and for the test
// item also the validation item). This is the filtered protocol of
// candidate_ranking.hpp restricted to the scenario's catalogue, with ties
// counted against the target, and results are the RankingMetrics of those
// ranks: with one target per user, Recall@K equals HR@K.
//
// A scenario's task is built once from its full split and reused for every
// model evaluated on it, so that few-shot models trained on a subsample are
// scored against the same candidates as the rest.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/tensor.hpp>
#include <adaptrec/data/scenario_split.hpp>
#include <adaptrec/metrics/candidate_ranking.hpp>
#include <adaptrec/metrics/ranking.hpp>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <ranges>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace adaptrec::metrics {

enum class HeldOut { validation, test };

// Items are numbered by their position in `candidates` (the scenario's local
// ids); users and candidates themselves are the dataset's global ids.
struct ScenarioRankingTask {
  int scenario = -1;
  std::string name;
  std::vector<std::int32_t> candidates;             // global item ids, ascending
  std::vector<std::int32_t> users;                  // the users with a held-out item
  std::vector<std::int64_t> targets;                // per user: the held-out item's position
  std::vector<std::vector<std::int64_t>> excluded;  // per user: positions rated before, ascending
};

// The ranking task of a scenario's validation or test items. Throws
// index_error naming an item outside the scenario, invalid_argument naming a
// user with two held-out items.
inline ScenarioRankingTask scenario_ranking_task(const data::ScenarioSplit& scenario,
                                                 HeldOut held_out) {
  constexpr const char* where = "adaptrec::metrics::scenario_ranking_task";
  const data::LeaveOneOutSplit& split = scenario.split;
  const std::vector<data::Rating>& targets =
      held_out == HeldOut::test ? split.test : split.validation;
  ScenarioRankingTask task;
  task.scenario = scenario.id;
  task.name = scenario.name;
  task.candidates = scenario.items;

  std::int32_t max_user = -1;
  for (const auto* part : {&split.train, &split.validation, &split.test})
    for (const data::Rating& r : *part) {
      if (r.user < 0)
        throw index_error(std::string(where) + ": scenario \"" + scenario.name +
                          "\" has a rating of negative user " + std::to_string(r.user));
      max_user = std::max(max_user, r.user);
    }
  std::vector<std::ptrdiff_t> slot_of_user(static_cast<std::size_t>(max_user + 1), -1);
  for (const data::Rating& r : targets) {
    std::ptrdiff_t& slot = slot_of_user[static_cast<std::size_t>(r.user)];
    if (slot >= 0)
      throw invalid_argument(std::string(where) + ": user " + std::to_string(r.user) +
                             " has two held-out items in scenario \"" + scenario.name + "\"");
    slot = static_cast<std::ptrdiff_t>(task.users.size());
    task.users.push_back(r.user);
    task.targets.push_back(scenario.local_item(r.item));
  }
  task.excluded.resize(task.users.size());
  const auto exclude = [&](const std::vector<data::Rating>& ratings) {
    for (const data::Rating& r : ratings)
      if (const std::ptrdiff_t slot = slot_of_user[static_cast<std::size_t>(r.user)]; slot >= 0)
        task.excluded[static_cast<std::size_t>(slot)].push_back(scenario.local_item(r.item));
  };
  exclude(split.train);
  if (held_out == HeldOut::test) exclude(split.validation);
  for (std::vector<std::int64_t>& seen : task.excluded) {
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
  }
  return task;
}

namespace detail {

inline void require_consistent_task(const ScenarioRankingTask& task, const char* where) {
  if (task.targets.size() != task.users.size() || task.excluded.size() != task.users.size())
    throw shape_error(std::string(where) + ": scenario \"" + task.name + "\" has " +
                      std::to_string(task.users.size()) + " users but " +
                      std::to_string(task.targets.size()) + " targets and " +
                      std::to_string(task.excluded.size()) + " exclusion lists");
}

template <class F>
using candidate_scores_t = std::invoke_result_t<F&, std::int32_t, std::span<const std::int32_t>>;

}  // namespace detail

// A model's scores for one user: given the user's global id and the global ids
// of the candidates, one float or double per candidate, in the same order.
template <class F>
concept candidate_scorer = std::invocable<F&, std::int32_t, std::span<const std::int32_t>> &&
    std::ranges::contiguous_range<detail::candidate_scores_t<F>> &&
    (std::same_as<std::ranges::range_value_t<detail::candidate_scores_t<F>>, float> ||
     std::same_as<std::ranges::range_value_t<detail::candidate_scores_t<F>>, double>);

// Ranks every user's held-out item by `score`. Throws shape_error naming the
// user when a score list has the wrong length, invalid_argument naming the item
// of a NaN score.
template <candidate_scorer Score>
RankingMetrics evaluate_scenario_ranking(const ScenarioRankingTask& task, Score&& score,
                                         std::vector<int> ks = {10}) {
  detail::require_consistent_task(task, "adaptrec::metrics::evaluate_scenario_ranking");
  RankingMetrics metrics(std::move(ks));
  const std::span<const std::int32_t> candidates(task.candidates);
  for (std::size_t i = 0; i < task.users.size(); ++i) {
    const auto scores = std::invoke(score, task.users[i], candidates);
    const std::span values(std::ranges::data(scores), std::ranges::size(scores));
    if (values.size() != candidates.size())
      throw shape_error(
          "adaptrec::metrics::evaluate_scenario_ranking: " + std::to_string(values.size()) +
          " scores for user " + std::to_string(task.users[i]) + " but scenario \"" + task.name +
          "\" has " + std::to_string(candidates.size()) + " candidates");
    metrics.add_rank(rank_of_target(values, task.targets[i], task.excluded[i]));
  }
  return metrics;
}

// Ranks by dot products of user and item vectors: row u of `user_vectors`
// ([users, dim]) for user u, row i of `item_vectors` ([items, dim]) for item i,
// both by global id. Users go through one GEMM per batch of `users_per_batch`.
template <class T>
RankingMetrics evaluate_scenario_ranking(const ScenarioRankingTask& task,
                                         const Tensor<T>& user_vectors,
                                         const Tensor<T>& item_vectors, std::vector<int> ks = {10},
                                         std::size_t users_per_batch = 256) {
  constexpr const char* where = "adaptrec::metrics::evaluate_scenario_ranking";
  detail::require_consistent_task(task, where);
  if (user_vectors.rank() != 2 || item_vectors.rank() != 2 ||
      user_vectors.dim(1) != item_vectors.dim(1))
    throw shape_error(std::string(where) + ": user vectors " + user_vectors.shape().to_string() +
                      " and item vectors " + item_vectors.shape().to_string() +
                      " must be [users, dim] and [items, dim]");
  if (users_per_batch == 0) throw invalid_argument(std::string(where) + ": users_per_batch is 0");
  for (const std::int32_t user : task.users)
    if (user < 0 || user >= user_vectors.dim(0))
      throw index_error(std::string(where) + ": user " + std::to_string(user) + " of scenario \"" +
                        task.name + "\" has no row in user vectors " +
                        user_vectors.shape().to_string());
  for (const std::int32_t item : task.candidates)
    if (item < 0 || item >= item_vectors.dim(0))
      throw index_error(std::string(where) + ": item " + std::to_string(item) + " of scenario \"" +
                        task.name + "\" has no row in item vectors " +
                        item_vectors.shape().to_string());

  RankingMetrics metrics(std::move(ks));
  if (task.users.empty()) return metrics;
  const auto num_candidates = static_cast<index_t>(task.candidates.size());
  const index_t dim = item_vectors.dim(1);
  Tensor<index_t> candidate_ids(Shape{num_candidates});
  for (index_t c = 0; c < num_candidates; ++c)
    candidate_ids[c] = task.candidates[static_cast<std::size_t>(c)];
  Tensor<T> candidate_vectors(Shape{num_candidates, dim});
  backend::gather_rows(item_vectors, candidate_ids, candidate_vectors);

  for (std::size_t begin = 0; begin < task.users.size(); begin += users_per_batch) {
    const std::size_t end = std::min(task.users.size(), begin + users_per_batch);
    const auto batch = static_cast<index_t>(end - begin);
    Tensor<index_t> user_ids(Shape{batch});
    for (index_t b = 0; b < batch; ++b)
      user_ids[b] = task.users[begin + static_cast<std::size_t>(b)];
    Tensor<T> batch_users(Shape{batch, dim});
    backend::gather_rows(user_vectors, user_ids, batch_users);
    Tensor<T> scores(Shape{batch, num_candidates});
    backend::gemm(batch_users, backend::Trans::no, candidate_vectors, backend::Trans::yes, scores);
    for (index_t b = 0; b < batch; ++b) {
      const std::size_t i = begin + static_cast<std::size_t>(b);
      const std::span<const T> row(scores.data() + b * num_candidates,
                                   static_cast<std::size_t>(num_candidates));
      metrics.add_rank(rank_of_target(row, task.targets[i], task.excluded[i]));
    }
  }
  return metrics;
}

// Metrics at one K averaged over scenarios, each scenario counting once
// whatever its number of users, so small scenarios are not drowned by large
// ones. (Feeding all scenarios' ranks into one RankingMetrics gives the
// per-user mean instead.)
struct ScenarioAverage {
  int k = 0;
  double hit_rate = 0, ndcg = 0, recall = 0, mrr = 0;
  std::size_t scenarios = 0;
  std::size_t queries = 0;  // over all scenarios
};

// Throws invalid_argument for an empty list or a scenario (named by its
// position) without queries, whose mean is undefined; RankingMetrics throws
// for a K it was not configured with.
inline ScenarioAverage mean_over_scenarios(std::span<const RankingMetrics> per_scenario, int k) {
  constexpr const char* where = "adaptrec::metrics::mean_over_scenarios";
  if (per_scenario.empty()) throw invalid_argument(std::string(where) + ": no scenarios");
  ScenarioAverage average;
  average.k = k;
  average.scenarios = per_scenario.size();
  for (std::size_t s = 0; s < per_scenario.size(); ++s) {
    const RankingMetrics& m = per_scenario[s];
    if (m.queries() == 0)
      throw invalid_argument(std::string(where) + ": scenario " + std::to_string(s) +
                             " has no queries");
    average.hit_rate += m.hit_rate(k);
    average.ndcg += m.ndcg(k);
    average.recall += m.recall(k);
    average.mrr += m.mrr();
    average.queries += m.queries();
  }
  const auto n = static_cast<double>(per_scenario.size());
  average.hit_rate /= n;
  average.ndcg /= n;
  average.recall /= n;
  average.mrr /= n;
  return average;
}

}  // namespace adaptrec::metrics
