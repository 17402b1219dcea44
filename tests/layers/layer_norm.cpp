#include <adaptrec/layers/layer_norm.hpp>

#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>

using namespace adaptrec;

static_assert(Module<layers::LayerNorm<double>>);
static_assert(Module<layers::LayerNorm<float>>);

BOOST_AUTO_TEST_SUITE(layers_layer_norm)

BOOST_AUTO_TEST_CASE(starts_as_plain_standardisation) {
  layers::LayerNorm<double> norm(4);
  for (double g : norm.weight().value) BOOST_TEST(g == 1.0);
  for (double b : norm.bias().value) BOOST_TEST(b == 0.0);
  Tensor<double> y = norm.forward(Tensor<double>(Shape{1, 4}, {1, 2, 3, 4}));
  // mean 2.5, biased variance 1.25
  const double rstd = 1.0 / std::sqrt(1.25 + 1e-5);
  BOOST_TEST(y[0] == -1.5 * rstd, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(y[3] == 1.5 * rstd, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(forward_matches_a_plain_loop) {
  Rng rng(1);
  const index_t dim = 5;
  layers::LayerNorm<double> norm(dim, 1e-3);
  fill_uniform(norm.weight().value, 0.5, 1.5, rng);
  fill_uniform(norm.bias().value, -0.5, 0.5, rng);
  Tensor<double> x(Shape{2, 3, dim});
  fill_uniform(x, -2.0, 3.0, rng);
  Tensor<double> y = norm.forward(x);
  BOOST_REQUIRE(y.shape() == x.shape());
  for (index_t r = 0; r < 6; ++r) {
    double mean = 0, var = 0;
    for (index_t c = 0; c < dim; ++c) mean += x[r * dim + c];
    mean /= dim;
    for (index_t c = 0; c < dim; ++c) var += (x[r * dim + c] - mean) * (x[r * dim + c] - mean);
    var /= dim;
    for (index_t c = 0; c < dim; ++c) {
      const double expected = (x[r * dim + c] - mean) / std::sqrt(var + 1e-3) *
                                  norm.weight().value[c] + norm.bias().value[c];
      BOOST_TEST(y[r * dim + c] == expected, boost::test_tools::tolerance(1e-12));
    }
  }
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(2);
  layers::LayerNorm<double> norm(6);
  fill_uniform(norm.weight().value, 0.5, 1.5, rng);
  fill_uniform(norm.bias().value, -0.5, 0.5, rng);
  Tensor<double> x(Shape{2, 3, 6});
  fill_uniform(x, -1.0, 1.0, rng);
  adaptrec_test::check_module_gradients(norm, x, rng);
}

BOOST_AUTO_TEST_CASE(frozen_weight_keeps_its_gradient) {
  Rng rng(3);
  layers::LayerNorm<double> norm(3);
  norm.weight().trainable = false;
  Tensor<double> x(Shape{4, 3});
  fill_uniform(x, -1.0, 1.0, rng);
  norm.forward(x);
  norm.backward(Tensor<double>::full(Shape{4, 3}, 1.0));
  for (double g : norm.weight().grad) BOOST_TEST(g == 0.0);
  for (double g : norm.bias().grad) BOOST_TEST(g == 4.0);
}

BOOST_AUTO_TEST_CASE(parameter_names) {
  layers::LayerNorm<double> norm(3);
  auto params = collect_parameters(norm, "ln");
  BOOST_REQUIRE_EQUAL(params.size(), 2u);
  BOOST_TEST(params[0].name == "ln.weight");
  BOOST_TEST(params[1].name == "ln.bias");
}

BOOST_AUTO_TEST_CASE(wrong_shapes_name_the_shape) {
  layers::LayerNorm<float> norm(4);
  try {
    norm.forward(Tensor<float>(Shape{2, 5}));
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(std::string(e.what()).find("[2, 5]") != std::string::npos);
  }
  norm.forward(Tensor<float>(Shape{2, 4}));
  try {
    norm.backward(Tensor<float>(Shape{3, 4}));
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(std::string(e.what()).find("[3, 4]") != std::string::npos);
  }
  BOOST_CHECK_THROW(layers::LayerNorm<float>(0), invalid_argument);
  BOOST_CHECK_THROW(layers::LayerNorm<float>(4, -1.0f), invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
