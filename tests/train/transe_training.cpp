#include <adaptrec/train/transe_training.hpp>

#include <support/expect_throw.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;
using data::KnowledgeGraph;
using data::Triple;

namespace {

// Entities 0..n-1 on a ring: i -next-> i+1 and i+1 -previous-> i (mod n).
KnowledgeGraph ring(int n) {
  KnowledgeGraph g;
  for (int i = 0; i < n; ++i) g.add_entity("e" + std::to_string(i));
  for (int i = 0; i < n; ++i) {
    const std::string a = "e" + std::to_string(i), b = "e" + std::to_string((i + 1) % n);
    g.add_triple(a, "next", b);
    g.add_triple(b, "previous", a);
  }
  return g;
}

// `categories` hubs with `size` items each: item -in_category-> its hub, and
// item -similar_to-> the next two items of its category. A held-out
// in_category link follows from the item's similar_to neighbours.
KnowledgeGraph categories(int count, int size) {
  KnowledgeGraph g;
  for (int c = 0; c < count; ++c)
    for (int i = 0; i < size; ++i) {
      const auto item = [&](int k) { return "item" + std::to_string(c * size + (k % size)); };
      g.add_triple(item(i), "in_category", "category" + std::to_string(c));
      g.add_triple(item(i), "similar_to", item(i + 1));
      g.add_triple(item(i), "similar_to", item(i + 2));
    }
  return g;
}

train::TransETrainOptions options_for(train::TransEOptimizer optimizer, int epochs) {
  train::TransETrainOptions options;
  options.epochs = epochs;
  options.batch_size = 16;
  options.negatives_per_positive = 4;
  options.optimizer = optimizer;
  options.learning_rate = optimizer == train::TransEOptimizer::sgd ? 0.5 : 0.05;
  return options;
}

const char* name_of(train::TransEOptimizer optimizer) {
  return optimizer == train::TransEOptimizer::sgd ? "sgd" : "adagrad";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(train_transe_training)

BOOST_AUTO_TEST_CASE(ring_is_learnt) {
  const KnowledgeGraph graph = ring(40);
  for (const auto optimizer : {train::TransEOptimizer::adagrad, train::TransEOptimizer::sgd}) {
    Rng rng(7);
    encoders::TransE<float> model(graph.num_entities(), graph.num_relations(), {.dim = 32}, rng);
    const auto before = train::evaluate_link_prediction(model, graph, graph.triples());
    const std::vector<double> losses =
        train::train_transe(model, graph, options_for(optimizer, 200));
    BOOST_REQUIRE(losses.size() == 200u);
    const auto after = train::evaluate_link_prediction(model, graph, graph.triples());
    BOOST_TEST_MESSAGE("ring, " << name_of(optimizer) << ": loss " << losses.front() << " -> "
                                << losses.back() << "; hits@10 " << before.hits_at_10 << " -> "
                                << after.hits_at_10 << ", MRR " << before.mean_reciprocal_rank
                                << " -> " << after.mean_reciprocal_rank);
    BOOST_TEST(losses.back() < 0.2 * losses.front(), name_of(optimizer));
    BOOST_TEST(after.hits_at_10 >= 0.95, name_of(optimizer));
    BOOST_TEST(after.mean_reciprocal_rank >= 0.6, name_of(optimizer));
    // Entities stay on the unit sphere (Algorithm 1).
    const Tensor<float>& e = model.entity_embeddings().value;
    for (index_t row = 0; row < e.rows(); ++row) {
      float sq = 0;
      for (index_t c = 0; c < e.cols(); ++c) sq += e(row, c) * e(row, c);
      BOOST_TEST(sq == 1.0f, boost::test_tools::tolerance(1e-4f));
    }
  }
}

BOOST_AUTO_TEST_CASE(held_out_category_links_are_predicted) {
  const KnowledgeGraph graph = categories(5, 12);
  Rng split_rng(5);
  const data::KnowledgeGraphSplit split =
      data::split_triples(graph, 0.25, split_rng, graph.relations().id("in_category"));
  for (const auto optimizer : {train::TransEOptimizer::adagrad, train::TransEOptimizer::sgd}) {
    Rng rng(7);
    encoders::TransE<float> model(graph.num_entities(), graph.num_relations(), {.dim = 16}, rng);
    const auto before = train::evaluate_link_prediction(model, graph, split.test);
    const std::vector<double> losses =
        train::train_transe(model, split.train, options_for(optimizer, 100));
    const auto after = train::evaluate_link_prediction(model, graph, split.test);
    // A uniform guess among the 65 entities hits the top 10 with probability 10/65.
    BOOST_TEST_MESSAGE("categories, "
                       << name_of(optimizer) << ": loss " << losses.front() << " -> "
                       << losses.back() << "; held-out hits@10 " << before.hits_at_10 << " -> "
                       << after.hits_at_10 << ", MRR " << before.mean_reciprocal_rank << " -> "
                       << after.mean_reciprocal_rank << ", mean rank " << after.mean_rank);
    BOOST_TEST(after.count == split.test.size());
    BOOST_TEST(losses.back() < 0.2 * losses.front(), name_of(optimizer));
    BOOST_TEST(after.hits_at_10 >= 0.9, name_of(optimizer));
    BOOST_TEST(after.mean_reciprocal_rank >= 0.5, name_of(optimizer));
  }
}

BOOST_AUTO_TEST_CASE(training_is_deterministic_for_a_seed) {
  const KnowledgeGraph graph = ring(12);
  auto run = [&] {
    Rng rng(3);
    encoders::TransE<double> model(12, 2, {.dim = 8}, rng);
    train::TransETrainOptions options;
    options.epochs = 3;
    options.batch_size = 5;
    return train::train_transe(model, graph, options);
  };
  BOOST_TEST(run() == run(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(filtered_corruption_never_draws_a_true_triple) {
  // Entity 0 is linked to all but entity 3 by `r`, so almost every tail
  // corruption of (0, r, *) is true; only (0, r, 3) and head corruptions remain.
  KnowledgeGraph graph;
  for (int i = 0; i < 6; ++i) graph.add_entity("e" + std::to_string(i));
  const index_t r = graph.add_relation("r");
  for (index_t t : {0, 1, 2, 4, 5}) graph.add_triple({0, r, t});
  const train::detail::TripleCorrupter corrupter(graph, true);
  Rng rng(9);
  for (int i = 0; i < 2000; ++i) {
    const Triple c = corrupter.corrupt({0, r, 1}, rng);
    BOOST_TEST(!graph.contains(c));
    BOOST_TEST((c.head == 0 || c.tail == 1));
  }
  // A relation that holds between every pair leaves nothing to draw.
  KnowledgeGraph full;
  for (int h = 0; h < 3; ++h)
    for (int t = 0; t < 3; ++t)
      full.add_triple("e" + std::to_string(h), "r", "e" + std::to_string(t));
  const train::detail::TripleCorrupter none(full, true);
  require_throw_naming<invalid_argument>([&] { none.corrupt({0, 0, 1}, rng); }, {"(0, 0, 1)"});
}

BOOST_AUTO_TEST_CASE(ranks_follow_the_filtered_protocol_with_ties_counting_half) {
  // One dimension, r = 0 and entity i at i (entity 5 at 1, tying entity 1):
  // the tail scores of (0, r, ?) are -|i|, so entity 0 ranks first, then 1 and 5.
  KnowledgeGraph graph;
  for (int i = 0; i < 8; ++i) graph.add_entity("e" + std::to_string(i));
  graph.add_triple("e0", "r", "e0");
  Rng rng(4);
  encoders::TransE<double> model(8, 1, {.dim = 1}, rng);
  for (index_t i = 0; i < 8; ++i) model.entity_embeddings().value[i] = double(i);
  model.entity_embeddings().value[5] = 1.0;
  model.relation_embeddings().value[0] = 0.0;
  const std::vector<Triple> test{{0, 0, 1}, {0, 0, 2}, {0, 0, 3}};

  // Raw: 1 beats nobody but 0 and ties with 5 -> 2.5; 2 -> 1 + {0, 1, 5} = 4; 3 -> 5.
  const auto raw = train::evaluate_link_prediction(model, graph, test, false);
  BOOST_TEST(raw.mean_rank == (2.5 + 4 + 5) / 3, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(raw.mean_reciprocal_rank == (1 / 2.5 + 1 / 4.0 + 1 / 5.0) / 3,
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(raw.hits_at_1 == 0.0);
  BOOST_TEST(raw.hits_at_3 == 1.0 / 3, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(raw.hits_at_10 == 1.0);
  // Filtered: (0, r, 0) is in the graph and the other test tails are true too,
  // so only entity 5 is left above or level: 1 -> 1.5, 2 -> 2, 3 -> 2.
  const auto filtered = train::evaluate_link_prediction(model, graph, test, true);
  BOOST_TEST(filtered.mean_rank == (1.5 + 2 + 2) / 3, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(filtered.hits_at_1 == 0.0);
  BOOST_TEST(filtered.hits_at_3 == 1.0);
  BOOST_TEST(filtered.count == 3u);
}

BOOST_AUTO_TEST_CASE(bad_options_and_mismatched_graphs_are_named) {
  const KnowledgeGraph graph = ring(5);
  Rng rng(1);
  encoders::TransE<float> model(5, 2, {.dim = 4}, rng);
  train::TransETrainOptions options;
  options.negatives_per_positive = 0;
  require_throw_naming<invalid_argument>([&] { train::train_transe(model, graph, options); },
                                         {"negatives_per_positive"});
  options = {};
  options.learning_rate = 0;
  require_throw_naming<invalid_argument>([&] { train::train_transe(model, graph, options); },
                                         {"learning_rate"});
  encoders::TransE<float> small(4, 2, {.dim = 4}, rng);
  require_throw_naming<invalid_argument>([&] { train::train_transe(small, graph, {}); },
                                         {"5 entities", "4 and 2"});
  const std::vector<Triple> bad{{0, 0, 7}};
  require_throw_naming<index_error>([&] { train::evaluate_link_prediction(model, graph, bad); },
                                    {"(0, 0, 7)"});
}

BOOST_AUTO_TEST_SUITE_END()
