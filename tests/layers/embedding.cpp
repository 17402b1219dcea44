#include <adaptrec/layers/embedding.hpp>

#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace adaptrec;
using adaptrec_test::contains;

static_assert(Module<layers::Embedding<double>>);
static_assert(Module<layers::Embedding<float>>);

BOOST_AUTO_TEST_SUITE(layers_embedding)

BOOST_AUTO_TEST_CASE(forward_copies_the_table_rows) {
  Rng rng(1);
  layers::Embedding<double> emb(6, 3, rng);
  BOOST_TEST(emb.num_embeddings() == 6);
  BOOST_TEST(emb.dim() == 3);
  Tensor<index_t> ids(Shape{2, 3}, {5, 0, 2, 2, 2, 4});
  Tensor<double> y = emb.forward(ids);
  BOOST_REQUIRE(y.shape() == (Shape{2, 3, 3}));
  for (index_t i = 0; i < 2; ++i)
    for (index_t j = 0; j < 3; ++j)
      for (index_t c = 0; c < 3; ++c)
        BOOST_TEST(y(i, j, c) == emb.weight().value(ids(i, j), c));
}

BOOST_AUTO_TEST_CASE(scalar_and_rank_three_ids) {
  Rng rng(2);
  layers::Embedding<double> emb(4, 2, rng);
  Tensor<index_t> one(Shape{}, {3});
  Tensor<double> y = emb.forward(one);
  BOOST_REQUIRE(y.shape() == (Shape{2}));
  BOOST_TEST(y[0] == emb.weight().value(3, 0));
  BOOST_TEST(y[1] == emb.weight().value(3, 1));

  Tensor<index_t> cube(Shape{2, 2, 2}, {0, 1, 2, 3, 3, 2, 1, 0});
  BOOST_TEST((emb.forward(cube).shape() == (Shape{2, 2, 2, 2})));

  Tensor<index_t> none(Shape{0});
  BOOST_TEST((emb.forward(none).shape() == (Shape{0, 2})));
}

BOOST_AUTO_TEST_CASE(initialisation_has_the_requested_spread) {
  Rng rng(3);
  layers::Embedding<double> emb(2000, 16, rng, 0.05);
  double sum = 0, sum_sq = 0;
  for (double v : emb.weight().value) {
    sum += v;
    sum_sq += v * v;
  }
  const double n = static_cast<double>(emb.weight().size());
  const double mean = sum / n;
  BOOST_TEST(std::abs(mean) < 0.002);
  BOOST_TEST(std::sqrt(sum_sq / n - mean * mean) == 0.05, boost::test_tools::tolerance(0.02));
}

BOOST_AUTO_TEST_CASE(weight_gradient_matches_finite_differences) {
  Rng rng(4);
  layers::Embedding<double> emb(7, 4, rng);
  // Repeated ids: their gradients must add up.
  Tensor<index_t> ids(Shape{2, 4}, {1, 6, 1, 3, 3, 0, 1, 6});
  adaptrec_test::check_module_gradients(emb, ids, rng);
}

BOOST_AUTO_TEST_CASE(gradient_is_row_sparse_and_zero_grad_clears_only_those_rows) {
  Rng rng(5);
  layers::Embedding<double> emb(8, 2, rng);
  Parameter<double>& w = emb.weight();
  BOOST_TEST(w.sparse);

  emb.forward(Tensor<index_t>(Shape{4}, {3, 1, 3, 0}));
  Tensor<double> dy(Shape{4, 2}, {1, 2, 10, 20, 100, 200, 1000, 2000});
  emb.backward(dy);
  BOOST_TEST(w.touched_rows == (std::vector<index_t>{0, 1, 3}), boost::test_tools::per_element());
  BOOST_TEST(w.grad(3, 0) == 101.0);
  BOOST_TEST(w.grad(3, 1) == 202.0);
  BOOST_TEST(w.grad(1, 0) == 10.0);
  BOOST_TEST(w.grad(0, 1) == 2000.0);
  for (index_t r : {2, 4, 5, 6, 7})
    for (index_t c = 0; c < 2; ++c) BOOST_TEST(w.grad(r, c) == 0.0);

  // A second batch accumulates and merges its rows into the sorted list.
  emb.forward(Tensor<index_t>(Shape{2}, {6, 1}));
  emb.backward(Tensor<double>(Shape{2, 2}, {5, 5, 1, 1}));
  BOOST_TEST(w.touched_rows == (std::vector<index_t>{0, 1, 3, 6}),
             boost::test_tools::per_element());
  BOOST_TEST(w.grad(1, 0) == 11.0);

  // A sentinel in an untouched row shows that zero_grad visits only the listed rows.
  w.grad(7, 0) = 42.0;
  zero_grad(emb);
  BOOST_TEST(w.touched_rows.empty());
  for (index_t r : {0, 1, 3, 6})
    for (index_t c = 0; c < 2; ++c) BOOST_TEST(w.grad(r, c) == 0.0);
  BOOST_TEST(w.grad(7, 0) == 42.0);
}

BOOST_AUTO_TEST_CASE(frozen_table_gets_no_gradient) {
  Rng rng(6);
  layers::Embedding<double> emb(5, 3, rng);
  emb.weight().trainable = false;
  emb.forward(Tensor<index_t>(Shape{2}, {1, 4}));
  emb.backward(Tensor<double>::full(Shape{2, 3}, 1.0));
  BOOST_TEST(emb.weight().touched_rows.empty());
  for (double g : emb.weight().grad) BOOST_TEST(g == 0.0);
}

BOOST_AUTO_TEST_CASE(out_of_range_id_names_id_position_and_table_size) {
  Rng rng(7);
  layers::Embedding<float> emb(5, 3, rng);
  for (index_t bad : {index_t(7), index_t(-1)}) {
    Tensor<index_t> ids(Shape{2, 2}, {0, 4, bad, 1});
    try {
      emb.forward(ids);
      BOOST_FAIL("expected index_error");
    } catch (const index_error& e) {
      const std::string msg = e.what();
      BOOST_TEST(contains(msg, "Embedding"));
      BOOST_TEST(contains(msg, "id " + std::to_string(bad)));
      BOOST_TEST(contains(msg, "position 2"));
      BOOST_TEST(contains(msg, "[0, 5)"));
    }
  }
}

BOOST_AUTO_TEST_CASE(wrong_shapes_name_the_shape) {
  Rng rng(8);
  layers::Embedding<float> emb(5, 3, rng);
  try {
    emb.forward(Tensor<index_t>(Shape{1, 1, 1, 2}));
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(contains(e.what(), "[1, 1, 1, 2]"));
  }
  emb.forward(Tensor<index_t>(Shape{2}, {0, 1}));
  try {
    emb.backward(Tensor<float>(Shape{2, 4}));
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(contains(e.what(), "[2, 4]"));
    BOOST_TEST(contains(e.what(), "[2, 3]"));
  }
  BOOST_CHECK_THROW(layers::Embedding<float>(0, 3, rng), invalid_argument);
  BOOST_CHECK_THROW(layers::Embedding<float>(5, -1, rng), invalid_argument);
}

BOOST_AUTO_TEST_CASE(parameter_is_named_weight) {
  Rng rng(9);
  layers::Embedding<double> emb(5, 3, rng);
  auto params = collect_parameters(emb, "item_embedding");
  BOOST_REQUIRE_EQUAL(params.size(), 1u);
  BOOST_TEST(params[0].name == "item_embedding.weight");
  BOOST_TEST((params[0].parameter->shape() == (Shape{5, 3})));
}

BOOST_AUTO_TEST_SUITE_END()
