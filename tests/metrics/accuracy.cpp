#include <adaptrec/metrics/accuracy.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <span>
#include <string>
#include <vector>

using namespace adaptrec;
using metrics::Accuracy;

BOOST_AUTO_TEST_SUITE(metrics_accuracy)

BOOST_AUTO_TEST_CASE(thresholded_probabilities) {
  // Predictions (score > 0.5): {1, 0, 0, 1} against labels {1, 1, 0, 0}:
  // correct at 0 and 2, accuracy 2 / 4. A score equal to the threshold is negative.
  Accuracy accuracy;
  const std::vector<double> scores{0.9, 0.5, 0.2, 0.7};
  const std::vector<int> labels{1, 1, 0, 0};
  accuracy.add(scores, labels);
  BOOST_TEST(accuracy.value() == 0.5);
  BOOST_TEST(accuracy.correct() == 2u);
  BOOST_TEST(accuracy.count() == 4u);
}

BOOST_AUTO_TEST_CASE(threshold_zero_for_logits) {
  // Logits {-1, 2, 0.1} predicted {0, 1, 1} against {0, 1, 0}: 2 / 3 correct.
  Accuracy accuracy(0.0);
  accuracy.add(-1.0, 0);
  accuracy.add(2.0, 1);
  accuracy.add(0.1, 0);
  BOOST_TEST(accuracy.value() == 2.0 / 3.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(accuracy.threshold() == 0.0);
}

BOOST_AUTO_TEST_CASE(streaming_equals_one_shot) {
  const std::vector<float> scores{0.1f, 0.8f, 0.6f, 0.3f, 0.95f, 0.4f, 0.51f};
  const std::vector<bool> labels{false, true, false, false, true, true, true};
  Accuracy one_shot, batched;
  one_shot.add(scores, labels);
  const std::span<const float> s(scores);
  batched.add(s.first(3), std::vector<bool>(labels.begin(), labels.begin() + 3));
  batched.add(s.subspan(3), std::vector<bool>(labels.begin() + 3, labels.end()));
  // Correct: 0.1/0, 0.8/1, 0.3/0, 0.95/1, 0.51/1 = 5 of 7.
  BOOST_TEST(one_shot.value() == 5.0 / 7.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(batched.value() == one_shot.value());
  one_shot.reset();
  BOOST_TEST(one_shot.count() == 0u);
  BOOST_TEST(std::isnan(one_shot.value()));
}

BOOST_AUTO_TEST_CASE(bad_inputs_name_the_position) {
  Accuracy accuracy;
  const std::vector<double> scores{0.2, NAN, 0.3};
  const std::vector<int> labels{0, 1, 1};
  try {
    accuracy.add(scores, labels);
    BOOST_FAIL("expected invalid_argument");
  } catch (const invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("position 1 of the batch") != std::string::npos);
  }
  BOOST_CHECK_THROW(accuracy.add(0.2, 7), invalid_argument);
  BOOST_CHECK_THROW(Accuracy(NAN), invalid_argument);
  BOOST_TEST(accuracy.count() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
