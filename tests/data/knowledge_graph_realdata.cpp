// The MovieLens-100K item graph (items, genres, release decades) and TransE
// link prediction on it: held-out has_genre links are ranked far above chance.
#include <adaptrec/data/knowledge_graph.hpp>
#include <adaptrec/data/movielens.hpp>
#include <adaptrec/encoders/transe.hpp>
#include <adaptrec/train/transe_training.hpp>

#include <support/data.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace adaptrec;
using namespace adaptrec::data;
namespace utf = boost::unit_test;

namespace {

// The shared copy may lack an item line that u.data rates (see
// movielens_realdata.cpp); the item graph needs items only.
MovieLens movielens_100k() {
  return load_movielens_100k(adaptrec_test::data_path("ml-100k"), {UnknownIdPolicy::skip});
}

// movielens_item_graph numbers the genres right after the items.
index_t ml_first_genre(const KnowledgeGraph& g) { return g.entities().id("genre:Action"); }

}  // namespace

BOOST_AUTO_TEST_SUITE(data_knowledge_graph_realdata)

BOOST_AUTO_TEST_CASE(item_graph_of_movielens_100k,
                     *utf::precondition(adaptrec_test::has_data("ml-100k/u.item"))) {
  const MovieLens ml = movielens_100k();
  const KnowledgeGraph g = movielens_item_graph(ml);
  index_t genre_links = 0, dated = 0;
  for (const Movie& m : ml.movies) {
    for (std::int32_t genre : m.genres)
      genre_links += ml.genre_names[static_cast<std::size_t>(genre)] != "unknown";
    dated += m.year > 0;
  }
  const index_t decades = g.num_entities() - ml.num_items() - 18;
  BOOST_TEST_MESSAGE("MovieLens-100K item graph: "
                     << g.num_entities() << " entities (" << ml.num_items() << " items, 18 genres, "
                     << decades << " decades), " << g.num_triples() << " triples");
  BOOST_TEST(g.entities().id("item:0") == 0);
  BOOST_TEST(g.entities().id("item:" + std::to_string(ml.num_items() - 1)) == ml.num_items() - 1);
  BOOST_TEST(g.num_relations() == 2);
  BOOST_TEST(g.num_triples() == genre_links + dated);
  // Toy Story (1995): Animation, Children's, Comedy.
  const index_t has_genre = g.relations().id("has_genre");
  BOOST_TEST(g.contains({0, has_genre, g.entities().id("genre:Animation")}));
  BOOST_TEST(g.contains({0, has_genre, g.entities().id("genre:Children's")}));
  BOOST_TEST(
      g.contains({0, g.relations().id("released_in_decade"), g.entities().id("decade:1990")}));
  BOOST_TEST(decades >= 7);  // the 1920s to the 1990s at least
}

BOOST_AUTO_TEST_CASE(transe_predicts_held_out_genres_far_above_chance,
                     *utf::precondition(adaptrec_test::has_data("ml-100k/u.item"))) {
  const KnowledgeGraph graph = movielens_item_graph(movielens_100k());
  const index_t has_genre = graph.relations().id("has_genre");
  Rng split_rng(11);
  const KnowledgeGraphSplit split = split_triples(graph, 0.1, split_rng, has_genre);

  Rng rng(12);
  encoders::TransE<float> model(graph.num_entities(), graph.num_relations(),
                                {.dim = 16, .norm = encoders::TransENorm::l2}, rng);
  train::TransETrainOptions options;
  options.epochs = 30;
  options.batch_size = 64;
  options.negatives_per_positive = 16;
  options.learning_rate = 0.05;
  const auto before = train::evaluate_link_prediction(model, graph, split.test);
  const std::vector<double> losses = train::train_transe(model, split.train, options);
  const auto after = train::evaluate_link_prediction(model, graph, split.test);

  // Chance levels of filtered Hits@10: a uniform guess among all entities, and
  // the stronger one among the 18 genres only (each test item has on average
  // `known` other true genres filtered out of the candidates).
  double type_aware_chance = 0;
  for (const Triple& t : split.test) {
    index_t other_true = 0;
    for (index_t e = ml_first_genre(graph); e < ml_first_genre(graph) + 18; ++e)
      other_true += e != t.tail && (graph.contains({t.head, has_genre, e}));
    type_aware_chance += std::min(1.0, 10.0 / static_cast<double>(18 - other_true));
  }
  type_aware_chance /= static_cast<double>(split.test.size());
  const double uniform_chance = 10.0 / static_cast<double>(graph.num_entities());
  BOOST_TEST_MESSAGE("TransE on MovieLens-100K ("
                     << split.train.num_triples() << " training, " << split.test.size()
                     << " held-out has_genre triples): loss " << losses.front() << " -> "
                     << losses.back() << "; filtered hits@10 " << before.hits_at_10 << " -> "
                     << after.hits_at_10 << " (chance " << uniform_chance << " over all entities, "
                     << type_aware_chance << " over genres only), MRR "
                     << before.mean_reciprocal_rank << " -> " << after.mean_reciprocal_rank
                     << ", mean rank " << before.mean_rank << " -> " << after.mean_rank);
  BOOST_TEST(losses.back() < 0.5 * losses.front());
  BOOST_TEST(after.hits_at_10 > 10 * uniform_chance);
  BOOST_TEST(after.hits_at_10 > type_aware_chance);
}

BOOST_AUTO_TEST_SUITE_END()
