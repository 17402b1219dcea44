#include <adaptrec/data/movielens.hpp>

#include "fixture_files.hpp"

#include <boost/test/unit_test.hpp>

using namespace adaptrec;
using namespace adaptrec::data;
using adaptrec_test::contains;
using adaptrec_test::TempDir;

BOOST_AUTO_TEST_SUITE(data_movielens)

BOOST_AUTO_TEST_CASE(detects_the_100k_layout) {
  TempDir dir;
  dir.write("u.genre", "unknown|0\nComedy|1\n");
  dir.write("u.occupation", "other\n");
  dir.write("u.item", "7|Twelve Monkeys (1995)|01-Jan-1995||http://x|0|1");
  dir.write("u.user", "5|33|F|other|15213\n");
  dir.write("u.data", "5\t7\t4\t875000000\n");
  const MovieLens data = load_movielens(dir.path());
  BOOST_TEST(data.num_items() == 1);
  BOOST_TEST(data.item_text(0) == "Twelve Monkeys (1995) | Comedy");
  BOOST_TEST(data.ratings.size() == 1u);
}

BOOST_AUTO_TEST_CASE(detects_the_1m_layout) {
  TempDir dir;
  dir.write("movies.dat", "7::Sabrina (1995)::Comedy|Romance\n");
  dir.write("users.dat", "5::F::35::2::15213\n");
  dir.write("ratings.dat", "5::7::3::978000000\n");
  const MovieLens data = load_movielens(dir.path());
  BOOST_TEST(data.item_text(0) == "Sabrina (1995) | Comedy, Romance");
  BOOST_TEST(data.users[0].age == 35);
}

BOOST_AUTO_TEST_CASE(neither_layout_is_an_io_error) {
  TempDir dir;
  const std::string message =
      adaptrec_test::message_of<io_error>([&] { load_movielens(dir.path()); });
  BOOST_TEST(contains(message, "u.data"), message);
  BOOST_TEST(contains(message, "ratings.dat"), message);
}

BOOST_AUTO_TEST_CASE(item_text_checks_the_index) {
  MovieLens data;
  const std::string message =
      adaptrec_test::message_of<index_error>([&] { (void)data.item_text(3); });
  BOOST_TEST(contains(message, "item 3"), message);
}

BOOST_AUTO_TEST_SUITE_END()
