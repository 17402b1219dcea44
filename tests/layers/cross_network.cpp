#include <adaptrec/layers/cross_network.hpp>

#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

using namespace adaptrec;

BOOST_AUTO_TEST_SUITE(layers_cross_network)

static_assert(Module<layers::CrossNetwork<float>>);

// x1 = x0 ⊙ (W x0 + b) + x0, checked element by element in double.
BOOST_AUTO_TEST_CASE(one_layer_matches_the_formula) {
  Rng rng(21);
  layers::CrossNetwork<double> net(3, 1, rng);
  auto params = collect_parameters(net);
  BOOST_REQUIRE_EQUAL(params.size(), 2u);
  BOOST_TEST(params[0].name == "layers.0.weight");
  BOOST_TEST(params[1].name == "layers.0.bias");
  Tensor<double>& w = params[0].parameter->value;
  Tensor<double>& b = params[1].parameter->value;
  fill_uniform(b, -1.0, 1.0, rng);
  Tensor<double> x(Shape{2, 3}, {0.5, -1, 2, 1, 0, -0.5});
  Tensor<double> y = net.forward(x);
  for (index_t r = 0; r < 2; ++r)
    for (index_t i = 0; i < 3; ++i) {
      double z = b[i];
      for (index_t j = 0; j < 3; ++j) z += w(i, j) * x(r, j);
      BOOST_TEST(y(r, i) == x(r, i) * z + x(r, i), boost::test_tools::tolerance(1e-12));
    }
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(22);
  layers::CrossNetwork<double> net(5, 3, rng);
  for (auto& p : collect_parameters(net)) fill_uniform(p.parameter->value, -0.5, 0.5, rng);
  Tensor<double> x(Shape{4, 5});
  fill_uniform(x, -1.0, 1.0, rng);
  adaptrec_test::check_module_gradients(net, x, rng);
}

BOOST_AUTO_TEST_CASE(zero_layers_is_rejected) {
  Rng rng(23);
  BOOST_CHECK_THROW(layers::CrossNetwork<float>(4, 0, rng), invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
