#include <adaptrec/data/movielens_1m.hpp>
#include <adaptrec/data/scenarios.hpp>

#include "fixture_files.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace adaptrec;
using namespace adaptrec::data;
using adaptrec_test::require_throw_naming;

namespace {

// The 19 genres of MovieLens 100K's u.genre, in file order.
std::vector<std::string> genres_100k() {
  return {"unknown",     "Action", "Adventure", "Animation", "Children's", "Comedy",  "Crime",
          "Documentary", "Drama",  "Fantasy",   "Film-Noir", "Horror",     "Musical", "Mystery",
          "Romance",     "Sci-Fi", "Thriller",  "War",       "Western"};
}

// A catalogue whose items carry the given genres, named as in `genre_names`.
MovieLens catalogue(std::vector<std::string> genre_names,
                    const std::vector<std::vector<std::string>>& item_genres) {
  MovieLens data;
  data.genre_names = std::move(genre_names);
  for (std::size_t i = 0; i < item_genres.size(); ++i) {
    Movie movie{static_cast<std::int32_t>(100 + i), "movie " + std::to_string(i), 1995, {}};
    for (std::size_t g = 0; g < data.genre_names.size(); ++g)
      for (const std::string& name : item_genres[i])
        if (data.genre_names[g] == name) movie.genres.push_back(static_cast<std::int32_t>(g));
    BOOST_REQUIRE(movie.genres.size() == item_genres[i].size());
    data.movies.push_back(movie);
  }
  return data;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(data_scenarios)

BOOST_AUTO_TEST_CASE(default_mapping_checks_family_action_comedy_drama_in_that_order) {
  const GenreScenarios mapping = default_movielens_genre_scenarios();
  BOOST_REQUIRE(mapping.scenarios.size() == 4u);
  BOOST_TEST(mapping.scenarios[0].name == "family");
  BOOST_TEST(mapping.scenarios[1].name == "action");
  BOOST_TEST(mapping.scenarios[2].name == "comedy");
  BOOST_TEST(mapping.scenarios[3].name == "drama");
  BOOST_TEST((mapping.scenarios[0].genres ==
              std::vector<std::string>{"Children's", "Animation", "Musical", "Fantasy"}));
  BOOST_TEST((mapping.scenarios[1].genres ==
              std::vector<std::string>{"Action", "Adventure", "Sci-Fi", "Thriller", "Western"}));
  BOOST_TEST((mapping.scenarios[2].genres == std::vector<std::string>{"Comedy", "Romance"}));
  BOOST_TEST((mapping.scenarios[3].genres == std::vector<std::string>{"Drama", "War", "Crime",
                                                                      "Film-Noir", "Mystery",
                                                                      "Horror", "Documentary"}));
}

BOOST_AUTO_TEST_CASE(an_item_goes_to_the_first_scenario_matching_any_of_its_genres) {
  const std::vector<std::vector<std::string>> item_genres = {
      {"Animation", "Children's", "Comedy"},
      {"Action", "Adventure", "Romance", "Sci-Fi", "War"},
      {"Comedy", "Romance"},
      {"Drama", "War"},
      {"Comedy", "Thriller"},
      {"Horror"},
      {"Drama", "Fantasy"},
      {"unknown"},
      {},
      {"Western"},
  };
  const MovieLens data = catalogue(genres_100k(), item_genres);
  const ScenarioAssignment assignment = assign_scenarios(data, default_movielens_genre_scenarios());
  BOOST_TEST((assignment.names == std::vector<std::string>{"family", "action", "comedy", "drama"}));
  BOOST_TEST(assignment.num_scenarios() == 4);
  // Comedy + Thriller is action (checked before comedy), Drama + Fantasy is
  // family; "unknown" alone and no genre at all match nothing.
  BOOST_TEST((assignment.item_scenario == std::vector<int>{0, 1, 2, 3, 1, 3, 0, -1, -1, 1}));
  BOOST_TEST(assignment.unassigned_items() == 2u);
  BOOST_TEST((assignment.items_per_scenario() == std::vector<std::size_t>{2, 3, 1, 2}));
}

BOOST_AUTO_TEST_CASE(the_default_mapping_covers_every_1m_genre) {
  std::vector<std::vector<std::string>> one_genre_each;
  for (const std::string& genre : detail::movielens_1m_genres()) one_genre_each.push_back({genre});
  const MovieLens data = catalogue(detail::movielens_1m_genres(), one_genre_each);
  const ScenarioAssignment assignment = assign_scenarios(data, default_movielens_genre_scenarios());
  BOOST_TEST(assignment.unassigned_items() == 0u);
  BOOST_TEST((assignment.items_per_scenario() == std::vector<std::size_t>{4, 5, 2, 7}));
}

BOOST_AUTO_TEST_CASE(a_custom_mapping_decides_by_its_own_order) {
  const MovieLens data = catalogue(genres_100k(), {{"Comedy", "Drama"}, {"Drama"}, {"Action"}});
  const ScenarioAssignment assignment =
      assign_scenarios(data, GenreScenarios{{{"serious", {"Drama"}}, {"light", {"Comedy"}}}});
  BOOST_TEST((assignment.item_scenario == std::vector<int>{0, 0, -1}));
  BOOST_TEST(assignment.unassigned_items() == 1u);
}

BOOST_AUTO_TEST_CASE(a_genre_the_dataset_lacks_is_named) {
  const MovieLens data = catalogue(genres_100k(), {{"Action"}});
  require_throw_naming<invalid_argument>(
      [&] {
        assign_scenarios(data, GenreScenarios{{{"space", {"Action", "SciFi"}}}});
      },
      {"\"SciFi\"", "\"space\"", "\"Sci-Fi\""});
  // 1M has no "unknown" genre.
  const MovieLens data_1m = catalogue(detail::movielens_1m_genres(), {{"Action"}});
  require_throw_naming<invalid_argument>(
      [&] {
        assign_scenarios(data_1m, GenreScenarios{{{"other", {"unknown"}}}});
      },
      {"\"unknown\"", "\"other\""});
}

BOOST_AUTO_TEST_CASE(malformed_mappings_are_refused_with_the_scenario_named) {
  const MovieLens data = catalogue(genres_100k(), {{"Action"}});
  require_throw_naming<invalid_argument>([&] { assign_scenarios(data, GenreScenarios{}); },
                                         {"no scenarios"});
  require_throw_naming<invalid_argument>(
      [&] {
        assign_scenarios(
            data, GenreScenarios{{{"action", {"Action"}}, {"thrill", {"Thriller", "Action"}}}});
      },
      {"\"Action\"", "\"thrill\"", "\"action\""});
  require_throw_naming<invalid_argument>(
      [&] {
        assign_scenarios(data, GenreScenarios{{{"a", {"Action"}}, {"a", {"Drama"}}}});
      },
      {"scenario 1 \"a\"", "repeats the name of scenario 0"});
  require_throw_naming<invalid_argument>(
      [&] {
        assign_scenarios(data, GenreScenarios{{{"empty", {}}}});
      },
      {"\"empty\"", "no genres"});
  require_throw_naming<invalid_argument>(
      [&] {
        assign_scenarios(data, GenreScenarios{{{"", {"Action"}}}});
      },
      {"empty name"});
}

BOOST_AUTO_TEST_CASE(an_item_with_a_genre_index_out_of_range_is_named) {
  MovieLens data = catalogue(genres_100k(), {{"Action"}, {"Drama"}});
  data.movies[1].genres.push_back(19);
  require_throw_naming<index_error>(
      [&] { assign_scenarios(data, default_movielens_genre_scenarios()); },
      {"item 1", "raw id 101", "genre index 19", "[0, 19)"});
}

BOOST_AUTO_TEST_SUITE_END()
