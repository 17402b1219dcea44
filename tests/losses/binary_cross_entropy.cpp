#include <adaptrec/losses/binary_cross_entropy.hpp>

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

namespace {

// -t log p - (1 - t) log (1 - p), written the textbook way; fine for moderate logits.
double reference_bce(double x, double t) {
  const double p = 1.0 / (1.0 + std::exp(-x));
  return -t * std::log(p) - (1.0 - t) * std::log(1.0 - p);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(losses_binary_cross_entropy)

BOOST_AUTO_TEST_CASE(logit_zero_costs_log_two_whatever_the_target) {
  losses::BinaryCrossEntropyWithLogits<double> bce;
  Tensor<double> logits(Shape{3}, {0, 0, 0});
  Tensor<double> targets(Shape{3}, {0, 1, 0.3});
  BOOST_TEST(bce.forward(logits, targets) == std::log(2.0), boost::test_tools::tolerance(1e-15));
  // d/dx at x = 0 is (1/2 - t) / n.
  Tensor<double> g = bce.backward();
  BOOST_TEST(g[0] == 0.5 / 3, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(g[1] == -0.5 / 3, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(g[2] == 0.2 / 3, boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(mean_matches_reference) {
  losses::BinaryCrossEntropyWithLogits<double> bce;
  Tensor<double> logits(Shape{2, 3}, {-2.5, -0.3, 0.0, 0.7, 1.9, 4.0});
  Tensor<double> targets(Shape{6}, {0, 1, 0.25, 1, 0, 0.9});
  double expected = 0;
  for (index_t i = 0; i < 6; ++i) expected += reference_bce(logits[i], targets[i]);
  expected /= 6;
  BOOST_TEST(bce.forward(logits, targets) == expected, boost::test_tools::tolerance(1e-13));
  BOOST_TEST((bce.backward().shape() == logits.shape()));
}

BOOST_AUTO_TEST_CASE(weighted_mean_matches_reference) {
  losses::BinaryCrossEntropyWithLogits<double> bce;
  Tensor<double> logits(Shape{2, 2}, {-1.0, 0.5, 2.0, -0.2});
  Tensor<double> targets(Shape{2, 2}, {0, 1, 1, 1});
  Tensor<double> per_element(Shape{4}, {1.0, 3.0, 0.5, 0.0});
  double num = 0, den = 0;
  for (index_t i = 0; i < 4; ++i) {
    num += per_element[i] * reference_bce(logits[i], targets[i]);
    den += per_element[i];
  }
  BOOST_TEST(bce.forward(logits, targets, per_element) == num / den,
             boost::test_tools::tolerance(1e-13));

  // One weight per row, shared by the row's two labels.
  Tensor<double> per_row(Shape{2}, {2.0, 0.5});
  num = den = 0;
  for (index_t i = 0; i < 4; ++i) {
    num += per_row[i / 2] * reference_bce(logits[i], targets[i]);
    den += per_row[i / 2];
  }
  BOOST_TEST(bce.forward(logits, targets, per_row) == num / den,
             boost::test_tools::tolerance(1e-13));
}

BOOST_AUTO_TEST_CASE(unit_weights_equal_the_plain_mean) {
  losses::BinaryCrossEntropyWithLogits<double> bce;
  Tensor<double> logits(Shape{4}, {-1.0, 0.5, 2.0, -0.2});
  Tensor<double> targets(Shape{4}, {0, 1, 1, 0.5});
  const double plain = bce.forward(logits, targets);
  const double weighted = bce.forward(logits, targets, Tensor<double>::full(Shape{4}, 1.0));
  BOOST_TEST(plain == weighted, boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(21);
  losses::BinaryCrossEntropyWithLogits<double> bce;
  Tensor<double> logits(Shape{3, 4});
  Tensor<double> targets(Shape{3, 4});
  fill_uniform(logits, -3.0, 3.0, rng);
  fill_uniform(targets, 0.0, 1.0, rng);

  bce.forward(logits, targets);
  compare(bce.backward(), numeric_gradient(logits, [&] { return bce.forward(logits, targets); }),
          "d logits");

  Tensor<double> weights(Shape{12});
  fill_uniform(weights, 0.1, 2.0, rng);
  bce.forward(logits, targets, weights);
  compare(bce.backward(),
          numeric_gradient(logits, [&] { return bce.forward(logits, targets, weights); }),
          "d logits, per-element weights");

  Tensor<double> row_weights(Shape{3}, {0.5, 1.5, 3.0});
  bce.forward(logits, targets, row_weights);
  compare(bce.backward(),
          numeric_gradient(logits, [&] { return bce.forward(logits, targets, row_weights); }),
          "d logits, per-row weights");
}

BOOST_AUTO_TEST_CASE(extreme_logits_stay_finite) {
  losses::BinaryCrossEntropyWithLogits<float> bce;
  Tensor<float> logits(Shape{4}, {1e4f, -1e4f, 1e4f, -1e4f});
  Tensor<float> targets(Shape{4}, {1, 0, 0, 1});
  const float loss = bce.forward(logits, targets);
  BOOST_TEST(std::isfinite(loss));
  // Two confident right answers cost 0, two confident wrong ones 1e4 each.
  BOOST_TEST(loss == 5e3f, boost::test_tools::tolerance(1e-6f));
  Tensor<float> g = bce.backward();
  const float expected[] = {0.0f, 0.0f, 0.25f, -0.25f};
  for (index_t i = 0; i < 4; ++i) {
    BOOST_TEST(std::isfinite(g[i]));
    BOOST_TEST(g[i] == expected[i], boost::test_tools::tolerance(1e-6f));
  }
}

BOOST_AUTO_TEST_CASE(bad_inputs_throw_naming_what_is_wrong) {
  losses::BinaryCrossEntropyWithLogits<double> bce;
  Tensor<double> logits(Shape{2, 3});
  require_throw_naming<shape_error>([&] { bce.forward(logits, Tensor<double>(Shape{5})); },
                                    {"[2, 3]", "[5]"});
  require_throw_naming<shape_error>(
      [&] { bce.forward(logits, Tensor<double>(Shape{2, 3}), Tensor<double>(Shape{4})); },
      {"[4]", "[2, 3]"});
  Tensor<double> nan_logits(Shape{2}, {0.0, std::numeric_limits<double>::quiet_NaN()});
  require_throw_naming<invalid_argument>(
      [&] { bce.forward(nan_logits, Tensor<double>(Shape{2})); }, {"logits", "position 1"});
  require_throw_naming<invalid_argument>(
      [&] { bce.forward(Tensor<double>(Shape{2}), Tensor<double>(Shape{2}, {0.5, 1.5})); },
      {"targets", "position 1"});
  require_throw_naming<invalid_argument>(
      [&] {
        bce.forward(Tensor<double>(Shape{2}), Tensor<double>(Shape{2}),
                    Tensor<double>(Shape{2}, {1.0, -1.0}));
      },
      {"weights", "position 1"});
  require_throw_naming<invalid_argument>(
      [&] {
        bce.forward(Tensor<double>(Shape{2}), Tensor<double>(Shape{2}), Tensor<double>(Shape{2}));
      },
      {"sum to zero"});
  require_throw_naming<invalid_argument>(
      [&] { bce.forward(Tensor<double>(Shape{0}), Tensor<double>(Shape{0})); }, {"empty"});
}

BOOST_AUTO_TEST_SUITE_END()
