#include <adaptrec/layers/linear.hpp>

#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

using namespace adaptrec;

BOOST_AUTO_TEST_SUITE(layers_linear)

BOOST_AUTO_TEST_CASE(forward_matches_definition) {
  Rng rng(1);
  layers::Linear<double> lin(3, 2, rng);
  Tensor<double> x(Shape{2, 3}, {1, 2, 3, -1, 0.5, 4});
  Tensor<double> y = lin.forward(x);
  BOOST_REQUIRE(y.shape() == (Shape{2, 2}));
  for (index_t i = 0; i < 2; ++i)
    for (index_t o = 0; o < 2; ++o) {
      double expected = lin.bias().value[o];
      for (index_t k = 0; k < 3; ++k) expected += x(i, k) * lin.weight().value(o, k);
      BOOST_TEST(y(i, o) == expected, boost::test_tools::tolerance(1e-12));
    }
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(2);
  layers::Linear<double> lin(5, 4, rng);
  Tensor<double> x(Shape{3, 2, 5});
  fill_uniform(x, -1.0, 1.0, rng);
  adaptrec_test::check_module_gradients(lin, x, rng);
}

BOOST_AUTO_TEST_CASE(without_bias_and_frozen_weight) {
  Rng rng(3);
  layers::Linear<double> lin(4, 3, rng, /*with_bias=*/false);
  int visited = 0;
  lin.visit_parameters([&](const std::string& name, Parameter<double>&) {
    BOOST_TEST(name == "proj.weight");
    ++visited;
  }, "proj");
  BOOST_TEST(visited == 1);
  lin.weight().trainable = false;
  Tensor<double> x(Shape{2, 4});
  fill_uniform(x, -1.0, 1.0, rng);
  lin.forward(x);
  Tensor<double> dy = Tensor<double>::full(Shape{2, 3}, 1.0);
  lin.backward(dy);
  for (double g : lin.weight().grad) BOOST_TEST(g == 0.0);
}

BOOST_AUTO_TEST_CASE(wrong_input_width_names_the_shape) {
  Rng rng(4);
  layers::Linear<float> lin(4, 3, rng);
  Tensor<float> x(Shape{2, 5});
  try {
    lin.forward(x);
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(std::string(e.what()).find("[2, 5]") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
