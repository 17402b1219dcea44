#pragma once
// Scenarios carved out of one catalogue by item genre, for multi-scenario
// recommendation: several domains that share users and one model serving them
// all (Sheng et al., "One Model to Serve All: Star Topology Adaptive
// Recommender for Multi-Domain CTR Prediction", CIKM 2021). Each scenario
// lists genres; an item belongs to the first scenario, in list order, that
// lists one of its genres. The order therefore settles items whose genres span
// groups, and every item lies in at most one scenario.
#include <adaptrec/core/error.hpp>
#include <adaptrec/data/movielens_dataset.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace adaptrec::data {

struct GenreScenario {
  std::string name;
  std::vector<std::string> genres;  // spelled as in MovieLens::genre_names
};

// Scenarios in the order an item's genres are matched against them; a
// scenario's id is its position in `scenarios`.
struct GenreScenarios {
  std::vector<GenreScenario> scenarios;
};

struct ScenarioAssignment {
  std::vector<std::string> names;  // by scenario id
  std::vector<int> item_scenario;  // by item; -1 for an item in no scenario

  int num_scenarios() const { return static_cast<int>(names.size()); }

  std::size_t unassigned_items() const {
    return static_cast<std::size_t>(std::count(item_scenario.begin(), item_scenario.end(), -1));
  }

  std::vector<std::size_t> items_per_scenario() const {
    std::vector<std::size_t> counts(names.size(), 0);
    for (int s : item_scenario)
      if (s >= 0) ++counts[static_cast<std::size_t>(s)];
    return counts;
  }
};

// Four scenarios covering every MovieLens 100K / 1M genre but "unknown".
// Children's and animated films come first because most of them are also
// comedies or adventures, and would otherwise vanish into those groups.
inline GenreScenarios default_movielens_genre_scenarios() {
  return {{
      {"family", {"Children's", "Animation", "Musical", "Fantasy"}},
      {"action", {"Action", "Adventure", "Sci-Fi", "Thriller", "Western"}},
      {"comedy", {"Comedy", "Romance"}},
      {"drama", {"Drama", "War", "Crime", "Film-Noir", "Mystery", "Horror", "Documentary"}},
  }};
}

namespace detail {

inline std::string quoted_list(const std::vector<std::string>& names) {
  std::string list;
  for (const std::string& name : names) list += (list.empty() ? "\"" : ", \"") + name + "\"";
  return list;
}

// The scenario of each genre of `genre_names` (-1 for a genre no scenario
// lists), after checking the mapping names only existing genres, once each.
inline std::vector<int> scenario_of_each_genre(const GenreScenarios& mapping,
                                               const std::vector<std::string>& genre_names) {
  constexpr const char* where = "adaptrec::data::assign_scenarios";
  if (mapping.scenarios.empty()) throw invalid_argument(std::string(where) + ": no scenarios");
  std::vector<int> genre_scenario(genre_names.size(), -1);
  for (std::size_t s = 0; s < mapping.scenarios.size(); ++s) {
    const GenreScenario& scenario = mapping.scenarios[s];
    const std::string named = "scenario " + std::to_string(s) + " \"" + scenario.name + "\"";
    if (scenario.name.empty())
      throw invalid_argument(std::string(where) + ": " + named + " has an empty name");
    for (std::size_t earlier = 0; earlier < s; ++earlier)
      if (mapping.scenarios[earlier].name == scenario.name)
        throw invalid_argument(std::string(where) + ": " + named +
                               " repeats the name of scenario " + std::to_string(earlier));
    if (scenario.genres.empty())
      throw invalid_argument(std::string(where) + ": " + named + " lists no genres");
    for (const std::string& genre : scenario.genres) {
      const auto found = std::find(genre_names.begin(), genre_names.end(), genre);
      if (found == genre_names.end())
        throw invalid_argument(std::string(where) + ": " + named + " lists genre \"" + genre +
                               "\", which is not among the dataset's genres (" +
                               quoted_list(genre_names) + ")");
      int& owner = genre_scenario[static_cast<std::size_t>(found - genre_names.begin())];
      // A genre listed twice could never match its second listing: a mistake.
      if (owner >= 0)
        throw invalid_argument(std::string(where) + ": genre \"" + genre + "\" is listed by " +
                               named + " and by scenario " + std::to_string(owner) + " \"" +
                               mapping.scenarios[static_cast<std::size_t>(owner)].name + "\"");
      owner = static_cast<int>(s);
    }
  }
  return genre_scenario;
}

}  // namespace detail

// Each item's scenario: the lowest id among the scenarios of its genres, or -1
// when no scenario lists any of them (in MovieLens 100K, the "unknown" genre).
// Throws invalid_argument naming a scenario or genre the dataset lacks, and
// index_error naming an item whose genre index is outside genre_names.
inline ScenarioAssignment assign_scenarios(const MovieLens& data, const GenreScenarios& mapping) {
  const std::vector<int> genre_scenario = detail::scenario_of_each_genre(mapping, data.genre_names);
  ScenarioAssignment assignment;
  for (const GenreScenario& scenario : mapping.scenarios) assignment.names.push_back(scenario.name);
  assignment.item_scenario.assign(data.movies.size(), -1);
  for (std::size_t item = 0; item < data.movies.size(); ++item) {
    int& chosen = assignment.item_scenario[item];
    for (const std::int32_t genre : data.movies[item].genres) {
      if (genre < 0 || static_cast<std::size_t>(genre) >= data.genre_names.size())
        throw index_error("adaptrec::data::assign_scenarios: item " + std::to_string(item) +
                          " (raw id " + std::to_string(data.movies[item].raw_id) +
                          ") has genre index " + std::to_string(genre) + " outside [0, " +
                          std::to_string(data.genre_names.size()) + ")");
      const int s = genre_scenario[static_cast<std::size_t>(genre)];
      if (s >= 0 && (chosen < 0 || s < chosen)) chosen = s;
    }
  }
  return assignment;
}

}  // namespace adaptrec::data
