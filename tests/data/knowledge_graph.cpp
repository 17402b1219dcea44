#include <adaptrec/data/knowledge_graph.hpp>

#include "fixture_files.hpp"

#include <support/expect_throw.hpp>
#include <support/temp_dir.hpp>

#include <boost/test/unit_test.hpp>

#include <random>
#include <string>
#include <vector>

using namespace adaptrec;
using namespace adaptrec::data;
using adaptrec_test::require_throw_naming;

namespace {

const std::string sample =
    "# a comment, then a blank line\n"
    "\n"
    "Paris\tcapital_of\tFrance\r\n"
    "Berlin\tcapital_of\tGermany\n"
    "France\tborders\tGermany\n"
    "Paris\tcapital_of\tFrance\n";  // a repeat: one triple in the graph

MovieLens tiny_movielens() {
  MovieLens ml;
  ml.genre_names = {"unknown", "Action", "Comedy"};
  ml.movies = {{1, "A", 1995, {1, 2}}, {2, "B", 1987, {2}}, {3, "C", 0, {0}}, {4, "D", 1999, {}}};
  return ml;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(data_knowledge_graph)

BOOST_AUTO_TEST_CASE(reads_names_ids_and_unique_triples) {
  adaptrec_test::TempDir dir("knowledge-graph");
  const KnowledgeGraph g = read_triples(dir.write("kg.tsv", sample));
  BOOST_TEST(g.num_entities() == 4);
  BOOST_TEST(g.num_relations() == 2);
  BOOST_TEST(g.num_triples() == 3);
  BOOST_TEST(g.entities().id("Paris") == 0);
  BOOST_TEST(g.entities().id("France") == 1);
  BOOST_TEST(g.relations().name(1) == "borders");
  BOOST_TEST(g.contains({2, 0, 3}));   // Berlin capital_of Germany
  BOOST_TEST(!g.contains({3, 0, 2}));  // Germany capital_of Berlin
  BOOST_TEST(g.entities().find("Rome") == -1);
  require_throw_naming<index_error>([&] { g.entities().id("Rome"); }, {"entity", "'Rome'"});
  require_throw_naming<index_error>([&] { g.relations().name(2); }, {"relation id 2"});

  const Tensor<index_t> t = triples_tensor(g.triples());
  BOOST_REQUIRE(t.shape() == (Shape{3, 3}));
  BOOST_TEST(t.to_vector() == (std::vector<index_t>{0, 0, 1, 2, 0, 3, 1, 1, 3}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(write_then_read_gives_the_same_graph) {
  adaptrec_test::TempDir dir("knowledge-graph");
  KnowledgeGraph g;
  g.add_triple("Amélie", "directed_by", "Jean-Pierre Jeunet");
  g.add_triple("item:0", "has_genre", "genre:Comedy");
  g.add_triple("item:0", "has #hash", "x");
  write_triples(g, dir / "out.tsv");
  const KnowledgeGraph back = read_triples(dir / "out.tsv");
  BOOST_TEST(back.entities().names() == g.entities().names(), boost::test_tools::per_element());
  BOOST_TEST(back.relations().names() == g.relations().names(), boost::test_tools::per_element());
  BOOST_TEST(back.triples() == g.triples());
}

BOOST_AUTO_TEST_CASE(test_files_share_the_training_ids) {
  adaptrec_test::TempDir dir("knowledge-graph");
  KnowledgeGraph g = read_triples(dir.write("train.tsv", sample));
  const std::vector<Triple> test = read_triple_list(
      dir.write("test.tsv", "Rome\tcapital_of\tItaly\nParis\tborders\tBerlin\n"), g);
  BOOST_REQUIRE(test.size() == 2u);
  BOOST_TEST(test[0] == (Triple{4, 0, 5}));
  BOOST_TEST(test[1] == (Triple{0, 1, 2}));
  BOOST_TEST(g.num_entities() == 6);
  BOOST_TEST(g.num_triples() == 3);  // listed, not added
}

BOOST_AUTO_TEST_CASE(split_holds_out_a_fraction_of_one_relation) {
  KnowledgeGraph g;
  for (int i = 0; i < 20; ++i) {
    g.add_triple("e" + std::to_string(i), "next", "e" + std::to_string((i + 1) % 20));
    g.add_triple("e" + std::to_string(i), "self", "e" + std::to_string(i));
  }
  Rng rng(3);
  const KnowledgeGraphSplit split = split_triples(g, 0.25, rng, g.relations().id("next"));
  BOOST_TEST(split.test.size() == 5u);
  BOOST_TEST(split.train.num_triples() == 35);
  BOOST_TEST(split.train.num_entities() == 20);
  for (const Triple& t : split.test) {
    BOOST_TEST(t.relation == g.relations().id("next"));
    BOOST_TEST(!split.train.contains(t));
    BOOST_TEST(g.contains(t));
  }
  require_throw_naming<invalid_argument>([&] { split_triples(g, 1.5, rng); }, {"1.5"});
  require_throw_naming<index_error>([&] { split_triples(g, 0.5, rng, 7); }, {"relation 7"});
}

BOOST_AUTO_TEST_CASE(movielens_item_graph_links_items_to_genres_and_decades) {
  const KnowledgeGraph g = movielens_item_graph(tiny_movielens());
  for (index_t i = 0; i < 4; ++i) BOOST_TEST(g.entities().id("item:" + std::to_string(i)) == i);
  BOOST_TEST(g.entities().find("genre:unknown") == -1);
  const index_t has_genre = g.relations().id("has_genre");
  const index_t decade = g.relations().id("released_in_decade");
  const index_t action = g.entities().id("genre:Action");
  const index_t comedy = g.entities().id("genre:Comedy");
  const index_t d1980 = g.entities().id("decade:1980");
  const index_t d1990 = g.entities().id("decade:1990");
  BOOST_TEST(d1980 < d1990);
  BOOST_TEST(g.contains({0, has_genre, action}));
  BOOST_TEST(g.contains({0, has_genre, comedy}));
  BOOST_TEST(g.contains({1, has_genre, comedy}));
  BOOST_TEST(g.contains({0, decade, d1990}));
  BOOST_TEST(g.contains({1, decade, d1980}));
  BOOST_TEST(g.contains({3, decade, d1990}));
  BOOST_TEST(g.num_triples() == 6);  // item 2: unknown genre and year
}

BOOST_AUTO_TEST_CASE(bad_lines_name_the_file_and_line) {
  adaptrec_test::TempDir dir("knowledge-graph");
  require_throw_naming<io_error>(
      [&] { read_triples(dir.write("fields.tsv", "a\tr\tb\n\na\tr\n")); },
      {"fields.tsv:3", "expected 3", "got 2"});
  require_throw_naming<io_error>([&] { read_triples(dir.write("four.tsv", "a\tr\tb\tc\n")); },
                                 {"four.tsv:1", "got 4"});
  require_throw_naming<io_error>([&] { read_triples(dir.write("empty.tsv", "a\tr\tb\nx\t\ty\n")); },
                                 {"empty.tsv:2", "empty relation name"});
  require_throw_naming<io_error>(
      [&] { read_triples(dir.write("latin1.tsv", "# ok\nAm\xE9lie\tr\tb\n")); },
      {"latin1.tsv:2", "UTF-8"});
  require_throw_naming<io_error>([&] { read_triples(dir.write("cr.tsv", "a\tr\rx\tb\n")); },
                                 {"cr.tsv:1", "line break"});
  require_throw_naming<io_error>([&] { read_triples(dir / "absent.tsv"); }, {"absent.tsv"});
  KnowledgeGraph g;
  require_throw_naming<invalid_argument>([&] { g.add_triple("#x", "r", "y"); }, {"'#x'", "'#'"});
  require_throw_naming<index_error>([&] { g.add_triple(Triple{0, 0, 9}); }, {"(0, 0, 9)"});
}

BOOST_AUTO_TEST_CASE(every_truncation_parses_or_throws) {
  for (std::size_t length = 0; length <= sample.size(); ++length)
    adaptrec_test::expect_parses_or_throws_adaptrec_error(
        [&] {
          KnowledgeGraph g;
          data::detail::parse_triples(sample.substr(0, length), "fuzz.tsv", g);
        },
        "truncated to " + std::to_string(length));
}

BOOST_AUTO_TEST_CASE(random_and_mutated_bytes_parse_or_throw) {
  std::mt19937_64 rng(17);
  for (int trial = 0; trial < 2000; ++trial) {
    const std::string input =
        trial % 4 == 0 ? adaptrec_test::random_bytes(rng, 200) : adaptrec_test::mutate(rng, sample);
    adaptrec_test::expect_parses_or_throws_adaptrec_error(
        [&] {
          KnowledgeGraph g;
          for (const Triple& t : data::detail::parse_triples(input, "fuzz.tsv", g)) g.add_triple(t);
        },
        "trial " + std::to_string(trial));
  }
}

BOOST_AUTO_TEST_SUITE_END()
