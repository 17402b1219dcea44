#include <adaptrec/layers/embedding_bag.hpp>

#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

#include <limits>
#include <string>
#include <vector>

using namespace adaptrec;
using adaptrec_test::contains;

static_assert(Module<layers::EmbeddingBag<double>>);
static_assert(Module<layers::EmbeddingBag<float>>);

namespace {

// Plain-loop reference: per bag, the (weighted) sum or mean of its rows.
Tensor<double> reference(const Tensor<double>& table,
                         const std::vector<std::vector<index_t>>& lists, bool mean,
                         const std::vector<std::vector<double>>& weights = {}) {
  const index_t dim = table.dim(1);
  Tensor<double> out(Shape{static_cast<index_t>(lists.size()), dim});
  for (std::size_t b = 0; b < lists.size(); ++b) {
    for (std::size_t k = 0; k < lists[b].size(); ++k) {
      const double w = weights.empty() ? 1.0 : weights[b][k];
      for (index_t c = 0; c < dim; ++c)
        out(static_cast<index_t>(b), c) += w * table(lists[b][k], c);
    }
    if (mean && !lists[b].empty())
      for (index_t c = 0; c < dim; ++c)
        out(static_cast<index_t>(b), c) /= static_cast<double>(lists[b].size());
  }
  return out;
}

void require_close(const Tensor<double>& a, const Tensor<double>& b) {
  BOOST_REQUIRE(a.shape() == b.shape());
  for (index_t i = 0; i < a.size(); ++i) BOOST_TEST(a[i] == b[i], boost::test_tools::tolerance(1e-12));
}

const std::vector<std::vector<index_t>> lists = {{2, 0, 2}, {}, {5}, {1, 3, 4, 0}};

}  // namespace

BOOST_AUTO_TEST_SUITE(layers_embedding_bag)

BOOST_AUTO_TEST_CASE(make_bags_uses_the_flat_layout) {
  layers::Bags bags = layers::make_bags(lists);
  BOOST_TEST(bags.ids.to_vector() == (std::vector<index_t>{2, 0, 2, 5, 1, 3, 4, 0}),
             boost::test_tools::per_element());
  BOOST_TEST(bags.offsets.to_vector() == (std::vector<index_t>{0, 3, 3, 4}),
             boost::test_tools::per_element());
  BOOST_TEST(bags.num_bags() == 4);
}

BOOST_AUTO_TEST_CASE(sum_and_mean_match_a_plain_loop) {
  Rng rng(1);
  for (auto mode : {layers::BagReduction::sum, layers::BagReduction::mean}) {
    layers::EmbeddingBag<double> bag(6, 3, rng, mode);
    Tensor<double> y = bag.forward(layers::make_bags(lists));
    require_close(y, reference(bag.weight().value, lists, mode == layers::BagReduction::mean));
    for (index_t c = 0; c < 3; ++c) BOOST_TEST(y(1, c) == 0.0);  // the empty bag
  }
}

BOOST_AUTO_TEST_CASE(trailing_empty_bags_and_no_bags) {
  Rng rng(2);
  layers::EmbeddingBag<double> bag(4, 2, rng, layers::BagReduction::sum);
  Tensor<double> y = bag.forward(layers::make_bags({{1, 2}, {}, {}}));
  BOOST_REQUIRE(y.shape() == (Shape{3, 2}));
  BOOST_TEST(y(0, 0) == bag.weight().value(1, 0) + bag.weight().value(2, 0));
  BOOST_TEST(y(2, 1) == 0.0);
  BOOST_TEST((bag.forward(layers::make_bags({})).shape() == (Shape{0, 2})));
}

BOOST_AUTO_TEST_CASE(weight_gradients_match_finite_differences) {
  Rng rng(3);
  for (auto mode : {layers::BagReduction::sum, layers::BagReduction::mean}) {
    layers::EmbeddingBag<double> bag(6, 4, rng, mode);
    adaptrec_test::check_module_gradients(bag, layers::make_bags(lists), rng);
  }
}

BOOST_AUTO_TEST_CASE(per_id_weights_forward_and_gradients) {
  Rng rng(4);
  layers::EmbeddingBag<double> bag(6, 3, rng, layers::BagReduction::sum);
  const layers::Bags bags = layers::make_bags(lists);
  const std::vector<std::vector<double>> weights = {{0.5, -1, 2}, {}, {3}, {1, 0.25, -0.5, 4}};
  Tensor<double> w(Shape{8}, {0.5, -1, 2, 3, 1, 0.25, -0.5, 4});
  require_close(bag.forward(bags, w), reference(bag.weight().value, lists, false, weights));

  Tensor<double> r(Shape{4, 3});
  fill_uniform(r, -1.0, 1.0, rng);
  auto loss = [&] { return adaptrec_test::inner(bag.forward(bags, w), r); };
  bag.forward(bags, w);
  bag.backward(r);
  const Tensor<double> table_grad = bag.weight().grad;
  const Tensor<double> weights_grad = bag.per_id_weights_grad();
  adaptrec_test::compare(table_grad, adaptrec_test::numeric_gradient(bag.weight().value, loss),
                         "weight");
  adaptrec_test::compare(weights_grad, adaptrec_test::numeric_gradient(w, loss),
                         "per-id weights");
}

BOOST_AUTO_TEST_CASE(per_id_weights_need_sum_mode_and_matching_shape) {
  Rng rng(5);
  const layers::Bags bags = layers::make_bags(lists);
  layers::EmbeddingBag<double> mean_bag(6, 3, rng, layers::BagReduction::mean);
  BOOST_CHECK_THROW(mean_bag.forward(bags, Tensor<double>::full(Shape{8}, 1.0)),
                    invalid_argument);
  layers::EmbeddingBag<double> sum_bag(6, 3, rng, layers::BagReduction::sum);
  try {
    sum_bag.forward(bags, Tensor<double>::full(Shape{7}, 1.0));
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(contains(e.what(), "[7]"));
  }
  Tensor<double> nan_weights = Tensor<double>::full(Shape{8}, 1.0);
  nan_weights[5] = std::numeric_limits<double>::quiet_NaN();
  BOOST_CHECK_THROW(sum_bag.forward(bags, nan_weights), invalid_argument);
}

BOOST_AUTO_TEST_CASE(gradient_is_row_sparse_and_zero_grad_clears_only_those_rows) {
  Rng rng(6);
  layers::EmbeddingBag<double> bag(10, 2, rng, layers::BagReduction::mean);
  bag.forward(layers::make_bags({{7, 2}, {}, {2, 2, 9, 7}}));
  bag.backward(Tensor<double>(Shape{3, 2}, {2, 4, 100, 100, 8, 16}));
  Parameter<double>& w = bag.weight();
  BOOST_TEST(w.touched_rows == (std::vector<index_t>{2, 7, 9}), boost::test_tools::per_element());
  // Row 2: half of bag 0 plus two quarters of bag 2.
  BOOST_TEST(w.grad(2, 0) == 2.0 / 2 + 2 * 8.0 / 4, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(w.grad(9, 1) == 16.0 / 4, boost::test_tools::tolerance(1e-12));
  for (index_t r : {0, 1, 3, 4, 5, 6, 8}) BOOST_TEST(w.grad(r, 0) == 0.0);

  w.grad(0, 0) = 42.0;  // sentinel in an untouched row
  zero_grad(bag);
  BOOST_TEST(w.touched_rows.empty());
  for (index_t r : {2, 7, 9}) BOOST_TEST(w.grad(r, 1) == 0.0);
  BOOST_TEST(w.grad(0, 0) == 42.0);
}

BOOST_AUTO_TEST_CASE(malformed_offsets_name_the_offset) {
  Rng rng(7);
  layers::EmbeddingBag<float> bag(6, 3, rng);
  Tensor<index_t> ids(Shape{5}, {0, 1, 2, 3, 4});
  try {
    bag.forward({ids, Tensor<index_t>(Shape{3}, {0, 3, 2})});
    BOOST_FAIL("expected shape_error for decreasing offsets");
  } catch (const shape_error& e) {
    BOOST_TEST(contains(e.what(), "offset 2 of bag 2"));
  }
  try {
    bag.forward({ids, Tensor<index_t>(Shape{2}, {0, 9})});
    BOOST_FAIL("expected index_error for an offset past the ids");
  } catch (const index_error& e) {
    BOOST_TEST(contains(e.what(), "offset 9 of bag 1"));
  }
  try {
    bag.forward({ids, Tensor<index_t>(Shape{2}, {1, 3})});
    BOOST_FAIL("expected index_error for a first offset other than 0");
  } catch (const index_error& e) {
    BOOST_TEST(contains(e.what(), "offset 1 of bag 0"));
  }
  try {
    bag.forward({ids, Tensor<index_t>(Shape{1, 2}, {0, 2})});
    BOOST_FAIL("expected shape_error for rank-2 offsets");
  } catch (const shape_error& e) {
    BOOST_TEST(contains(e.what(), "[1, 2]"));
  }
  BOOST_CHECK_THROW(bag.forward({ids, Tensor<index_t>(Shape{0})}), shape_error);
}

BOOST_AUTO_TEST_CASE(out_of_range_id_names_id_position_and_table_size) {
  Rng rng(8);
  layers::EmbeddingBag<float> bag(6, 3, rng);
  try {
    bag.forward(layers::make_bags({{0, 1}, {2, 6}}));
    BOOST_FAIL("expected index_error");
  } catch (const index_error& e) {
    BOOST_TEST(contains(e.what(), "id 6"));
    BOOST_TEST(contains(e.what(), "position 3"));
    BOOST_TEST(contains(e.what(), "[0, 6)"));
  }
}

BOOST_AUTO_TEST_CASE(wrong_gradient_shape_names_the_shape) {
  Rng rng(9);
  layers::EmbeddingBag<float> bag(6, 3, rng);
  bag.forward(layers::make_bags({{0, 1}, {2}}));
  try {
    bag.backward(Tensor<float>(Shape{3, 3}));
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(contains(e.what(), "[3, 3]"));
  }
}

BOOST_AUTO_TEST_SUITE_END()
