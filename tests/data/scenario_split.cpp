#include <adaptrec/data/scenario_split.hpp>

#include "fixture_files.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <iterator>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace adaptrec;
using namespace adaptrec::data;
using adaptrec_test::require_throw_naming;

namespace {

std::vector<std::string> genres_100k() {
  return {"unknown",     "Action", "Adventure", "Animation", "Children's", "Comedy",  "Crime",
          "Documentary", "Drama",  "Fantasy",   "Film-Noir", "Horror",     "Musical", "Mystery",
          "Romance",     "Sci-Fi", "Thriller",  "War",       "Western"};
}

constexpr std::int32_t action = 1, children = 4, comedy = 5, unknown = 0;

// Items 0-5 family, 6-11 action, 12-16 comedy, 17 unknown; four users.
// User 0: six family ratings out of time order and four action ratings (one
// short of the minimum). User 1: five action ratings in reverse time order,
// one family rating and one of the unknown item. User 2: none. User 3: five
// comedy ratings all at the same time, so input order decides.
MovieLens small_catalogue() {
  MovieLens data;
  data.genre_names = genres_100k();
  for (std::int32_t i = 0; i < 18; ++i) {
    const std::int32_t genre = i < 6 ? children : i < 12 ? action : i < 17 ? comedy : unknown;
    data.movies.push_back({i + 1, "movie " + std::to_string(i), 1995, {genre}});
  }
  for (std::int32_t u = 0; u < 4; ++u) data.users.push_back({u + 1, 30, 'F', 0, "00000"});
  data.ratings = {
      {0, 0, 5, 50}, {1, 6, 4, 5},  {0, 1, 3, 10}, {3, 12, 4, 7}, {0, 2, 4, 60}, {1, 7, 2, 4},
      {0, 3, 1, 20}, {1, 17, 5, 9}, {0, 4, 2, 40}, {3, 13, 3, 7}, {0, 5, 5, 30}, {1, 8, 3, 3},
      {0, 6, 4, 11}, {1, 9, 4, 2},  {0, 7, 4, 12}, {3, 14, 5, 7}, {1, 10, 1, 1}, {0, 8, 2, 13},
      {1, 3, 5, 70}, {0, 9, 3, 14}, {3, 15, 2, 7}, {3, 16, 1, 7},
  };
  return data;
}

std::vector<std::int32_t> items_of(const std::vector<Rating>& ratings) {
  std::vector<std::int32_t> items;
  for (const Rating& r : ratings) items.push_back(r.item);
  return items;
}

bool same_rating(const Rating& a, const Rating& b) {
  return a.user == b.user && a.item == b.item && a.rating == b.rating && a.timestamp == b.timestamp;
}

bool is_subsequence(const std::vector<Rating>& part, const std::vector<Rating>& whole) {
  std::size_t at = 0;
  for (const Rating& r : whole)
    if (at < part.size() && same_rating(part[at], r)) ++at;
  return at == part.size();
}

// Random genres (one to three, "unknown" possible) and ratings with many
// timestamp ties.
MovieLens random_catalogue(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  MovieLens data;
  data.genre_names = genres_100k();
  for (std::int32_t i = 0; i < 80; ++i) {
    Movie movie{i + 1, "movie", 1995, {}};
    const std::size_t count = 1 + rng() % 3;
    for (std::size_t g = 0; g < count; ++g)
      movie.genres.push_back(static_cast<std::int32_t>(rng() % 19));
    std::sort(movie.genres.begin(), movie.genres.end());
    movie.genres.erase(std::unique(movie.genres.begin(), movie.genres.end()), movie.genres.end());
    data.movies.push_back(movie);
  }
  for (std::int32_t u = 0; u < 50; ++u) data.users.push_back({u + 1, 30, 'M', 0, "00000"});
  for (int k = 0; k < 4000; ++k)
    data.ratings.push_back(
        {static_cast<std::int32_t>(rng() % 50), static_cast<std::int32_t>(rng() % 80),
         static_cast<float>(1 + rng() % 5), static_cast<std::int64_t>(rng() % 30)});
  return data;
}

MultiScenarioData build_default(const MovieLens& data, const ScenarioSplitOptions& options = {}) {
  return build_multi_scenario_data(
      data, assign_scenarios(data, default_movielens_genre_scenarios()), options);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(data_scenario_split)

BOOST_AUTO_TEST_CASE(each_scenario_is_split_by_time_among_its_own_items) {
  const MovieLens data = small_catalogue();
  const MultiScenarioData split = build_default(data);
  BOOST_REQUIRE(split.scenarios.size() == 4u);
  BOOST_TEST(split.num_users == 4);
  BOOST_TEST(split.num_items == 18);
  BOOST_TEST(split.unassigned_items == 1u);
  BOOST_TEST(split.unassigned_ratings == 1u);
  BOOST_TEST(split.item_scenario[17] == -1);

  const ScenarioSplit& family = split.scenarios[0];
  BOOST_TEST(family.id == 0);
  BOOST_TEST(family.name == "family");
  BOOST_TEST((family.items == std::vector<std::int32_t>{0, 1, 2, 3, 4, 5}));
  BOOST_TEST((family.users == std::vector<std::int32_t>{0}));
  // User 0 by time: 1 (10), 3 (20), 5 (30), 4 (40), 0 (50), 2 (60). User 1's
  // single family rating is too few.
  BOOST_TEST((items_of(family.split.test) == std::vector<std::int32_t>{2}));
  BOOST_TEST((items_of(family.split.validation) == std::vector<std::int32_t>{0}));
  BOOST_TEST((items_of(family.split.train) == std::vector<std::int32_t>{1, 3, 4, 5}));
  BOOST_TEST(family.excluded_users == 1u);
  BOOST_TEST(family.excluded_interactions == 1u);

  const ScenarioSplit& action_split = split.scenarios[1];
  BOOST_TEST((action_split.items == std::vector<std::int32_t>{6, 7, 8, 9, 10, 11}));
  BOOST_TEST((action_split.users == std::vector<std::int32_t>{1}));
  BOOST_TEST((items_of(action_split.split.test) == std::vector<std::int32_t>{6}));
  BOOST_TEST((items_of(action_split.split.validation) == std::vector<std::int32_t>{7}));
  BOOST_TEST((items_of(action_split.split.train) == std::vector<std::int32_t>{8, 9, 10}));
  BOOST_TEST(action_split.excluded_users == 1u);  // user 0's four ratings
  BOOST_TEST(action_split.excluded_interactions == 4u);

  const ScenarioSplit& comedy_split = split.scenarios[2];
  BOOST_TEST((items_of(comedy_split.split.test) == std::vector<std::int32_t>{16}));
  BOOST_TEST((items_of(comedy_split.split.validation) == std::vector<std::int32_t>{15}));
  BOOST_TEST((items_of(comedy_split.split.train) == std::vector<std::int32_t>{12, 13, 14}));

  const ScenarioSplit& drama = split.scenarios[3];
  BOOST_TEST(drama.items.empty());
  BOOST_TEST(drama.users.empty());
  BOOST_TEST(drama.split.train.empty());
}

BOOST_AUTO_TEST_CASE(local_item_ids_are_positions_in_the_scenario) {
  const MultiScenarioData split = build_default(small_catalogue());
  const ScenarioSplit& action_split = split.scenarios[1];
  BOOST_TEST(action_split.num_items() == 6);
  BOOST_TEST(action_split.local_item(6) == 0);
  BOOST_TEST(action_split.local_item(11) == 5);
  BOOST_TEST(action_split.contains_item(7));
  BOOST_TEST(!action_split.contains_item(0));
  require_throw_naming<index_error>([&] { action_split.local_item(0); },
                                    {"item 0", "scenario 1 \"action\""});
}

BOOST_AUTO_TEST_CASE(a_lower_minimum_keeps_more_users) {
  const MultiScenarioData split = build_default(small_catalogue(), {4});
  BOOST_TEST((split.scenarios[1].users == std::vector<std::int32_t>{0, 1}));
  BOOST_TEST(split.scenarios[1].excluded_users == 0u);
  BOOST_TEST(split.scenarios[1].split.test.size() == 2u);
  BOOST_TEST(split.min_interactions_per_user == 4u);
}

BOOST_AUTO_TEST_CASE(mixed_training_interactions_carry_their_scenario) {
  const MultiScenarioData split = build_default(small_catalogue());
  const std::vector<ScenarioInteraction> mixed = split.mixed_training_interactions();
  BOOST_REQUIRE(mixed.size() == 10u);  // 4 family, 3 action, 3 comedy
  std::vector<std::int32_t> items;
  for (const ScenarioInteraction& x : mixed) {
    items.push_back(x.item);
    BOOST_TEST(x.scenario == split.item_scenario[static_cast<std::size_t>(x.item)]);
  }
  BOOST_TEST((items == std::vector<std::int32_t>{1, 3, 4, 5, 8, 9, 10, 12, 13, 14}));
  BOOST_TEST(mixed[0].user == 0);
  BOOST_TEST(mixed[0].timestamp == 10);
  BOOST_TEST(mixed[4].user == 1);
}

BOOST_AUTO_TEST_CASE(describe_lists_every_scenario_with_its_counts) {
  const MultiScenarioData split = build_default(small_catalogue());
  const std::vector<std::string> lines = split.describe();
  BOOST_REQUIRE(lines.size() == 6u);  // header, four scenarios, what was left out
  BOOST_TEST(lines[0].rfind("scenario", 0) == 0u);
  std::istringstream family(lines[1]);
  std::vector<std::string> fields{std::istream_iterator<std::string>(family), {}};
  BOOST_TEST((fields == std::vector<std::string>{"family", "6", "1", "4", "1", "1", "1", "1"}));
  BOOST_TEST(adaptrec_test::contains(lines[5], "items in no scenario: 1, with 1 ratings"),
             lines[5]);
  BOOST_TEST(adaptrec_test::contains(lines[5], "fewer than 5"), lines[5]);
}

BOOST_AUTO_TEST_CASE(invariants_on_random_catalogues) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const MovieLens data = random_catalogue(seed);
    const ScenarioAssignment assignment =
        assign_scenarios(data, default_movielens_genre_scenarios());
    const MultiScenarioData split = build_multi_scenario_data(data, assignment, {6});
    std::size_t accounted = split.unassigned_ratings, items = split.unassigned_items;
    for (const ScenarioSplit& s : split.scenarios) {
      accounted += s.split.train.size() + s.split.validation.size() + s.split.test.size() +
                   s.excluded_interactions;
      items += s.items.size();
      std::map<std::int32_t, std::size_t> in_scenario;
      for (const Rating& r : data.ratings)
        if (assignment.item_scenario[static_cast<std::size_t>(r.item)] == s.id)
          ++in_scenario[r.user];
      std::vector<std::int32_t> expected_users;
      std::size_t expected_excluded = 0;
      for (const auto& [user, count] : in_scenario)
        if (count >= 6)
          expected_users.push_back(user);
        else
          ++expected_excluded;
      BOOST_TEST(s.users == expected_users);
      BOOST_TEST(s.excluded_users == expected_excluded);
      BOOST_TEST(s.split.test.size() == s.users.size());
      BOOST_TEST(s.split.validation.size() == s.users.size());
      for (const auto* part : {&s.split.train, &s.split.validation, &s.split.test})
        for (const Rating& r : *part) {
          BOOST_TEST(s.contains_item(r.item));
          BOOST_TEST(std::binary_search(s.users.begin(), s.users.end(), r.user));
        }
      for (std::size_t i = 0; i < s.split.test.size(); ++i) {
        const Rating& test = s.split.test[i];
        const Rating& validation = s.split.validation[i];
        BOOST_TEST(validation.user == test.user);
        BOOST_TEST(validation.timestamp <= test.timestamp);
        for (const Rating& r : s.split.train)
          if (r.user == test.user) BOOST_TEST(r.timestamp <= validation.timestamp);
      }
    }
    BOOST_TEST(accounted == data.ratings.size());
    BOOST_TEST(items == data.movies.size());
  }
}

BOOST_AUTO_TEST_CASE(few_shot_subsamples_have_exact_sizes_and_are_seeded) {
  const MultiScenarioData split = build_default(random_catalogue(4));
  const ScenarioSplit& full = *std::max_element(
      split.scenarios.begin(), split.scenarios.end(),
      [](const auto& a, const auto& b) { return a.split.train.size() < b.split.train.size(); });
  BOOST_REQUIRE(full.split.train.size() >= 256u);
  std::vector<Rating> previous;
  for (std::size_t n : {0u, 16u, 64u, 256u}) {
    const ScenarioSplit shot = few_shot_subsample(full, n, 42);
    BOOST_TEST(shot.split.train.size() == n);
    BOOST_TEST(is_subsequence(shot.split.train, full.split.train));  // original order kept
    BOOST_TEST(is_subsequence(previous, shot.split.train));          // nested in n
    BOOST_TEST(shot.split.test.size() == full.split.test.size());
    BOOST_TEST(shot.split.validation.size() == full.split.validation.size());
    for (std::size_t i = 0; i < full.split.test.size(); ++i)
      BOOST_TEST(same_rating(shot.split.test[i], full.split.test[i]));
    BOOST_TEST(shot.users == full.users);
    BOOST_TEST(shot.items == full.items);
    BOOST_TEST(shot.name == full.name);
    const ScenarioSplit again = few_shot_subsample(full, n, 42);
    BOOST_TEST(std::equal(again.split.train.begin(), again.split.train.end(),
                          shot.split.train.begin(), shot.split.train.end(), same_rating));
    previous = shot.split.train;
  }
  const ScenarioSplit a = few_shot_subsample(full, 64, 1), b = few_shot_subsample(full, 64, 2);
  BOOST_TEST(!std::equal(a.split.train.begin(), a.split.train.end(), b.split.train.begin(),
                         b.split.train.end(), same_rating));
  const ScenarioSplit all = few_shot_subsample(full, full.split.train.size(), 7);
  BOOST_TEST(std::equal(all.split.train.begin(), all.split.train.end(), full.split.train.begin(),
                        full.split.train.end(), same_rating));
}

BOOST_AUTO_TEST_CASE(asking_for_more_shots_than_there_are_names_the_scenario) {
  const MultiScenarioData split = build_default(small_catalogue());
  require_throw_naming<invalid_argument>([&] { few_shot_subsample(split.scenarios[1], 4, 0); },
                                         {"scenario 1 \"action\"", "has 3 training", "the 4"});
}

BOOST_AUTO_TEST_CASE(bad_options_and_assignments_are_refused) {
  const MovieLens data = small_catalogue();
  const ScenarioAssignment assignment = assign_scenarios(data, default_movielens_genre_scenarios());
  require_throw_naming<invalid_argument>([&] { build_multi_scenario_data(data, assignment, {2}); },
                                         {"min_interactions_per_user = 2", "at least 3"});

  ScenarioAssignment short_assignment = assignment;
  short_assignment.item_scenario.resize(3);
  require_throw_naming<invalid_argument>([&] { build_multi_scenario_data(data, short_assignment); },
                                         {"covers 3 items", "has 18"});

  ScenarioAssignment out_of_range = assignment;
  out_of_range.item_scenario[4] = 7;
  require_throw_naming<index_error>([&] { build_multi_scenario_data(data, out_of_range); },
                                    {"item 4 has scenario 7", "[-1, 4)"});

  MovieLens bad_item = data;
  bad_item.ratings[2].item = 99;
  require_throw_naming<index_error>([&] { build_multi_scenario_data(bad_item, assignment); },
                                    {"rating 2 has item 99", "[0, 18)"});
  MovieLens bad_user = data;
  bad_user.ratings[5].user = 4;
  require_throw_naming<index_error>([&] { build_multi_scenario_data(bad_user, assignment); },
                                    {"rating 5", "user 4"});
}

BOOST_AUTO_TEST_SUITE_END()
