#include <adaptrec/losses/margin_ranking.hpp>

#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <limits>
#include <string>

using namespace adaptrec;
using adaptrec_test::compare;
using adaptrec_test::numeric_gradient;
using adaptrec_test::require_throw_naming;

static_assert(losses::Loss<losses::MarginRankingLoss<double>>);

BOOST_AUTO_TEST_SUITE(losses_margin_ranking)

BOOST_AUTO_TEST_CASE(mean_matches_reference) {
  losses::MarginRankingLoss<double> loss(2.0);
  Tensor<double> positive(Shape{4}, {1.0, -0.5, 3.0, 0.0});
  Tensor<double> negative(Shape{4}, {0.5, 1.0, -1.0, -2.0});
  // max(0, 2 - s_pos + s_neg): 1.5, 3.5, 0 (separated by 4), 0 (exactly at the margin).
  BOOST_TEST(loss.forward(positive, negative) == 5.0 / 4, boost::test_tools::tolerance(1e-15));
  const losses::PairGrad<double> g = loss.backward();
  const double expected_neg[] = {0.25, 0.25, 0, 0};
  for (index_t i = 0; i < 4; ++i) {
    BOOST_TEST(g.second[i] == expected_neg[i]);
    BOOST_TEST(g.first[i] == -expected_neg[i]);
  }

  // [N] positives against [N, K] negatives: the mean over all N K pairs.
  Tensor<double> several(Shape{4, 2}, {0.5, -3.0, 1.0, 0.0, -1.0, 2.0, -2.0, 5.0});
  double expected = 0;
  for (index_t i = 0; i < 4; ++i)
    for (index_t k = 0; k < 2; ++k) expected += std::max(0.0, 2.0 - positive[i] + several(i, k));
  BOOST_TEST(loss.forward(positive, several) == expected / 8, boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(11);
  losses::MarginRankingLoss<double> loss(0.5);
  Tensor<double> positive(Shape{6});
  Tensor<double> negative(Shape{6});
  Tensor<double> several(Shape{6, 3});
  fill_uniform(positive, -2.0, 2.0, rng);
  fill_uniform(negative, -2.0, 2.0, rng);
  fill_uniform(several, -2.0, 2.0, rng);

  auto check = [&](const std::string& what, Tensor<double>& neg) {
    auto run = [&] { return loss.forward(positive, neg); };
    run();
    const losses::PairGrad<double> g = loss.backward();
    compare(g.first, numeric_gradient(positive, run), what + " d positive");
    compare(g.second, numeric_gradient(neg, run), what + " d negative");
  };
  check("paired", negative);
  check("per row", several);
}

BOOST_AUTO_TEST_CASE(zero_margin_is_a_plain_hinge) {
  losses::MarginRankingLoss<float> loss(0.0f);
  BOOST_TEST(loss.margin() == 0.0f);
  Tensor<float> positive(Shape{2}, {1.0f, 0.0f});
  Tensor<float> negative(Shape{2}, {0.0f, 1.0f});
  BOOST_TEST(loss.forward(positive, negative) == 0.5f);
}

BOOST_AUTO_TEST_CASE(bad_inputs_throw_naming_what_is_wrong) {
  require_throw_naming<invalid_argument>([] { losses::MarginRankingLoss<double>(-1.0); },
                                         {"margin", "-1"});
  losses::MarginRankingLoss<double> loss;
  require_throw_naming<error>([&] { loss.backward(); }, {"MarginRankingLoss", "before forward"});
  require_throw_naming<shape_error>(
      [&] { loss.forward(Tensor<double>(Shape{3}), Tensor<double>(Shape{4})); }, {"[3]", "[4]"});
  require_throw_naming<shape_error>(
      [&] {
        loss.forward(Tensor<double>(Shape{3}), Tensor<double>(Shape{2, 3}));
      },
      {"[3]", "[2, 3]"});
  Tensor<double> nan_scores(Shape{2}, {0.0, std::numeric_limits<double>::quiet_NaN()});
  require_throw_naming<invalid_argument>(
      [&] { loss.forward(Tensor<double>(Shape{2}), nan_scores); }, {"negative", "position 1"});
  require_throw_naming<invalid_argument>(
      [&] { loss.forward(Tensor<double>(Shape{0}), Tensor<double>(Shape{0})); }, {"empty"});
}

BOOST_AUTO_TEST_SUITE_END()
