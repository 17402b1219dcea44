#include <adaptrec/metrics/auc.hpp>

#include <adaptrec/core/random.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

using namespace adaptrec;
using metrics::Auc;

namespace {

// The definition itself: over all (positive, negative) pairs, 1 when the
// positive scores higher, 1/2 on a tie.
double pairwise_auc(const std::vector<double>& scores, const std::vector<int>& labels) {
  double wins = 0, pairs = 0;
  for (std::size_t i = 0; i < scores.size(); ++i)
    for (std::size_t j = 0; j < scores.size(); ++j) {
      if (labels[i] != 1 || labels[j] != 0) continue;
      pairs += 1;
      wins += scores[i] > scores[j] ? 1.0 : scores[i] == scores[j] ? 0.5 : 0.0;
    }
  return wins / pairs;
}

bool message_contains(const std::exception& e, const std::string& part) {
  return std::string(e.what()).find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_auc)

BOOST_AUTO_TEST_CASE(ties_count_one_half) {
  // Positives score {0.5, 0.9}, negatives {0.5, 0.1}. Pairs (pos, neg):
  // (0.5, 0.5) tie = 1/2, (0.5, 0.1) = 1, (0.9, 0.5) = 1, (0.9, 0.1) = 1,
  // so AUC = 3.5 / 4 = 0.875.
  Auc auc;
  const std::vector<double> scores{0.5, 0.5, 0.9, 0.1};
  const std::vector<int> labels{1, 0, 1, 0};
  auc.add(std::span<const double>(scores), std::span<const int>(labels));
  BOOST_TEST(auc.value() == 0.875, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(auc.defined());
  BOOST_TEST(auc.count() == 4u);
  BOOST_TEST(auc.positives() == 2u);
  BOOST_TEST(auc.negatives() == 2u);
}

BOOST_AUTO_TEST_CASE(rank_sum_form_with_average_ranks) {
  // Scores {0.2, 0.4, 0.4, 0.4, 0.8} labels {0, 1, 0, 1, 1}: average ranks
  // 1, 3, 3, 3, 5; positive rank sum R+ = 3 + 3 + 5 = 11, P = 3, N = 2,
  // U = R+ - P(P+1)/2 = 11 - 6 = 5, AUC = U / (P N) = 5 / 6.
  Auc auc;
  const std::vector<float> scores{0.2f, 0.4f, 0.4f, 0.4f, 0.8f};
  const std::vector<float> labels{0, 1, 0, 1, 1};
  auc.add(scores, labels);
  BOOST_TEST(auc.value() == 5.0 / 6.0, boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(perfect_reversed_and_constant_scorers) {
  Auc perfect, reversed, constant;
  for (int i = 0; i < 10; ++i) {
    const int label = i % 2;
    perfect.add(label + 0.01 * i, label);
    reversed.add(-label + 0.01 * i, label);
    constant.add(0.3, label);
  }
  BOOST_TEST(perfect.value() == 1.0);
  BOOST_TEST(reversed.value() == 0.0);
  BOOST_TEST(constant.value() == 0.5);
}

BOOST_AUTO_TEST_CASE(single_class_is_undefined) {
  Auc auc;
  BOOST_TEST(!auc.defined());
  BOOST_TEST(std::isnan(auc.value()));
  auc.add(0.4, 1);
  auc.add(0.7, 1);
  BOOST_TEST(!auc.defined());
  BOOST_TEST(std::isnan(auc.value()));
  auc.add(0.5, 0);  // pairs (0.4, 0.5) = 0, (0.7, 0.5) = 1: AUC = 1/2
  BOOST_TEST(auc.defined());
  BOOST_TEST(auc.value() == 0.5);
}

BOOST_AUTO_TEST_CASE(streaming_equals_one_shot) {
  Rng rng(7);
  std::uniform_int_distribution<int> level(0, 9), coin(0, 1);
  std::vector<float> scores(300);
  std::vector<std::uint8_t> labels(300);
  for (std::size_t i = 0; i < scores.size(); ++i) {
    scores[i] = static_cast<float>(level(rng)) / 10.0f;
    labels[i] = static_cast<std::uint8_t>(coin(rng));
  }
  Auc one_shot, batched, single;
  one_shot.add(scores, labels);
  const std::span<const float> s(scores);
  const std::span<const std::uint8_t> y(labels);
  for (std::size_t start = 0; start < scores.size(); start += 70) {
    const std::size_t n = std::min<std::size_t>(70, scores.size() - start);
    batched.add(s.subspan(start, n), y.subspan(start, n));
    // value() between batches must not disturb later accumulation.
    static_cast<void>(batched.value());
  }
  for (std::size_t i = 0; i < scores.size(); ++i) single.add(scores[i], labels[i]);
  BOOST_TEST(batched.value() == one_shot.value());
  BOOST_TEST(single.value() == one_shot.value());
  BOOST_TEST(batched.count() == 300u);
}

BOOST_AUTO_TEST_CASE(matches_pairwise_reference_with_many_ties) {
  Rng rng(11);
  for (int trial = 0; trial < 20; ++trial) {
    std::uniform_int_distribution<int> size(2, 400), level(0, 1 + trial), coin(0, 3);
    const auto n = static_cast<std::size_t>(size(rng));
    std::vector<double> scores(n);
    std::vector<int> labels(n);
    for (std::size_t i = 0; i < n; ++i) {
      scores[i] = level(rng) * 0.25 - 1.0;  // few distinct values: many ties
      labels[i] = coin(rng) == 0 ? 1 : 0;
    }
    labels[0] = 1;
    labels[1] = 0;
    Auc auc;
    auc.add(scores, labels);
    BOOST_TEST(auc.value() == pairwise_auc(scores, labels), boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(accepts_tensors_and_infinite_scores) {
  Tensor<float> scores(Shape{2, 2}, {-INFINITY, 0.f, 1.f, INFINITY});
  Tensor<float> labels(Shape{2, 2}, {0.f, 1.f, 0.f, 1.f});
  // Pairs: (0, -inf) = 1, (0, 1) = 0, (inf, -inf) = 1, (inf, 1) = 1: 3/4.
  Auc auc;
  auc.add(scores, labels);
  BOOST_TEST(auc.value() == 0.75);
}

BOOST_AUTO_TEST_CASE(nan_score_names_its_position_and_leaves_metric_unchanged) {
  Auc auc;
  auc.add(0.1, 0);
  auc.add(0.9, 1);
  const std::vector<double> scores{0.2, 0.3, NAN, 0.4};
  const std::vector<int> labels{0, 1, 1, 0};
  try {
    auc.add(scores, labels);
    BOOST_FAIL("expected invalid_argument");
  } catch (const invalid_argument& e) {
    BOOST_TEST(message_contains(e, "position 2 of the batch (example 4 since reset)"));
    BOOST_TEST(message_contains(e, "NaN"));
  }
  BOOST_TEST(auc.count() == 2u);
  BOOST_TEST(auc.value() == 1.0);
  try {
    auc.add(NAN, 1);
    BOOST_FAIL("expected invalid_argument");
  } catch (const invalid_argument& e) {
    BOOST_TEST(message_contains(e, "example 2 since reset"));
  }
}

BOOST_AUTO_TEST_CASE(bad_labels_and_lengths_throw) {
  Auc auc;
  try {
    auc.add(0.5, 2);
    BOOST_FAIL("expected invalid_argument");
  } catch (const invalid_argument& e) {
    BOOST_TEST(message_contains(e, "label at example 0 since reset is 2"));
  }
  const std::vector<double> scores{0.2, 0.3, 0.4};
  const std::vector<double> fractional{0.0, 1.0, 0.5};
  try {
    auc.add(scores, fractional);
    BOOST_FAIL("expected invalid_argument");
  } catch (const invalid_argument& e) {
    BOOST_TEST(message_contains(e, "position 2 of the batch"));
  }
  const std::vector<int> short_labels{0, 1};
  BOOST_CHECK_THROW(auc.add(scores, short_labels), shape_error);
  BOOST_TEST(auc.count() == 0u);
}

BOOST_AUTO_TEST_CASE(reset_starts_over) {
  Auc auc;
  auc.add(0.9, 0);
  auc.add(0.1, 1);
  BOOST_TEST(auc.value() == 0.0);
  auc.reset();
  BOOST_TEST(auc.count() == 0u);
  auc.add(0.1, 0);
  auc.add(0.9, 1);
  BOOST_TEST(auc.value() == 1.0);
}

BOOST_AUTO_TEST_SUITE_END()
