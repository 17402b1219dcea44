// MovieLens 100K as published by GroupLens (ml-100k/README, u.info): 100,000
// ratings by 943 users on 1,682 items, 19 genres, at least 20 ratings per user.
#include <adaptrec/data/movielens.hpp>
#include <adaptrec/data/split.hpp>
#include <adaptrec/data/text_parsing.hpp>

#include <support/data.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace adaptrec;
using namespace adaptrec::data;
namespace utf = boost::unit_test;

BOOST_AUTO_TEST_SUITE(data_movielens_realdata)

// The strict default: every rating must name a user and an item of u.user and
// u.item. A complete release loads with the published counts; a damaged copy
// (the shared one lacks u.item's line for movie 267, which u.data rates) must
// be refused with the file:line of the first problem, never loaded silently.
BOOST_AUTO_TEST_CASE(strict_loading_matches_the_release_or_names_the_damage,
                     *utf::precondition(adaptrec_test::has_data("ml-100k/u.data"))) {
  try {
    const MovieLens data = load_movielens_100k(adaptrec_test::data_path("ml-100k"));
    BOOST_TEST(data.ratings.size() == 100000u);
    BOOST_TEST(data.num_users() == 943);
    BOOST_TEST(data.num_items() == 1682);
    const LeaveOneOutSplit split = leave_one_out_split(data.ratings, data.num_users());
    BOOST_TEST(split.train.size() == 98114u);
  } catch (const io_error& e) {
    const std::string message = e.what();
    BOOST_TEST_MESSAGE("strict load refused the copy: " << message);
    BOOST_TEST(message.find("u.data:") != std::string::npos, message);
    BOOST_TEST(message.find("unknown item id") != std::string::npos, message);
  }
}

// The checks below load with UnknownIdPolicy::skip so that they still say
// something about the loader on a copy that lacks an item line.
BOOST_AUTO_TEST_CASE(users_items_and_text,
                     *utf::precondition(adaptrec_test::has_data("ml-100k/u.data"))) {
  const MovieLens data =
      load_movielens_100k(adaptrec_test::data_path("ml-100k"), {UnknownIdPolicy::skip});
  BOOST_TEST_MESSAGE("ratings skipped for unknown ids: " << data.skipped_ratings);
  BOOST_TEST(data.num_users() == 943);
  BOOST_TEST(data.genre_names.size() == 19u);
  BOOST_TEST(data.genre_names[0] == "unknown");
  BOOST_TEST(data.occupations.size() == 21u);
  BOOST_TEST(data.ratings.size() + data.skipped_ratings == 100000u);

  BOOST_TEST(data.movies[0].raw_id == 1);
  BOOST_TEST(data.movies[0].title == "Toy Story");
  BOOST_TEST(data.movies[0].year == 1995);
  BOOST_TEST(data.item_text(0) == "Toy Story (1995) | Animation, Children's, Comedy");

  std::vector<int> per_user(static_cast<std::size_t>(data.num_users()), 0);
  for (const Rating& r : data.ratings) ++per_user[static_cast<std::size_t>(r.user)];
  BOOST_TEST(*std::min_element(per_user.begin(), per_user.end()) >= 20);

  bool found_accent = false;
  for (const Movie& m : data.movies) {
    BOOST_TEST(adaptrec::data::detail::is_valid_utf8(m.title), m.title);
    found_accent = found_accent || m.title.find("\xC3\xA9") != std::string::npos;
  }
  BOOST_TEST(found_accent);  // Latin-1 e-acute (Les Misérables and others) as UTF-8
}

BOOST_AUTO_TEST_CASE(leave_one_out_sizes,
                     *utf::precondition(adaptrec_test::has_data("ml-100k/u.data"))) {
  const MovieLens data =
      load_movielens_100k(adaptrec_test::data_path("ml-100k"), {UnknownIdPolicy::skip});
  const LeaveOneOutSplit split = leave_one_out_split(data.ratings, data.num_users());
  BOOST_TEST(split.test.size() == 943u);
  BOOST_TEST(split.validation.size() == 943u);
  BOOST_TEST(split.train.size() == data.ratings.size() - 2 * 943u);
}

BOOST_AUTO_TEST_SUITE_END()
