#include <adaptrec/losses/mean_squared_error.hpp>

#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>

using namespace adaptrec;
using adaptrec_test::compare;
using adaptrec_test::numeric_gradient;
using adaptrec_test::require_throw_naming;

BOOST_AUTO_TEST_SUITE(losses_mean_squared_error)

BOOST_AUTO_TEST_CASE(hand_computed_value_and_gradient) {
  losses::MeanSquaredError<double> mse;
  Tensor<double> predictions(Shape{2, 1}, {3.0, 1.0});
  Tensor<double> targets(Shape{2}, {1.0, 1.5});
  // ((2)^2 + (-0.5)^2) / 2
  BOOST_TEST(mse.forward(predictions, targets) == 2.125, boost::test_tools::tolerance(1e-15));
  Tensor<double> g = mse.backward();
  BOOST_TEST((g.shape() == predictions.shape()));
  BOOST_TEST(g[0] == 2.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(g[1] == -0.5, boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(mean_matches_reference) {
  Rng rng(71);
  losses::MeanSquaredError<double> mse;
  Tensor<double> predictions(Shape{3, 4});
  Tensor<double> targets(Shape{3, 4});
  fill_uniform(predictions, -5.0, 5.0, rng);
  fill_uniform(targets, 1.0, 5.0, rng);
  double expected = 0;
  for (index_t i = 0; i < 12; ++i) expected += std::pow(predictions[i] - targets[i], 2);
  BOOST_TEST(mse.forward(predictions, targets) == expected / 12,
             boost::test_tools::tolerance(1e-13));
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(72);
  losses::MeanSquaredError<double> mse;
  Tensor<double> predictions(Shape{7});
  Tensor<double> targets(Shape{7});
  fill_uniform(predictions, -2.0, 2.0, rng);
  fill_uniform(targets, -2.0, 2.0, rng);
  mse.forward(predictions, targets);
  compare(mse.backward(),
          numeric_gradient(predictions, [&] { return mse.forward(predictions, targets); }),
          "d predictions");
}

BOOST_AUTO_TEST_CASE(large_batches_accumulate_in_double) {
  // 10^6 float residuals of 0.1: a float running sum would drift visibly.
  losses::MeanSquaredError<float> mse;
  Tensor<float> predictions = Tensor<float>::full(Shape{1000000}, 0.1f);
  Tensor<float> targets(Shape{1000000});
  BOOST_TEST(mse.forward(predictions, targets) == 0.1f * 0.1f,
             boost::test_tools::tolerance(1e-6f));
}

BOOST_AUTO_TEST_CASE(bad_inputs_throw_naming_what_is_wrong) {
  losses::MeanSquaredError<double> mse;
  require_throw_naming<shape_error>(
      [&] { mse.forward(Tensor<double>(Shape{2, 2}), Tensor<double>(Shape{3})); },
      {"[2, 2]", "[3]"});
  Tensor<double> nan_targets(Shape{2}, {1.0, std::numeric_limits<double>::quiet_NaN()});
  require_throw_naming<invalid_argument>(
      [&] { mse.forward(Tensor<double>(Shape{2}), nan_targets); }, {"targets", "position 1"});
}

BOOST_AUTO_TEST_SUITE_END()
