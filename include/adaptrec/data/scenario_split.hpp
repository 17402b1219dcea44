#pragma once
// Per-scenario leave-one-out splits of a MovieLens rating log, given each
// item's scenario (data/scenarios.hpp). Every rating counts as implicit
// feedback, as in leave_one_out_split. Within each scenario, a user's latest
// rating on the scenario's items is the test item, the one before the
// validation item, and the rest train; users with too few ratings in a scenario
// are left out of it, so each scenario's test users have some training history
// there. Item and user ids stay the dataset's global dense ids; a scenario also
// numbers its own items 0..n-1 (local ids) for scenario-specific models.
#include <adaptrec/core/error.hpp>
#include <adaptrec/data/movielens_dataset.hpp>
#include <adaptrec/data/scenarios.hpp>
#include <adaptrec/data/shuffle.hpp>
#include <adaptrec/data/split.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iomanip>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace adaptrec::data {

struct ScenarioSplitOptions {
  // At least 3, so that leave-one-out leaves a training item; the default 5
  // leaves at least 3.
  std::size_t min_interactions_per_user = 5;
};

struct ScenarioSplit {
  int id = -1;
  std::string name;
  std::vector<std::int32_t> items;  // global ids, ascending; an item's local id is its position
  std::vector<std::int32_t> users;  // users kept in the scenario, ascending; each has a test item
  LeaveOneOutSplit split;           // the kept users' ratings on `items`, global ids
  std::size_t excluded_users = 0;   // users with too few ratings here
  std::size_t excluded_interactions = 0;  // their ratings on `items`

  std::int32_t num_items() const { return static_cast<std::int32_t>(items.size()); }

  bool contains_item(std::int32_t item) const {
    return std::binary_search(items.begin(), items.end(), item);
  }

  // Throws index_error naming the item and the scenario when it is not one of
  // the scenario's items.
  std::int32_t local_item(std::int32_t item) const {
    const auto found = std::lower_bound(items.begin(), items.end(), item);
    if (found == items.end() || *found != item)
      throw index_error("adaptrec::data::ScenarioSplit::local_item: item " + std::to_string(item) +
                        " is not in scenario " + std::to_string(id) + " \"" + name + "\"");
    return static_cast<std::int32_t>(found - items.begin());
  }
};

// A training rating tagged with its scenario, for a model shared by all
// scenarios.
struct ScenarioInteraction {
  std::int32_t user;
  std::int32_t item;
  int scenario;
  std::int64_t timestamp;
};

struct MultiScenarioData {
  std::vector<ScenarioSplit> scenarios;  // by scenario id
  std::vector<int> item_scenario;        // by global item; -1 for an item in no scenario
  std::int32_t num_users = 0;
  std::int32_t num_items = 0;
  std::size_t unassigned_items = 0;    // items in no scenario
  std::size_t unassigned_ratings = 0;  // ratings of those items, dropped
  std::size_t min_interactions_per_user = 0;

  // Every scenario's training ratings, scenario by scenario, each in the order
  // of its split (the input order of the rating log).
  std::vector<ScenarioInteraction> mixed_training_interactions() const {
    std::size_t total = 0;
    for (const ScenarioSplit& s : scenarios) total += s.split.train.size();
    std::vector<ScenarioInteraction> mixed;
    mixed.reserve(total);
    for (const ScenarioSplit& s : scenarios)
      for (const Rating& r : s.split.train) mixed.push_back({r.user, r.item, s.id, r.timestamp});
    return mixed;
  }

  // A table for the log, one string per line: items, users, train, validation
  // and test ratings per scenario, and what was left out.
  std::vector<std::string> describe() const {
    std::size_t name_width = 8;
    for (const ScenarioSplit& s : scenarios) name_width = std::max(name_width, s.name.size());
    const auto row = [name_width](const std::string& name, auto... counts) {
      std::ostringstream line;
      line << std::left << std::setw(static_cast<int>(name_width)) << name << std::right;
      ((line << ' ' << std::setw(10) << counts), ...);
      return line.str();
    };
    std::vector<std::string> lines;
    lines.push_back(row("scenario", "items", "users", "train", "validation", "test", "left-users",
                        "left-ratings"));
    for (const ScenarioSplit& s : scenarios)
      lines.push_back(row(s.name, s.items.size(), s.users.size(), s.split.train.size(),
                          s.split.validation.size(), s.split.test.size(), s.excluded_users,
                          s.excluded_interactions));
    lines.push_back("left out: users with fewer than " + std::to_string(min_interactions_per_user) +
                    " ratings in a scenario (left-users, left-ratings); items in no scenario: " +
                    std::to_string(unassigned_items) + ", with " +
                    std::to_string(unassigned_ratings) + " ratings");
    return lines;
  }
};

namespace detail {

inline void require_consistent_assignment(const MovieLens& data,
                                          const ScenarioAssignment& assignment,
                                          const ScenarioSplitOptions& options) {
  constexpr const char* where = "adaptrec::data::build_multi_scenario_data";
  if (options.min_interactions_per_user < 3)
    throw invalid_argument(std::string(where) + ": min_interactions_per_user = " +
                           std::to_string(options.min_interactions_per_user) +
                           " leaves no training item after leave-one-out; it must be at least 3");
  if (assignment.item_scenario.size() != data.movies.size())
    throw invalid_argument(std::string(where) + ": the assignment covers " +
                           std::to_string(assignment.item_scenario.size()) +
                           " items but the dataset has " + std::to_string(data.movies.size()));
  for (std::size_t item = 0; item < assignment.item_scenario.size(); ++item) {
    const int s = assignment.item_scenario[item];
    if (s < -1 || s >= assignment.num_scenarios())
      throw index_error(std::string(where) + ": item " + std::to_string(item) + " has scenario " +
                        std::to_string(s) + " outside [-1, " +
                        std::to_string(assignment.num_scenarios()) + ")");
  }
  require_users_in_range(data.ratings, data.num_users(), where);
  for (std::size_t i = 0; i < data.ratings.size(); ++i)
    if (data.ratings[i].item < 0 || data.ratings[i].item >= data.num_items())
      throw index_error(std::string(where) + ": rating " + std::to_string(i) + " has item " +
                        std::to_string(data.ratings[i].item) + " outside [0, " +
                        std::to_string(data.num_items()) + ")");
}

// One scenario's split from its ratings (in input order): users below the
// minimum leave, the rest are split by leave_one_out_split.
inline ScenarioSplit split_scenario(int id, std::string name, std::vector<std::int32_t> items,
                                    const std::vector<Rating>& ratings, std::int32_t num_users,
                                    std::size_t min_interactions_per_user) {
  ScenarioSplit scenario;
  scenario.id = id;
  scenario.name = std::move(name);
  scenario.items = std::move(items);
  std::vector<std::size_t> per_user(static_cast<std::size_t>(num_users), 0);
  for (const Rating& r : ratings) ++per_user[static_cast<std::size_t>(r.user)];
  for (std::size_t u = 0; u < per_user.size(); ++u) {
    if (per_user[u] >= min_interactions_per_user)
      scenario.users.push_back(static_cast<std::int32_t>(u));
    else if (per_user[u] > 0)
      ++scenario.excluded_users;
  }
  std::vector<Rating> kept;
  kept.reserve(ratings.size());
  for (const Rating& r : ratings)
    if (per_user[static_cast<std::size_t>(r.user)] >= min_interactions_per_user) kept.push_back(r);
  scenario.excluded_interactions = ratings.size() - kept.size();
  scenario.split = leave_one_out_split(kept, num_users);
  return scenario;
}

}  // namespace detail

// Splits `data` into the scenarios of `assignment`. Ratings of items in no
// scenario are dropped and counted. Throws invalid_argument for a minimum
// below 3 or an assignment of the wrong size, index_error naming an item whose
// scenario id is out of range or a rating whose user or item is.
inline MultiScenarioData build_multi_scenario_data(const MovieLens& data,
                                                   const ScenarioAssignment& assignment,
                                                   const ScenarioSplitOptions& options = {}) {
  detail::require_consistent_assignment(data, assignment, options);
  const auto num_scenarios = static_cast<std::size_t>(assignment.num_scenarios());
  MultiScenarioData result;
  result.item_scenario = assignment.item_scenario;
  result.num_users = data.num_users();
  result.num_items = data.num_items();
  result.unassigned_items = assignment.unassigned_items();
  result.min_interactions_per_user = options.min_interactions_per_user;

  std::vector<std::vector<std::int32_t>> items(num_scenarios);
  for (std::size_t item = 0; item < assignment.item_scenario.size(); ++item)
    if (const int s = assignment.item_scenario[item]; s >= 0)
      items[static_cast<std::size_t>(s)].push_back(static_cast<std::int32_t>(item));
  std::vector<std::vector<Rating>> ratings(num_scenarios);
  for (const Rating& r : data.ratings) {
    const int s = assignment.item_scenario[static_cast<std::size_t>(r.item)];
    if (s < 0)
      ++result.unassigned_ratings;
    else
      ratings[static_cast<std::size_t>(s)].push_back(r);
  }
  for (std::size_t s = 0; s < num_scenarios; ++s)
    result.scenarios.push_back(
        detail::split_scenario(static_cast<int>(s), assignment.names[s], std::move(items[s]),
                               ratings[s], data.num_users(), options.min_interactions_per_user));
  return result;
}

// The scenario with exactly `train_interactions` of its training ratings,
// drawn uniformly without replacement (seeded, the same on every standard
// library) and kept in their original order; validation, test and the item
// list are unchanged. For one seed, a smaller subsample is a subset of a larger
// one, so a few-shot learning curve adds data rather than redrawing it.
// Evaluate every point of the curve with the protocol of the full split
// (metrics::scenario_ranking_task), so that all of them exclude the same
// history items. Throws invalid_argument naming the scenario when it has fewer
// training ratings than asked for.
inline ScenarioSplit few_shot_subsample(const ScenarioSplit& scenario,
                                        std::size_t train_interactions, std::uint64_t seed) {
  const std::vector<Rating>& train = scenario.split.train;
  if (train_interactions > train.size())
    throw invalid_argument("adaptrec::data::few_shot_subsample: scenario " +
                           std::to_string(scenario.id) + " \"" + scenario.name + "\" has " +
                           std::to_string(train.size()) + " training ratings, fewer than the " +
                           std::to_string(train_interactions) + " asked for");
  std::vector<std::size_t> chosen = shuffled_indices(train.size(), seed);
  chosen.resize(train_interactions);
  std::sort(chosen.begin(), chosen.end());
  std::vector<Rating> kept;
  kept.reserve(train_interactions);
  for (std::size_t i : chosen) kept.push_back(train[i]);
  ScenarioSplit subsample = scenario;
  subsample.split.train = std::move(kept);
  return subsample;
}

}  // namespace adaptrec::data
