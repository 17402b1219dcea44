#include <adaptrec/losses/info_nce.hpp>

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

// For each query, the softmax runs over the keys that are not accidental hits
// (a key j != i with the positive's id is left out of the sum entirely).
double reference_info_nce(const Tensor<double>& q, const Tensor<double>& k, double tau,
                          const Tensor<double>* log_q, const Tensor<index_t>* ids) {
  const index_t n = q.dim(0), d = q.dim(1);
  auto logit = [&](index_t i, index_t j) {
    double dot = 0;
    for (index_t c = 0; c < d; ++c) dot += q(i, c) * k(j, c);
    return dot / tau - (log_q ? (*log_q)[j] : 0.0);
  };
  double total = 0;
  for (index_t i = 0; i < n; ++i) {
    double z = 0;
    for (index_t j = 0; j < n; ++j)
      if (j == i || !ids || (*ids)[j] != (*ids)[i]) z += std::exp(logit(i, j));
    total += std::log(z) - logit(i, i);
  }
  return total / n;
}

struct Batch {
  Tensor<double> queries{Shape{5, 3}};
  Tensor<double> keys{Shape{5, 3}};
  Tensor<double> log_q{Shape{5}, {-1.0, -2.5, -0.3, -4.0, -1.7}};
  // Keys 1 and 3 are the same item, and so are keys 0 and 4.
  Tensor<index_t> ids{Shape{5}, {7, 11, 2, 11, 7}};
  explicit Batch(std::uint64_t seed) {
    Rng rng(seed);
    fill_uniform(queries, -1.0, 1.0, rng);
    fill_uniform(keys, -1.0, 1.0, rng);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(losses_info_nce)

BOOST_AUTO_TEST_CASE(zero_embeddings_cost_log_batch_size) {
  losses::InfoNce<double> loss;
  Tensor<double> q(Shape{4, 2}), k(Shape{4, 2});
  BOOST_TEST(loss.forward(q, k) == std::log(4.0), boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(forward_matches_reference) {
  Batch b(41);
  for (double tau : {0.05, 0.1, 1.0}) {
    losses::InfoNce<double> loss(tau);
    BOOST_TEST(loss.forward(b.queries, b.keys) ==
                   reference_info_nce(b.queries, b.keys, tau, nullptr, nullptr),
               boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(log_q_correction_matches_reference) {
  Batch b(42);
  losses::InfoNce<double> loss(0.2);
  const double corrected = loss.forward(b.queries, b.keys, b.log_q);
  BOOST_TEST(corrected == reference_info_nce(b.queries, b.keys, 0.2, &b.log_q, nullptr),
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(std::abs(corrected - loss.forward(b.queries, b.keys)) > 1e-3);
  // A uniform sampler shifts every logit equally, which a softmax ignores.
  const double plain = loss.forward(b.queries, b.keys);
  BOOST_TEST(loss.forward(b.queries, b.keys, Tensor<double>::full(Shape{5}, -3.0)) == plain,
             boost::test_tools::tolerance(1e-13));
}

BOOST_AUTO_TEST_CASE(accidental_hits_are_masked_out_of_the_negatives) {
  Batch b(43);
  losses::InfoNce<double> loss(0.2);
  const double masked = loss.forward(b.queries, b.keys, b.ids);
  BOOST_TEST(masked == reference_info_nce(b.queries, b.keys, 0.2, nullptr, &b.ids),
             boost::test_tools::tolerance(1e-12));
  // Removing terms from each partition sum can only lower the loss.
  BOOST_TEST(masked < loss.forward(b.queries, b.keys));
  const double with_both = loss.forward(b.queries, b.keys, b.log_q, b.ids);
  BOOST_TEST(with_both == reference_info_nce(b.queries, b.keys, 0.2, &b.log_q, &b.ids),
             boost::test_tools::tolerance(1e-12));
  // Distinct ids mask nothing.
  Tensor<index_t> distinct(Shape{5}, {0, 1, 2, 3, 4});
  BOOST_TEST(loss.forward(b.queries, b.keys, distinct) == loss.forward(b.queries, b.keys),
             boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(large_batch_matches_reference) {
  // Big enough for the row loops to run on several threads.
  const index_t n = 160, d = 8;
  Rng rng(45);
  Tensor<double> q(Shape{n, d}), k(Shape{n, d}), log_q(Shape{n});
  fill_uniform(q, -1.0, 1.0, rng);
  fill_uniform(k, -1.0, 1.0, rng);
  fill_uniform(log_q, -9.0, -1.0, rng);
  Tensor<index_t> ids(Shape{n});
  for (index_t i = 0; i < n; ++i) ids[i] = (i * 7) % 50;
  losses::InfoNce<double> loss(0.1);
  BOOST_TEST(loss.forward(q, k, log_q, ids) == reference_info_nce(q, k, 0.1, &log_q, &ids),
             boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(masked_duplicate_does_not_move_the_query) {
  // Query 0's positive (key 0) and key 1 are the same item; moving key 1 must
  // not change query 0's loss once the hit is masked.
  Tensor<double> q(Shape{2, 2}, {1.0, 0.0, 0.0, 1.0});
  Tensor<double> k(Shape{2, 2}, {0.5, 0.5, 2.0, -1.0});
  Tensor<index_t> ids(Shape{2}, {9, 9});
  losses::InfoNce<double> loss(1.0);
  // Both rows reduce to a softmax over their own positive: loss 0.
  BOOST_TEST(loss.forward(q, k, ids) == 0.0, boost::test_tools::tolerance(1e-15));
  losses::InfoNce<double>::PairGrad g = loss.backward();
  for (double v : g.first) BOOST_TEST(v == 0.0, boost::test_tools::tolerance(1e-15));
  for (double v : g.second) BOOST_TEST(v == 0.0, boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Batch b(44);
  losses::InfoNce<double> loss(0.3);
  auto check = [&](const std::string& what, auto&& run) {
    run();
    losses::PairGrad<double> g = loss.backward();
    compare(g.first, numeric_gradient(b.queries, run), what + " d queries");
    compare(g.second, numeric_gradient(b.keys, run), what + " d keys");
  };
  check("plain", [&] { return loss.forward(b.queries, b.keys); });
  check("logQ", [&] { return loss.forward(b.queries, b.keys, b.log_q); });
  check("masked", [&] { return loss.forward(b.queries, b.keys, b.ids); });
  check("logQ+masked", [&] { return loss.forward(b.queries, b.keys, b.log_q, b.ids); });
}

BOOST_AUTO_TEST_CASE(extreme_logits_stay_finite) {
  losses::InfoNce<float> loss(0.1f);
  Tensor<float> q(Shape{3, 2}, {1e3f, 0.0f, -1e3f, 0.0f, 0.0f, 1e3f});
  Tensor<float> k(Shape{3, 2}, {1.0f, 0.0f, 1.0f, 0.0f, 0.0f, -1.0f});
  // Logits of +-1e4. Query 0 ties its positive with key 1 (log 2); queries 1
  // and 2 rank theirs 1e4 below one negative (1e4, and 1e4 + log 2 for the tie).
  const float value = loss.forward(q, k);
  BOOST_TEST(std::isfinite(value));
  BOOST_TEST(value == (2e4f + 2 * std::log(2.0f)) / 3, boost::test_tools::tolerance(1e-5f));
  losses::PairGrad<float> g = loss.backward();
  for (float v : g.first) BOOST_TEST(std::isfinite(v));
  for (float v : g.second) BOOST_TEST(std::isfinite(v));
}

BOOST_AUTO_TEST_CASE(bad_inputs_throw_naming_what_is_wrong) {
  losses::InfoNce<double> loss;
  Tensor<double> q(Shape{3, 4});
  require_throw_naming<shape_error>([&] { loss.forward(q, Tensor<double>(Shape{3, 5})); },
                                    {"[3, 4]", "[3, 5]"});
  require_throw_naming<shape_error>([&] { loss.forward(Tensor<double>(Shape{12}), q); },
                                    {"[12]"});
  require_throw_naming<shape_error>(
      [&] { loss.forward(q, Tensor<double>(Shape{3, 4}), Tensor<double>(Shape{2})); },
      {"key_log_q", "[2]", "[3]"});
  require_throw_naming<shape_error>(
      [&] { loss.forward(q, Tensor<double>(Shape{3, 4}), Tensor<index_t>(Shape{4})); },
      {"key_ids", "[4]", "[3]"});
  Tensor<double> nan_keys(Shape{3, 4});
  nan_keys(2, 1) = std::numeric_limits<double>::quiet_NaN();
  require_throw_naming<invalid_argument>([&] { loss.forward(q, nan_keys); },
                                         {"keys", "position 9"});
  require_throw_naming<invalid_argument>([] { losses::InfoNce<double> bad(0.0); },
                                         {"temperature"});
  require_throw_naming<invalid_argument>([] { losses::InfoNce<double> bad(-0.1); },
                                         {"temperature"});
  require_throw_naming<invalid_argument>([] { losses::InfoNce<double> bad(std::nan("")); },
                                         {"temperature"});
}

BOOST_AUTO_TEST_SUITE_END()
