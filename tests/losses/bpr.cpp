#include <adaptrec/losses/bpr.hpp>

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

double reference_pair_loss(double positive, double negative) {
  return -std::log(1.0 / (1.0 + std::exp(-(positive - negative))));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(losses_bpr)

BOOST_AUTO_TEST_CASE(equal_scores_cost_log_two) {
  losses::Bpr<double> bpr;
  Tensor<double> scores(Shape{3}, {0.5, -1.0, 2.0});
  BOOST_TEST(bpr.forward(scores, scores) == std::log(2.0), boost::test_tools::tolerance(1e-15));
  const losses::PairGrad<double> g = bpr.backward();
  // -sigmoid(0) / 3 for the positives, +sigmoid(0) / 3 for the negatives.
  for (index_t i = 0; i < 3; ++i) {
    BOOST_TEST(g.first[i] == -0.5 / 3, boost::test_tools::tolerance(1e-15));
    BOOST_TEST(g.second[i] == 0.5 / 3, boost::test_tools::tolerance(1e-15));
  }
}

BOOST_AUTO_TEST_CASE(mean_matches_reference) {
  losses::Bpr<double> bpr;
  Tensor<double> positive(Shape{4}, {1.2, -0.4, 3.0, 0.0});
  Tensor<double> negative(Shape{4}, {0.2, 0.9, -1.0, 0.0});
  double expected = 0;
  for (index_t i = 0; i < 4; ++i) expected += reference_pair_loss(positive[i], negative[i]);
  BOOST_TEST(bpr.forward(positive, negative) == expected / 4, boost::test_tools::tolerance(1e-13));

  // [N] positives against [N, K] negatives: the mean over all N K pairs.
  Tensor<double> several(Shape{4, 2}, {0.2, 1.5, 0.9, -2.0, -1.0, 3.5, 0.0, 0.1});
  expected = 0;
  for (index_t i = 0; i < 4; ++i)
    for (index_t k = 0; k < 2; ++k) expected += reference_pair_loss(positive[i], several(i, k));
  BOOST_TEST(bpr.forward(positive, several) == expected / 8, boost::test_tools::tolerance(1e-13));
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(61);
  losses::Bpr<double> bpr;
  Tensor<double> positive(Shape{5});
  Tensor<double> negative(Shape{5});
  Tensor<double> several(Shape{5, 3});
  fill_uniform(positive, -2.0, 2.0, rng);
  fill_uniform(negative, -2.0, 2.0, rng);
  fill_uniform(several, -2.0, 2.0, rng);

  auto check = [&](const std::string& what, Tensor<double>& neg) {
    auto run = [&] { return bpr.forward(positive, neg); };
    run();
    const losses::PairGrad<double> g = bpr.backward();
    compare(g.first, numeric_gradient(positive, run), what + " d positive");
    compare(g.second, numeric_gradient(neg, run), what + " d negative");
  };
  check("paired", negative);
  check("per row", several);
}

BOOST_AUTO_TEST_CASE(extreme_score_gaps_stay_finite) {
  losses::Bpr<float> bpr;
  Tensor<float> positive(Shape{2}, {1e4f, -1e4f});
  Tensor<float> negative(Shape{2}, {-1e4f, 1e4f});
  // The right order costs 0, the wrong one its 2e4 gap.
  const float value = bpr.forward(positive, negative);
  BOOST_TEST(std::isfinite(value));
  BOOST_TEST(value == 1e4f, boost::test_tools::tolerance(1e-6f));
  const losses::PairGrad<float> g = bpr.backward();
  BOOST_TEST(g.first[0] == 0.0f);
  BOOST_TEST(g.first[1] == -0.5f);
  BOOST_TEST(g.second[1] == 0.5f);
}

BOOST_AUTO_TEST_CASE(bad_inputs_throw_naming_what_is_wrong) {
  losses::Bpr<double> bpr;
  require_throw_naming<shape_error>(
      [&] { bpr.forward(Tensor<double>(Shape{3}), Tensor<double>(Shape{4})); }, {"[3]", "[4]"});
  require_throw_naming<shape_error>(
      [&] { bpr.forward(Tensor<double>(Shape{3}), Tensor<double>(Shape{2, 3})); },
      {"[3]", "[2, 3]"});
  Tensor<double> nan_scores(Shape{2}, {std::numeric_limits<double>::quiet_NaN(), 0.0});
  require_throw_naming<invalid_argument>(
      [&] { bpr.forward(nan_scores, Tensor<double>(Shape{2})); }, {"positive", "position 0"});
  require_throw_naming<invalid_argument>(
      [&] { bpr.forward(Tensor<double>(Shape{0}), Tensor<double>(Shape{0})); }, {"empty"});
}

BOOST_AUTO_TEST_SUITE_END()
