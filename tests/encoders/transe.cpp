#include <adaptrec/encoders/concept.hpp>
#include <adaptrec/encoders/transe.hpp>

#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace adaptrec;
using adaptrec_test::compare;
using adaptrec_test::numeric_gradient;
using adaptrec_test::require_throw_naming;
using encoders::TransE;
using encoders::TransENorm;

static_assert(encoders::check_encoder<TransE<float>>());

namespace {

double reference_score(TransE<double>& model, index_t h, index_t r, index_t t) {
  const Tensor<double>& e = model.entity_embeddings().value;
  const Tensor<double>& rel = model.relation_embeddings().value;
  double l1 = 0, l2 = 0;
  for (index_t c = 0; c < model.dim(); ++c) {
    const double x = e(h, c) + rel(r, c) - e(t, c);
    l1 += std::abs(x);
    l2 += x * x;
  }
  return model.norm() == TransENorm::l1 ? -l1 : -std::sqrt(l2);
}

double row_norm(const Tensor<double>& table, index_t row) {
  double s = 0;
  for (index_t c = 0; c < table.cols(); ++c) s += table(row, c) * table(row, c);
  return std::sqrt(s);
}

// Repeats entities across positions and sides, so the scatter of the
// gradients into shared rows is exercised.
const Tensor<index_t> triples(Shape{5, 3}, {0, 0, 1, 1, 1, 2, 2, 0, 0, 3, 1, 1, 0, 1, 3});

}  // namespace

BOOST_AUTO_TEST_SUITE(encoders_transe)

BOOST_AUTO_TEST_CASE(initialisation_follows_algorithm_one) {
  Rng rng(1);
  TransE<double> model(7, 3, {.dim = 16, .norm = TransENorm::l1}, rng);
  for (index_t e = 0; e < 7; ++e)
    BOOST_TEST(row_norm(model.entity_embeddings().value, e) == 1.0,
               boost::test_tools::tolerance(1e-12));
  for (index_t r = 0; r < 3; ++r)
    BOOST_TEST(row_norm(model.relation_embeddings().value, r) == 1.0,
               boost::test_tools::tolerance(1e-12));
  std::vector<std::string> names;
  model.visit_parameters(
      [&](const std::string& name, Parameter<double>& p) {
        names.push_back(name);
        BOOST_TEST(p.sparse);
      },
      "kg");
  BOOST_TEST(names == (std::vector<std::string>{"kg.entity_embeddings.weight",
                                                "kg.relation_embeddings.weight"}),
             boost::test_tools::per_element());
  BOOST_TEST(model.output_dim() == 16);
}

BOOST_AUTO_TEST_CASE(scores_match_the_definition_for_both_norms) {
  for (const TransENorm norm : {TransENorm::l1, TransENorm::l2}) {
    Rng rng(2);
    TransE<double> model(4, 2, {.dim = 6, .norm = norm}, rng);
    const Tensor<double> scores = model.score(triples);
    BOOST_REQUIRE(scores.shape() == (Shape{5}));
    for (index_t i = 0; i < 5; ++i)
      BOOST_TEST(scores[i] == reference_score(model, triples(i, 0), triples(i, 1), triples(i, 2)),
                 boost::test_tools::tolerance(1e-12));
    // score_tails ranks every entity as the tail of (3, 1, ?).
    const Tensor<double> tails = model.score_tails(3, 1);
    BOOST_REQUIRE(tails.shape() == (Shape{4}));
    for (index_t e = 0; e < 4; ++e)
      BOOST_TEST(tails[e] == reference_score(model, 3, 1, e), boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(score_gradients_match_finite_differences) {
  for (const TransENorm norm : {TransENorm::l1, TransENorm::l2}) {
    Rng rng(3);
    TransE<double> model(4, 2, {.dim = 5, .norm = norm}, rng);
    Tensor<double> r(Shape{5});
    fill_uniform(r, -1.0, 1.0, rng);
    auto loss = [&] { return adaptrec_test::inner(model.score(triples), r); };
    zero_grad(model);
    model.score(triples);
    model.score_backward(r);
    const std::string which = norm == TransENorm::l1 ? "l1 " : "l2 ";
    const Tensor<double> d_entities = model.entity_embeddings().grad;
    const Tensor<double> d_relations = model.relation_embeddings().grad;
    compare(d_entities, numeric_gradient(model.entity_embeddings().value, loss),
            which + "entity_embeddings");
    compare(d_relations, numeric_gradient(model.relation_embeddings().value, loss),
            which + "relation_embeddings");
    BOOST_TEST(model.entity_embeddings().touched_rows == (std::vector<index_t>{0, 1, 2, 3}),
               boost::test_tools::per_element());
    BOOST_TEST(model.relation_embeddings().touched_rows == (std::vector<index_t>{0, 1}),
               boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(encoder_forward_gathers_entity_rows_and_its_gradient_checks) {
  Rng rng(4);
  TransE<double> model(6, 2, {.dim = 4}, rng);
  const Tensor<index_t> ids(Shape{2, 3}, {5, 0, 5, 2, 2, 1});
  const Tensor<double> y = model.forward(ids);
  BOOST_REQUIRE(y.shape() == (Shape{2, 3, 4}));
  for (index_t i = 0; i < 6; ++i)
    for (index_t c = 0; c < 4; ++c)
      BOOST_TEST(y[i * 4 + c] == model.entity_embeddings().value(ids[i], c));
  adaptrec_test::check_module_gradients(model, ids, rng);
  BOOST_TEST(model.entity_embeddings().touched_rows == (std::vector<index_t>{0, 1, 2, 5}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(normalising_touched_entities_leaves_the_others) {
  Rng rng(5);
  TransE<double> model(5, 1, {.dim = 3}, rng);
  Tensor<double>& e = model.entity_embeddings().value;
  for (double& v : e) v *= 3;
  model.score(Tensor<index_t>(Shape{1, 3}, {1, 0, 3}));
  model.score_backward(Tensor<double>(Shape{1}, {1.0}));
  model.normalize_touched_entities();
  for (index_t row = 0; row < 5; ++row)
    BOOST_TEST(row_norm(e, row) == (row == 1 || row == 3 ? 1.0 : 3.0),
               boost::test_tools::tolerance(1e-12));
  zero_grad(model);
  BOOST_TEST(model.entity_embeddings().touched_rows.empty());
  for (double g : model.entity_embeddings().grad) BOOST_TEST(g == 0.0);
  model.normalize_entities();
  for (index_t row = 0; row < 5; ++row)
    BOOST_TEST(row_norm(e, row) == 1.0, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(frozen_tables_get_no_gradient) {
  Rng rng(6);
  TransE<double> model(4, 2, {.dim = 3}, rng);
  set_trainable(model, false);
  model.score(triples);
  model.score_backward(Tensor<double>::full(Shape{5}, 1.0));
  for (double g : model.entity_embeddings().grad) BOOST_TEST(g == 0.0);
  for (double g : model.relation_embeddings().grad) BOOST_TEST(g == 0.0);
  BOOST_TEST(model.entity_embeddings().touched_rows.empty());
}

BOOST_AUTO_TEST_CASE(bad_input_names_the_triple_shape_or_id) {
  Rng rng(7);
  require_throw_naming<invalid_argument>([&] { TransE<float>(0, 2, {.dim = 3}, rng); },
                                         {"num_entities=0"});
  require_throw_naming<invalid_argument>(
      [&] { TransE<float>(3, 2, {.dim = 3, .norm = static_cast<TransENorm>(3)}, rng); }, {"p=3"});
  TransE<float> model(4, 2, {.dim = 3}, rng);
  require_throw_naming<shape_error>(
      [&] {
        model.score(Tensor<index_t>(Shape{2, 2}));
      },
      {"[2, 2]", "[n, 3]"});
  require_throw_naming<index_error>(
      [&] {
        model.score(Tensor<index_t>(Shape{2, 3}, {0, 0, 1, 0, 2, 1}));
      },
      {"triple 1", "(0, 2, 1)"});
  require_throw_naming<index_error>(
      [&] {
        model.score(Tensor<index_t>(Shape{1, 3}, {0, 0, -1}));
      },
      {"triple 0", "-1"});
  model.score(Tensor<index_t>(Shape{2, 3}, {0, 0, 1, 1, 1, 2}));
  require_throw_naming<shape_error>([&] { model.score_backward(Tensor<float>(Shape{3})); },
                                    {"[3]", "[2]"});
  require_throw_naming<index_error>(
      [&] {
        model.forward(Tensor<index_t>(Shape{2}, {1, 4}));
      },
      {"id 4", "position 1"});
  require_throw_naming<index_error>([&] { model.score_tails(0, 2); }, {"relation 2"});
  model.forward(Tensor<index_t>(Shape{2}, {1, 2}));
  require_throw_naming<shape_error>(
      [&] {
        model.backward(Tensor<float>(Shape{2, 4}));
      },
      {"[2, 4]", "[2, 3]"});
}

BOOST_AUTO_TEST_SUITE_END()
