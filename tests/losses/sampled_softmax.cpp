#include <adaptrec/losses/sampled_softmax.hpp>

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

double dot(const Tensor<double>& a, index_t i, const Tensor<double>& b, index_t j) {
  double s = 0;
  for (index_t c = 0; c < a.dim(1); ++c) s += a(i, c) * b(j, c);
  return s;
}

// Softmax over {positive} + {negatives not sharing the positive's id}.
double reference_sampled_softmax(const Tensor<double>& q, const Tensor<double>& p,
                                 const Tensor<double>& n, double tau,
                                 const Tensor<double>* pos_log_q, const Tensor<double>* neg_log_q,
                                 const Tensor<index_t>* pos_ids, const Tensor<index_t>* neg_ids) {
  double total = 0;
  for (index_t i = 0; i < q.dim(0); ++i) {
    const double positive = dot(q, i, p, i) / tau - (pos_log_q ? (*pos_log_q)[i] : 0.0);
    double z = std::exp(positive);
    for (index_t j = 0; j < n.dim(0); ++j) {
      if (pos_ids && (*neg_ids)[j] == (*pos_ids)[i]) continue;
      z += std::exp(dot(q, i, n, j) / tau - (neg_log_q ? (*neg_log_q)[j] : 0.0));
    }
    total += std::log(z) - positive;
  }
  return total / q.dim(0);
}

struct Batch {
  Tensor<double> queries{Shape{3, 4}};
  Tensor<double> positives{Shape{3, 4}};
  Tensor<double> negatives{Shape{5, 4}};
  Tensor<double> positive_log_q{Shape{3}, {-2.0, -0.5, -3.1}};
  Tensor<double> negative_log_q{Shape{5}, {-1.0, -1.5, -0.2, -2.2, -4.0}};
  // Negative 1 is query 0's positive item, negatives 3 and 4 query 2's.
  Tensor<index_t> positive_ids{Shape{3}, {10, 20, 30}};
  Tensor<index_t> negative_ids{Shape{5}, {40, 10, 50, 30, 30}};
  explicit Batch(std::uint64_t seed) {
    Rng rng(seed);
    fill_uniform(queries, -1.0, 1.0, rng);
    fill_uniform(positives, -1.0, 1.0, rng);
    fill_uniform(negatives, -1.0, 1.0, rng);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(losses_sampled_softmax)

BOOST_AUTO_TEST_CASE(zero_embeddings_cost_log_of_one_plus_negatives) {
  losses::SampledSoftmax<double> loss;
  Tensor<double> q(Shape{2, 3}), p(Shape{2, 3}), n(Shape{4, 3});
  BOOST_TEST(loss.forward(q, p, n) == std::log(5.0), boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(forward_matches_reference) {
  Batch b(51);
  for (double tau : {0.1, 1.0}) {
    losses::SampledSoftmax<double> loss(tau);
    BOOST_TEST(loss.forward(b.queries, b.positives, b.negatives) ==
                   reference_sampled_softmax(b.queries, b.positives, b.negatives, tau, nullptr,
                                             nullptr, nullptr, nullptr),
               boost::test_tools::tolerance(1e-12));
    BOOST_TEST(loss.forward(b.queries, b.positives, b.negatives, b.positive_log_q,
                            b.negative_log_q) ==
                   reference_sampled_softmax(b.queries, b.positives, b.negatives, tau,
                                             &b.positive_log_q, &b.negative_log_q, nullptr,
                                             nullptr),
               boost::test_tools::tolerance(1e-12));
    BOOST_TEST(loss.forward(b.queries, b.positives, b.negatives, b.positive_ids,
                            b.negative_ids) ==
                   reference_sampled_softmax(b.queries, b.positives, b.negatives, tau, nullptr,
                                             nullptr, &b.positive_ids, &b.negative_ids),
               boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Batch b(52);
  losses::SampledSoftmax<double> loss(0.5);
  auto check = [&](const std::string& what, auto&& run) {
    run();
    losses::SampledSoftmax<double>::Gradients g = loss.backward();
    compare(g.queries, numeric_gradient(b.queries, run), what + " d queries");
    compare(g.positives, numeric_gradient(b.positives, run), what + " d positives");
    compare(g.negatives, numeric_gradient(b.negatives, run), what + " d negatives");
  };
  check("plain", [&] { return loss.forward(b.queries, b.positives, b.negatives); });
  check("logQ", [&] {
    return loss.forward(b.queries, b.positives, b.negatives, b.positive_log_q, b.negative_log_q);
  });
  check("masked", [&] {
    return loss.forward(b.queries, b.positives, b.negatives, b.positive_ids, b.negative_ids);
  });
}

BOOST_AUTO_TEST_CASE(masked_hits_get_no_gradient) {
  Batch b(53);
  losses::SampledSoftmax<double> loss(0.5);
  // Every query's positive is item 30, which negatives 3 and 4 also are: they
  // leave every softmax, so their rows of the gradient vanish.
  Tensor<index_t> ids(Shape{3}, {30, 30, 30});
  loss.forward(b.queries, b.positives, b.negatives, ids, b.negative_ids);
  const Tensor<double> g = loss.backward().negatives;
  for (index_t c = 0; c < 4; ++c) {
    BOOST_TEST(g(3, c) == 0.0);
    BOOST_TEST(g(4, c) == 0.0);
    BOOST_TEST(g(0, c) != 0.0);
  }
}

BOOST_AUTO_TEST_CASE(extreme_logits_stay_finite) {
  losses::SampledSoftmax<float> loss(1.0f);
  Tensor<float> q(Shape{2, 1}, {1e2f, -1e2f});
  Tensor<float> p(Shape{2, 1}, {1e2f, 1e2f});
  Tensor<float> n(Shape{2, 1}, {-1e2f, 1e2f});
  // Logits +-1e4: query 0 ties its positive with negative 1 (log 2), query 1's
  // positive sits 2e4 below negative 0.
  const float value = loss.forward(q, p, n);
  BOOST_TEST(std::isfinite(value));
  BOOST_TEST(value == (2e4f + std::log(2.0f)) / 2, boost::test_tools::tolerance(1e-5f));
  const auto g = loss.backward();
  for (const Tensor<float>* t : {&g.queries, &g.positives, &g.negatives})
    for (float v : *t) BOOST_TEST(std::isfinite(v));
}

BOOST_AUTO_TEST_CASE(bad_inputs_throw_naming_what_is_wrong) {
  losses::SampledSoftmax<double> loss;
  Tensor<double> q(Shape{3, 4}), n(Shape{5, 4});
  require_throw_naming<shape_error>([&] { loss.forward(q, Tensor<double>(Shape{2, 4}), n); },
                                    {"[3, 4]", "[2, 4]"});
  require_throw_naming<shape_error>([&] { loss.forward(q, q, Tensor<double>(Shape{5, 3})); },
                                    {"[5, 3]", "[3, 4]"});
  require_throw_naming<shape_error>([&] { loss.forward(q, q, Tensor<double>(Shape{0, 4})); },
                                    {"[0, 4]"});
  require_throw_naming<shape_error>(
      [&] { loss.forward(q, q, n, Tensor<double>(Shape{3}), Tensor<double>(Shape{4})); },
      {"negative_log_q", "[4]", "[5]"});
  require_throw_naming<shape_error>(
      [&] { loss.forward(q, q, n, Tensor<index_t>(Shape{2}), Tensor<index_t>(Shape{5})); },
      {"positive_ids", "[2]", "[3]"});
  Tensor<double> bad = n;
  bad[7] = std::numeric_limits<double>::infinity();
  require_throw_naming<invalid_argument>([&] { loss.forward(q, q, bad); },
                                         {"negatives", "position 7"});
  require_throw_naming<invalid_argument>([] { losses::SampledSoftmax<double> cold(0.0); },
                                         {"temperature"});
}

BOOST_AUTO_TEST_SUITE_END()
