#include <adaptrec/data/movielens_100k.hpp>

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

const std::string genre_file =
    "unknown|0\nAction|1\nAdventure|2\nAnimation|3\nChildren's|4\nComedy|5\nCrime|6\n"
    "Documentary|7\nDrama|8\nFantasy|9\nFilm-Noir|10\nHorror|11\nMusical|12\nMystery|13\n"
    "Romance|14\nSci-Fi|15\nThriller|16\nWar|17\nWestern|18\n\n";

const std::string occupation_file = "administrator\nother\ntechnician\nwriter\n";

// Release dates as in the GroupLens file ("01-Jan-1995"), one empty (item 267),
// a Latin-1 title (0xE9 is e-acute), a title whose year is not the suffix, and
// no newline after the last line.
const std::string item_file =
    "1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)"
    "|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
    "2|GoldenEye (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?GoldenEye%20(1995)"
    "|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|1|0|0\n"
    "267|unknown||||1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
    "543|Mis\xE9rables, Les (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Mis%E9rables"
    "|0|0|0|0|0|0|0|0|1|0|0|0|1|0|0|0|0|0|0\n"
    "1411|Land Before Time III: The Time of the Great Giving (1995) (V)|01-Jan-1995||"
    "http://us.imdb.com/M/title-exact?Land|0|0|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0";

const std::string user_file =
    "1|24|M|technician|85711\n"
    "2|53|F|other|94043\n"
    "3|23|M|writer|T8H1N\n";

const std::string rating_file =
    "1\t1\t5\t874965758\n"
    "1\t2\t3\t876893171\n"
    "2\t267\t4\t888550871\n"
    "3\t543\t1\t889237455\n"
    "3\t1411\t2\t889237456\n"
    "2\t1\t4\t888550870\n";

std::map<std::string, std::string> fixture_files() {
  return {{"u.genre", genre_file},
          {"u.occupation", occupation_file},
          {"u.item", item_file},
          {"u.user", user_file},
          {"u.data", rating_file}};
}

detail::MovieLens100kText as_text(const std::map<std::string, std::string>& files) {
  return {files.at("u.genre"), files.at("u.occupation"), files.at("u.item"), files.at("u.user"),
          files.at("u.data")};
}

void write_fixture(const TempDir& dir, const std::map<std::string, std::string>& files) {
  for (const auto& [name, contents] : files) dir.write(name, contents);
}

// The fixture with one file's contents replaced.
std::string load_error(const std::string& file, const std::string& contents) {
  TempDir dir;
  auto files = fixture_files();
  files[file] = contents;
  write_fixture(dir, files);
  return message_of<io_error>([&] { load_movielens_100k(dir.path()); });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(data_movielens_100k)

BOOST_AUTO_TEST_CASE(parses_every_field) {
  TempDir dir;
  write_fixture(dir, fixture_files());
  const MovieLens data = load_movielens_100k(dir.path());

  BOOST_TEST(data.genre_names.size() == 19u);
  BOOST_TEST(data.genre_names[4] == "Children's");
  BOOST_TEST(data.occupations.size() == 4u);
  BOOST_TEST(data.num_items() == 5);
  BOOST_TEST(data.num_users() == 3);

  const Movie& toy_story = data.movies[0];
  BOOST_TEST(toy_story.raw_id == 1);
  BOOST_TEST(toy_story.title == "Toy Story");
  BOOST_TEST(toy_story.year == 1995);
  BOOST_TEST(toy_story.genres == (std::vector<std::int32_t>{3, 4, 5}));
  BOOST_TEST(data.item_text(0) == "Toy Story (1995) | Animation, Children's, Comedy");

  const User& third = data.users[2];
  BOOST_TEST(third.raw_id == 3);
  BOOST_TEST(third.age == 23);
  BOOST_TEST(third.gender == 'M');
  BOOST_TEST(data.occupations[static_cast<std::size_t>(third.occupation)] == "writer");
  BOOST_TEST(third.zip == "T8H1N");
  BOOST_TEST(data.users[1].gender == 'F');

  BOOST_REQUIRE(data.ratings.size() == 6u);
  const Rating& r = data.ratings[2];  // raw user 2, raw item 267
  BOOST_TEST(r.user == 1);
  BOOST_TEST(r.item == 2);
  BOOST_TEST(r.rating == 4.0f);
  BOOST_TEST(r.timestamp == 888550871);
  BOOST_TEST(data.ratings[4].item == 4);  // raw 1411: the last, newline-less item line
}

BOOST_AUTO_TEST_CASE(latin1_titles_become_utf8) {
  TempDir dir;
  write_fixture(dir, fixture_files());
  const MovieLens data = load_movielens_100k(dir.path());
  BOOST_TEST(data.movies[3].title == "Mis\xC3\xA9rables, Les");
  BOOST_TEST(data.movies[3].year == 1995);
}

BOOST_AUTO_TEST_CASE(years_and_missing_release_dates) {
  TempDir dir;
  write_fixture(dir, fixture_files());
  const MovieLens data = load_movielens_100k(dir.path());
  // Empty release date and no year in the title: year unknown.
  BOOST_TEST(data.movies[2].title == "unknown");
  BOOST_TEST(data.movies[2].year == 0);
  BOOST_TEST(data.movies[2].genres == (std::vector<std::int32_t>{0}));
  BOOST_TEST(data.item_text(2) == "unknown | unknown");
  // "(1995) (V)" is not a year suffix: the title stays whole, the year comes
  // from the release date.
  BOOST_TEST(data.movies[4].title == "Land Before Time III: The Time of the Great Giving (1995) (V)");
  BOOST_TEST(data.movies[4].year == 1995);
}

BOOST_AUTO_TEST_CASE(last_line_without_newline_and_crlf) {
  TempDir dir;
  auto files = fixture_files();
  std::string crlf;
  for (const char c : files["u.user"]) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  files["u.user"] = crlf;
  files["u.data"].pop_back();  // drop the final newline
  write_fixture(dir, files);
  const MovieLens data = load_movielens_100k(dir.path());
  BOOST_TEST(data.users[2].zip == "T8H1N");
  BOOST_TEST(data.ratings.size() == 6u);
  BOOST_TEST(data.ratings.back().timestamp == 888550870);
}

BOOST_AUTO_TEST_CASE(malformed_lines_name_file_and_line) {
  // Line 3 of u.item loses a genre flag.
  std::string short_item = item_file;
  short_item.replace(short_item.find("267|unknown||||1|0|"), 19, "267|unknown||||1|");
  std::string message = load_error("u.item", short_item);
  BOOST_TEST(contains(message, "u.item:3"), message);
  BOOST_TEST(contains(message, "expected 24 fields, got 23"), message);

  std::string bad_flag = item_file;
  bad_flag.replace(bad_flag.find("|0|1|1|0|"), 9, "|0|1|2|0|");
  message = load_error("u.item", bad_flag);
  BOOST_TEST(contains(message, "u.item:2"), message);
  BOOST_TEST(contains(message, "genre flag 2"), message);

  message = load_error("u.data", "1\t1\t5\t874965758\nx1\t2\t3\t876893171\n");
  BOOST_TEST(contains(message, "u.data:2"), message);
  BOOST_TEST(contains(message, "bad user id 'x1'"), message);

  message = load_error("u.data", "1\t1\t6\t874965758\n");
  BOOST_TEST(contains(message, "u.data:1"), message);
  BOOST_TEST(contains(message, "outside [1, 5]"), message);

  message = load_error("u.data", "1\t1\tnan\t874965758\n");
  BOOST_TEST(contains(message, "u.data:1"), message);

  message = load_error("u.data", "1\t1\t5\n");
  BOOST_TEST(contains(message, "expected 4 fields, got 3"), message);

  message = load_error("u.user", "1|24|X|technician|85711\n");
  BOOST_TEST(contains(message, "u.user:1"), message);
  BOOST_TEST(contains(message, "gender"), message);

  message = load_error("u.user", user_file + "4|30|F|astronaut|12345\n");
  BOOST_TEST(contains(message, "u.user:4"), message);
  BOOST_TEST(contains(message, "unknown occupation 'astronaut'"), message);

  message = load_error("u.item", item_file.substr(0, item_file.find('\n') + 1) + item_file);
  BOOST_TEST(contains(message, "u.item:2"), message);
  BOOST_TEST(contains(message, "duplicate item id 1"), message);

  std::string bad_date = item_file;
  bad_date.replace(bad_date.find("|01-Jan-1995|"), 13, "|someday|");
  message = load_error("u.item", bad_date);
  BOOST_TEST(contains(message, "u.item:1"), message);
}

BOOST_AUTO_TEST_CASE(unknown_ids_in_ratings_throw) {
  std::string message = load_error("u.data", rating_file + "1\t999\t3\t876893171\n");
  BOOST_TEST(contains(message, "u.data:7"), message);
  BOOST_TEST(contains(message, "unknown item id 999"), message);

  message = load_error("u.data", "44\t1\t3\t876893171\n");
  BOOST_TEST(contains(message, "u.data:1"), message);
  BOOST_TEST(contains(message, "unknown user id 44"), message);
}

BOOST_AUTO_TEST_CASE(skip_policy_drops_and_counts_unknown_ids) {
  TempDir dir;
  auto files = fixture_files();
  files["u.data"] += "1\t999\t3\t876893171\n44\t1\t3\t876893171\n3\t2\t5\t889237457\n";
  write_fixture(dir, files);
  const MovieLens data = load_movielens_100k(dir.path(), {UnknownIdPolicy::skip});
  BOOST_TEST(data.ratings.size() == 7u);
  BOOST_TEST(data.skipped_ratings == 2u);
  BOOST_TEST(data.ratings.back().user == 2);
  BOOST_TEST(data.ratings.back().item == 1);
  // Skipping is about ids only: a malformed line still throws.
  files["u.data"] += "1\t999\t7\t876893171\n";
  write_fixture(dir, files);
  const std::string message = message_of<io_error>(
      [&] { load_movielens_100k(dir.path(), {UnknownIdPolicy::skip}); });
  BOOST_TEST(contains(message, "u.data:10"), message);
  BOOST_TEST(contains(message, "outside [1, 5]"), message);
}

BOOST_AUTO_TEST_CASE(genre_list_must_be_dense) {
  std::string message = load_error("u.genre", "unknown|0\nAction|2\n");
  BOOST_TEST(contains(message, "genre index 1 is missing"), message);
  message = load_error("u.genre", "unknown|0\nAction|0\n");
  BOOST_TEST(contains(message, "u.genre:2"), message);
}

BOOST_AUTO_TEST_CASE(missing_file_names_the_path) {
  TempDir dir;
  auto files = fixture_files();
  files.erase("u.user");
  write_fixture(dir, files);
  const std::string message = message_of<io_error>([&] { load_movielens_100k(dir.path()); });
  BOOST_TEST(contains(message, "u.user"), message);
}

// The fuzz tests parse in memory (the loader's code path after reading the
// files) so that thousands of inputs take well under a second.
BOOST_AUTO_TEST_CASE(every_truncation_parses_or_throws) {
  const auto files = fixture_files();
  for (const auto& [name, contents] : files) {
    for (std::size_t length = 0; length <= contents.size(); ++length) {
      auto damaged = files;
      damaged[name] = contents.substr(0, length);
      adaptrec_test::expect_parses_or_throws_adaptrec_error(
          [&] { detail::parse_movielens_100k("fuzz", as_text(damaged)); },
          name + " truncated to " + std::to_string(length) + " bytes");
    }
  }
}

BOOST_AUTO_TEST_CASE(random_and_mutated_inputs_parse_or_throw) {
  std::mt19937_64 rng(20240601);
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
          detail::parse_movielens_100k("fuzz", as_text(damaged), options);
        },
        it->first + " trial " + std::to_string(trial));
  }
}

BOOST_AUTO_TEST_SUITE_END()
