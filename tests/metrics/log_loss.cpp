#include <adaptrec/metrics/log_loss.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <span>
#include <string>
#include <vector>

using namespace adaptrec;
using metrics::LogLoss;

namespace {
double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }
}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_log_loss)

BOOST_AUTO_TEST_CASE(mean_cross_entropy_of_probabilities) {
  // Losses: label 1 at 0.9: -ln 0.9 = 0.1053605157; label 0 at 0.2:
  // -ln 0.8 = 0.2231435513; label 0 at 0.6: -ln 0.4 = 0.9162907319.
  // Mean = 1.2447947989 / 3 = 0.4149315996.
  LogLoss loss;
  const std::vector<float> p{0.9f, 0.2f, 0.6f};
  const std::vector<int> y{1, 0, 0};
  const std::vector<double> pd(p.begin(), p.end());  // the float values, exactly
  loss.add(p, y);
  const double expected = (-std::log(pd[0]) - std::log(1 - pd[1]) - std::log(1 - pd[2])) / 3.0;
  BOOST_TEST(loss.value() == expected, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(loss.value() == 0.4149315996, boost::test_tools::tolerance(1e-7));
  BOOST_TEST(loss.count() == 3u);
  BOOST_TEST(loss.sum() == 3 * loss.value(), boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(probabilities_are_clipped_like_scikit_learn) {
  // p = 0 with label 1 costs -ln(1e-15) = 34.538776394910684 instead of infinity;
  // p = 1 with label 1 costs -ln(1 - 1e-15), about 1e-15.
  LogLoss wrong, right;
  wrong.add(0.0, 1);
  right.add(1.0, 1);
  BOOST_TEST(wrong.value() == 34.538776394910684, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(right.value() < 2e-15);
  BOOST_TEST(right.value() > 0.0);
}

BOOST_AUTO_TEST_CASE(logits_agree_with_probabilities_and_stay_finite) {
  for (double z : {-8.0, -1.5, 0.0, 0.3, 2.0, 9.0})
    for (int y : {0, 1}) {
      LogLoss from_logit, from_probability;
      from_logit.add_logit(z, y);
      from_probability.add(sigmoid(z), y);
      BOOST_TEST(from_logit.value() == from_probability.value(),
                 boost::test_tools::tolerance(1e-12));
    }
  // z = 20, label 0: softplus(20) = 20 + ln(1 + e^-20) = 20.000000002061153...,
  // where -ln(1 - sigmoid(20)) formed in double is only good to about 1e-8.
  LogLoss moderate;
  moderate.add_logit(20.0, 0);
  BOOST_TEST(moderate.value() == 20.0 + std::log1p(std::exp(-20.0)),
             boost::test_tools::tolerance(1e-15));
  // Beyond the clip the logit path matches the clipped probability path:
  // softplus(ln((1 - eps) / eps)) = -ln(eps) = 34.5387763949.
  LogLoss huge;
  huge.add_logit(1e6, 0);
  huge.add_logit(-INFINITY, 1);
  BOOST_TEST(huge.value() == 34.538776394910684, boost::test_tools::tolerance(1e-12));
  LogLoss confident;
  confident.add_logit(800.0, 1);
  BOOST_TEST(confident.value() < 2e-15);
}

BOOST_AUTO_TEST_CASE(streaming_equals_one_shot) {
  const std::vector<double> z{-2.0, 0.5, 3.0, -0.1, 1.2};
  const std::vector<double> y{0, 1, 1, 1, 0};
  LogLoss one_shot, batched, single;
  one_shot.add_logit(z, y);
  batched.add_logit(std::span<const double>(z).first(2), std::span<const double>(y).first(2));
  batched.add_logit(std::span<const double>(z).subspan(2), std::span<const double>(y).subspan(2));
  for (std::size_t i = 0; i < z.size(); ++i) single.add_logit(z[i], y[i]);
  BOOST_TEST(batched.value() == one_shot.value(), boost::test_tools::tolerance(1e-15));
  BOOST_TEST(single.value() == one_shot.value(), boost::test_tools::tolerance(1e-15));
  BOOST_TEST(one_shot.count() == 5u);
  one_shot.reset();
  BOOST_TEST(std::isnan(one_shot.value()));
}

BOOST_AUTO_TEST_CASE(bad_inputs_name_the_position) {
  LogLoss loss;
  loss.add(0.5, 1);
  const std::vector<double> p{0.2, 1.5};
  const std::vector<int> y{0, 1};
  try {
    loss.add(p, y);
    BOOST_FAIL("expected invalid_argument");
  } catch (const invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find(
                   "position 1 of the batch (example 2 since reset) is 1.5") != std::string::npos);
  }
  try {
    loss.add_logit(NAN, 0);
    BOOST_FAIL("expected invalid_argument");
  } catch (const invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("example 1 since reset is NaN") != std::string::npos);
  }
  BOOST_CHECK_THROW(loss.add(0.3, 3), invalid_argument);
  BOOST_CHECK_THROW(loss.add(NAN, 1), invalid_argument);
  const std::vector<int> short_labels{1};
  BOOST_CHECK_THROW(loss.add(p, short_labels), shape_error);
  BOOST_TEST(loss.count() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
