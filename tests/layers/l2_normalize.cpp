#include <adaptrec/layers/l2_normalize.hpp>

#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>

using namespace adaptrec;

BOOST_AUTO_TEST_SUITE(layers_l2_normalize)

static_assert(Module<layers::L2Normalize<float>>);

BOOST_AUTO_TEST_CASE(rows_have_unit_norm) {
  layers::L2Normalize<double> norm;
  Tensor<double> x(Shape{2, 2}, {3, 4, 0, 0});
  Tensor<double> y = norm.forward(x);
  BOOST_TEST(y(0, 0) == 0.6, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(y(0, 1) == 0.8, boost::test_tools::tolerance(1e-15));
  // A zero row stays zero instead of becoming NaN.
  BOOST_TEST(y(1, 0) == 0.0);
  BOOST_TEST(y(1, 1) == 0.0);
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(11);
  layers::L2Normalize<double> norm;
  Tensor<double> x(Shape{4, 6});
  fill_uniform(x, -1.0, 1.0, rng);
  adaptrec_test::check_module_gradients(norm, x, rng);
}

BOOST_AUTO_TEST_SUITE_END()
