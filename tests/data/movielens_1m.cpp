#include <adaptrec/data/movielens_1m.hpp>

#include "fixture_files.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <random>
#include <string>

using namespace adaptrec;
using namespace adaptrec::data;
using adaptrec_test::contains;
using adaptrec_test::message_of;
using adaptrec_test::TempDir;

namespace {

// Lines as in the GroupLens release: '::' separators, ISO-8859-1 titles (0xE9 is
// e-acute), genre names joined by '|', age and occupation codes.
const std::string movie_file =
    "1::Toy Story (1995)::Animation|Children's|Comedy\n"
    "2::Jumanji (1995)::Adventure|Children's|Fantasy\n"
    "1176::Double Vie de V\xE9ronique, La (1991)::Drama\n"
    "2905::Sanjuro (1962)::Action|Adventure\n"
    "3952::Contender, The (2000)::Drama|Thriller\n";

const std::string user_file =
    "1::F::1::10::48067\n"
    "2::M::56::16::70072\n"
    "3::M::25::15::55117\n"
    "4::M::45::7::02460\n";

const std::string rating_file =
    "1::1176::5::978300760\n"
    "1::1::3::978302109\n"
    "2::2::4::978298413\n"
    "3::3952::2::978297867\n"
    "4::2905::1::978294008\n"
    "4::1::5::978294008\n";

std::map<std::string, std::string> fixture_files() {
  return {{"movies.dat", movie_file}, {"users.dat", user_file}, {"ratings.dat", rating_file}};
}

detail::MovieLens1mText as_text(const std::map<std::string, std::string>& files) {
  return {files.at("movies.dat"), files.at("users.dat"), files.at("ratings.dat")};
}

void write_fixture(const TempDir& dir, const std::map<std::string, std::string>& files) {
  for (const auto& [name, contents] : files) dir.write(name, contents);
}

std::string load_error(const std::string& file, const std::string& contents) {
  TempDir dir;
  auto files = fixture_files();
  files[file] = contents;
  write_fixture(dir, files);
  return message_of<io_error>([&] { load_movielens_1m(dir.path()); });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(data_movielens_1m)

BOOST_AUTO_TEST_CASE(parses_every_field) {
  TempDir dir;
  write_fixture(dir, fixture_files());
  const MovieLens data = load_movielens_1m(dir.path());
  BOOST_TEST(data.genre_names.size() == 18u);
  BOOST_TEST(data.occupations.size() == 21u);
  BOOST_TEST(data.num_items() == 5);
  BOOST_TEST(data.num_users() == 4);

  BOOST_TEST(data.movies[0].title == "Toy Story");
  BOOST_TEST(data.movies[0].year == 1995);
  BOOST_TEST(data.item_text(0) == "Toy Story (1995) | Animation, Children's, Comedy");
  BOOST_TEST(data.movies[2].raw_id == 1176);
  BOOST_TEST(data.movies[2].title == "Double Vie de V\xC3\xA9ronique, La");
  BOOST_TEST(data.movies[2].year == 1991);
  BOOST_TEST(data.item_text(4) == "Contender, The (2000) | Drama, Thriller");

  const User& first = data.users[0];
  BOOST_TEST(first.gender == 'F');
  BOOST_TEST(first.age == 1);
  BOOST_TEST(data.occupations[static_cast<std::size_t>(first.occupation)] == "K-12 student");
  BOOST_TEST(data.users[3].zip == "02460");  // leading zero kept
  BOOST_TEST(data.occupations[7] == "executive/managerial");

  BOOST_REQUIRE(data.ratings.size() == 6u);
  BOOST_TEST(data.ratings[0].user == 0);
  BOOST_TEST(data.ratings[0].item == 2);
  BOOST_TEST(data.ratings[0].rating == 5.0f);
  BOOST_TEST(data.ratings[0].timestamp == 978300760);
  BOOST_TEST(data.ratings[4].item == 3);
}

BOOST_AUTO_TEST_CASE(genres_are_sorted_indices_and_may_be_empty) {
  TempDir dir;
  auto files = fixture_files();
  files["movies.dat"] += "4::Waiting to Exhale (1995)::Drama|Comedy\n5::Untitled::(no genres listed)\n";
  write_fixture(dir, files);
  const MovieLens data = load_movielens_1m(dir.path());
  BOOST_TEST(data.movies[5].genres == (std::vector<std::int32_t>{4, 7}));
  BOOST_TEST(data.movies[6].genres.empty());
  BOOST_TEST(data.movies[6].year == 0);
  BOOST_TEST(data.item_text(6) == "Untitled");
}

BOOST_AUTO_TEST_CASE(malformed_lines_name_file_and_line) {
  std::string message = load_error("movies.dat", movie_file + "6::Heat (1995)::Action|Noir\n");
  BOOST_TEST(contains(message, "movies.dat:6"), message);
  BOOST_TEST(contains(message, "unknown genre 'Noir'"), message);

  message = load_error("movies.dat", "1::Toy Story (1995)|Animation\n");
  BOOST_TEST(contains(message, "movies.dat:1"), message);
  BOOST_TEST(contains(message, "expected 3 fields, got 2"), message);

  message = load_error("users.dat", "1::F::1::10::48067\n2::M::30::16::70072\n");
  BOOST_TEST(contains(message, "users.dat:2"), message);
  BOOST_TEST(contains(message, "age code 30"), message);

  message = load_error("users.dat", "1::F::1::21::48067\n");
  BOOST_TEST(contains(message, "users.dat:1"), message);
  BOOST_TEST(contains(message, "occupation code 21"), message);

  message = load_error("ratings.dat", "1::1::0::978300760\n");
  BOOST_TEST(contains(message, "ratings.dat:1"), message);
  BOOST_TEST(contains(message, "outside [1, 5]"), message);

  message = load_error("ratings.dat", "1\t1\t5\t978300760\n");
  BOOST_TEST(contains(message, "expected 4 fields, got 1"), message);

  message = load_error("ratings.dat", "1::1::5::97830076O\n");  // letter O, not zero
  BOOST_TEST(contains(message, "bad timestamp"), message);
}

BOOST_AUTO_TEST_CASE(unknown_ids_in_ratings_throw) {
  std::string message = load_error("ratings.dat", rating_file + "1::3::4::978300760\n");
  BOOST_TEST(contains(message, "ratings.dat:7"), message);
  BOOST_TEST(contains(message, "unknown item id 3"), message);
  message = load_error("ratings.dat", "9::1::4::978300760\n");
  BOOST_TEST(contains(message, "unknown user id 9"), message);
}

// The fuzz tests parse in memory (the loader's code path after reading the
// files) so that thousands of inputs take well under a second.
BOOST_AUTO_TEST_CASE(skip_policy_drops_and_counts_unknown_ids) {
  TempDir dir;
  auto files = fixture_files();
  files["ratings.dat"] += "1::3::4::978300760\n";
  write_fixture(dir, files);
  const MovieLens data = load_movielens_1m(dir.path(), {UnknownIdPolicy::skip});
  BOOST_TEST(data.ratings.size() == 6u);
  BOOST_TEST(data.skipped_ratings == 1u);
}

BOOST_AUTO_TEST_CASE(every_truncation_parses_or_throws) {
  const auto files = fixture_files();
  for (const auto& [name, contents] : files) {
    for (std::size_t length = 0; length <= contents.size(); ++length) {
      auto damaged = files;
      damaged[name] = contents.substr(0, length);
      adaptrec_test::expect_parses_or_throws_adaptrec_error(
          [&] { detail::parse_movielens_1m("fuzz", as_text(damaged)); },
          name + " truncated to " + std::to_string(length) + " bytes");
    }
  }
}

BOOST_AUTO_TEST_CASE(random_and_mutated_inputs_parse_or_throw) {
  std::mt19937_64 rng(19980401);
  const auto files = fixture_files();
  for (int trial = 0; trial < 2000; ++trial) {
    auto damaged = files;
    auto it = damaged.begin();
    std::advance(it, static_cast<std::ptrdiff_t>(rng() % damaged.size()));
    it->second = trial % 4 == 0 ? adaptrec_test::random_bytes(rng, 300)
                                : adaptrec_test::mutate(rng, it->second);
    adaptrec_test::expect_parses_or_throws_adaptrec_error(
        [&] {
          const MovieLensOptions options{trial % 2 ? UnknownIdPolicy::skip : UnknownIdPolicy::error};
          detail::parse_movielens_1m("fuzz", as_text(damaged), options);
        },
        it->first + " trial " + std::to_string(trial));
  }
}

BOOST_AUTO_TEST_SUITE_END()
