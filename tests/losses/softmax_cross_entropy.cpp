#include <adaptrec/losses/softmax_cross_entropy.hpp>

#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>
#include <support/reference_softmax.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace adaptrec;
using adaptrec_test::compare;
using adaptrec_test::numeric_gradient;
using adaptrec_test::reference_softmax_row;
using adaptrec_test::require_throw_naming;

namespace {

// -sum_c q_c log p_c with p from exp / sum exp, no shifting (small logits only).
double reference_cross_entropy(const Tensor<double>& logits, const Tensor<index_t>& labels,
                               double smoothing) {
  const index_t rows = logits.dim(0), classes = logits.dim(1);
  double total = 0;
  for (index_t i = 0; i < rows; ++i) {
    const std::vector<double> p = reference_softmax_row(logits, i);
    for (index_t c = 0; c < classes; ++c) {
      const double q = (c == labels[i] ? 1.0 - smoothing : 0.0) + smoothing / classes;
      total -= q * std::log(p[static_cast<std::size_t>(c)]);
    }
  }
  return total / rows;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(losses_softmax_cross_entropy)

BOOST_AUTO_TEST_CASE(uniform_logits_cost_log_of_the_class_count) {
  losses::SoftmaxCrossEntropy<double> ce;
  Tensor<double> logits(Shape{2, 4});
  Tensor<index_t> labels(Shape{2}, {3, 0});
  BOOST_TEST(ce.forward(logits, labels) == std::log(4.0), boost::test_tools::tolerance(1e-15));
  Tensor<double> g = ce.backward();
  // (1/4 - onehot) / 2
  BOOST_TEST(g(0, 3) == -0.375, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(g(0, 1) == 0.125, boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(mean_matches_reference_with_and_without_smoothing) {
  Tensor<double> logits(Shape{3, 4},
                        {0.1, -1.2, 2.0, 0.4, 1.5, 1.5, -0.5, 0.0, -2.0, 3.0, 0.7, -0.1});
  Tensor<index_t> labels(Shape{3}, {2, 0, 3});
  for (double smoothing : {0.0, 0.1, 0.5}) {
    losses::SoftmaxCrossEntropy<double> ce(smoothing);
    BOOST_TEST(ce.forward(logits, labels) == reference_cross_entropy(logits, labels, smoothing),
               boost::test_tools::tolerance(1e-13));
  }
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(31);
  Tensor<double> logits(Shape{4, 5});
  fill_uniform(logits, -2.0, 2.0, rng);
  Tensor<index_t> labels(Shape{4}, {0, 4, 2, 2});
  for (double smoothing : {0.0, 0.2}) {
    losses::SoftmaxCrossEntropy<double> ce(smoothing);
    ce.forward(logits, labels);
    compare(ce.backward(), numeric_gradient(logits, [&] { return ce.forward(logits, labels); }),
            "d logits, smoothing " + std::to_string(smoothing));
  }
}

BOOST_AUTO_TEST_CASE(extreme_logits_stay_finite) {
  losses::SoftmaxCrossEntropy<float> ce(0.1f);
  Tensor<float> logits(Shape{2, 3}, {1e4f, -1e4f, 0.0f, -1e4f, 1e4f, 1e4f});
  Tensor<index_t> labels(Shape{2}, {1, 2});
  const float loss = ce.forward(logits, labels);
  BOOST_TEST(std::isfinite(loss));
  for (float g : ce.backward()) BOOST_TEST(std::isfinite(g));

  losses::SoftmaxCrossEntropy<double> hard;
  Tensor<double> confident(Shape{1, 2}, {1e4, -1e4});
  // The label sits 2e4 below the winner: the loss is that gap.
  BOOST_TEST(hard.forward(confident, Tensor<index_t>(Shape{1}, {1})) == 2e4,
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(hard.forward(confident, Tensor<index_t>(Shape{1}, {0})) == 0.0);
}

BOOST_AUTO_TEST_CASE(bad_inputs_throw_naming_what_is_wrong) {
  losses::SoftmaxCrossEntropy<double> ce;
  Tensor<double> logits(Shape{2, 3});
  require_throw_naming<shape_error>([&] { ce.forward(logits, Tensor<index_t>(Shape{3})); },
                                    {"[2, 3]", "[3]"});
  require_throw_naming<shape_error>(
      [&] { ce.forward(Tensor<double>(Shape{6}), Tensor<index_t>(Shape{2})); }, {"[6]"});
  require_throw_naming<index_error>(
      [&] { ce.forward(logits, Tensor<index_t>(Shape{2}, {0, 3})); },
      {"label 3", "position 1", "[2, 3]"});
  require_throw_naming<index_error>(
      [&] { ce.forward(logits, Tensor<index_t>(Shape{2}, {-1, 0})); }, {"label -1", "position 0"});
  Tensor<double> nan_logits(Shape{1, 2}, {0.0, std::numeric_limits<double>::quiet_NaN()});
  require_throw_naming<invalid_argument>(
      [&] { ce.forward(nan_logits, Tensor<index_t>(Shape{1})); }, {"NaN", "position 1"});
  require_throw_naming<invalid_argument>([] { losses::SoftmaxCrossEntropy<double> bad(1.0); },
                                         {"label smoothing"});
  require_throw_naming<invalid_argument>(
      [] { losses::SoftmaxCrossEntropy<double> bad(std::nan("")); }, {"label smoothing"});
}

BOOST_AUTO_TEST_SUITE_END()
