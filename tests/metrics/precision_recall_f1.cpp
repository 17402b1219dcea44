#include <adaptrec/metrics/precision_recall_f1.hpp>

#include <boost/test/unit_test.hpp>

#include <span>
#include <string>
#include <vector>

using namespace adaptrec;
using metrics::PrecisionRecallF1;

BOOST_AUTO_TEST_SUITE(metrics_precision_recall_f1)

BOOST_AUTO_TEST_CASE(counts_and_ratios) {
  // Scores {0.9, 0.8, 0.3, 0.6, 0.1, 0.2} predict {1, 1, 0, 1, 0, 0};
  // labels {1, 0, 1, 1, 1, 0}: TP = 2 (0, 3), FP = 1 (1), FN = 2 (2, 4), TN = 1 (5).
  // Precision 2 / 3, recall 2 / 4, F1 = 2 * 2 / (2 * 2 + 1 + 2) = 4 / 7, the
  // harmonic mean 2 (2/3)(1/2) / (2/3 + 1/2) = (2/3) / (7/6) = 4/7.
  PrecisionRecallF1 prf;
  const std::vector<double> scores{0.9, 0.8, 0.3, 0.6, 0.1, 0.2};
  const std::vector<int> labels{1, 0, 1, 1, 1, 0};
  prf.add(scores, labels);
  BOOST_TEST(prf.true_positives() == 2u);
  BOOST_TEST(prf.false_positives() == 1u);
  BOOST_TEST(prf.false_negatives() == 2u);
  BOOST_TEST(prf.true_negatives() == 1u);
  BOOST_TEST(prf.precision() == 2.0 / 3.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(prf.recall() == 0.5);
  BOOST_TEST(prf.f1() == 4.0 / 7.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(prf.value() == prf.f1());
  BOOST_TEST(prf.count() == 6u);
}

BOOST_AUTO_TEST_CASE(zero_division_gives_zero) {
  // Nothing predicted positive and no positives: every denominator is 0.
  PrecisionRecallF1 empty;
  BOOST_TEST(empty.precision() == 0.0);
  BOOST_TEST(empty.recall() == 0.0);
  BOOST_TEST(empty.f1() == 0.0);
  PrecisionRecallF1 negatives_only;
  negatives_only.add(0.1, 0);
  negatives_only.add(0.2, 0);
  BOOST_TEST(negatives_only.precision() == 0.0);
  BOOST_TEST(negatives_only.recall() == 0.0);
  BOOST_TEST(negatives_only.f1() == 0.0);
  // A missed positive: recall 0 / 1 = 0, precision 0 / 0 -> 0, F1 0.
  negatives_only.add(0.3, 1);
  BOOST_TEST(negatives_only.recall() == 0.0);
  BOOST_TEST(negatives_only.f1() == 0.0);
}

BOOST_AUTO_TEST_CASE(threshold_and_streaming) {
  // Threshold 0.25 on {0.3, 0.2, 0.25, 0.9} predicts {1, 0, 0, 1};
  // labels {0, 0, 1, 1}: TP 1, FP 1, FN 1: precision = recall = F1 = 1/2.
  const std::vector<float> scores{0.3f, 0.2f, 0.25f, 0.9f};
  const std::vector<int> labels{0, 0, 1, 1};
  PrecisionRecallF1 one_shot(0.25), single(0.25);
  one_shot.add(scores, labels);
  for (std::size_t i = 0; i < scores.size(); ++i) single.add(scores[i], labels[i]);
  BOOST_TEST(one_shot.precision() == 0.5);
  BOOST_TEST(one_shot.recall() == 0.5);
  BOOST_TEST(one_shot.f1() == 0.5);
  BOOST_TEST(single.f1() == one_shot.f1());
  one_shot.reset();
  BOOST_TEST(one_shot.count() == 0u);
}

BOOST_AUTO_TEST_CASE(bad_inputs_name_the_position) {
  PrecisionRecallF1 prf;
  prf.add(0.9, 1);
  const std::vector<double> scores{0.2, 0.3};
  const std::vector<double> labels{0.0, 2.0};
  try {
    prf.add(scores, labels);
    BOOST_FAIL("expected invalid_argument");
  } catch (const invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("position 1 of the batch (example 2 since reset) is 2") !=
               std::string::npos);
  }
  BOOST_CHECK_THROW(prf.add(NAN, 0), invalid_argument);
  BOOST_TEST(prf.count() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
