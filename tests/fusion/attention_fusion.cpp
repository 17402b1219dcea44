#include <adaptrec/fusion/attention_fusion.hpp>

#include "fusion_checks.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;

BOOST_AUTO_TEST_SUITE(fusion_attention_fusion)

namespace {

struct Reference {
  Tensor<double> y;        // [batch, d]
  Tensor<double> weights;  // [batch, n]
};

// score_i = v . tanh(W_a p_i + b_a), alpha = softmax(score), y = sum alpha_i p_i,
// from the definition in plain loops.
Reference reference(fusion::AttentionFusion<double>& fusion,
                    const std::vector<Tensor<double>>& sources) {
  const index_t batch = sources[0].dim(0), d = fusion.output_dim(), a = fusion.attention_dim();
  const index_t n = static_cast<index_t>(sources.size());
  const Tensor<double>& wa = fusion.attention().weight().value;
  const Tensor<double>& ba = fusion.attention().bias().value;
  const Tensor<double>& v = fusion.query().value;
  Reference out{Tensor<double>(Shape{batch, d}), Tensor<double>(Shape{batch, n})};
  for (index_t r = 0; r < batch; ++r) {
    std::vector<std::vector<double>> p(static_cast<std::size_t>(n), std::vector<double>(d));
    std::vector<double> score(static_cast<std::size_t>(n));
    for (index_t i = 0; i < n; ++i) {
      auto& projection = fusion.projection(static_cast<std::size_t>(i));
      auto& pi = p[static_cast<std::size_t>(i)];
      for (index_t k = 0; k < d; ++k) {
        pi[k] = projection.bias().value[k];
        for (index_t j = 0; j < sources[i].dim(1); ++j)
          pi[k] += projection.weight().value(k, j) * sources[i](r, j);
      }
      for (index_t h = 0; h < a; ++h) {
        double z = ba[h];
        for (index_t k = 0; k < d; ++k) z += wa(h, k) * pi[k];
        score[i] += v[h] * std::tanh(z);
      }
    }
    double norm = 0;
    for (double s : score) norm += std::exp(s);
    for (index_t i = 0; i < n; ++i) {
      out.weights(r, i) = std::exp(score[i]) / norm;
      for (index_t k = 0; k < d; ++k) out.y(r, k) += out.weights(r, i) * p[i][k];
    }
  }
  return out;
}

}  // namespace

// Identity projections and attention, query 1: score_i = tanh(x_i), and y is
// the softmax-weighted mean of x_1 = 0.5 and x_2 = -1.
BOOST_AUTO_TEST_CASE(hand_computed_two_scalar_sources) {
  Rng rng(1);
  fusion::AttentionFusion<double> fusion({1, 1}, 1, 1, rng);
  for (std::size_t i = 0; i < 2; ++i) {
    fusion.projection(i).weight().value.fill(1);
    fusion.projection(i).bias().value.set_zero();
  }
  fusion.attention().weight().value.fill(1);
  fusion.attention().bias().value.set_zero();
  fusion.query().value.fill(1);
  const Tensor<double> y =
      fusion.forward({Tensor<double>(Shape{1, 1}, {0.5}), Tensor<double>(Shape{1, 1}, {-1})});
  const double e1 = std::exp(std::tanh(0.5)), e2 = std::exp(std::tanh(-1.0));
  const double a1 = e1 / (e1 + e2), a2 = e2 / (e1 + e2);
  BOOST_REQUIRE(y.shape() == (Shape{1, 1}));
  BOOST_TEST(y[0] == a1 * 0.5 - a2, boost::test_tools::tolerance(1e-14));
  BOOST_REQUIRE(fusion.attention_weights().shape() == (Shape{1, 2}));
  BOOST_TEST(fusion.attention_weights()[0] == a1, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(fusion.attention_weights()[1] == a2, boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(matches_the_definition) {
  Rng rng(2);
  fusion::AttentionFusion<double> fusion({3, 5, 2}, 4, 6, rng);
  BOOST_TEST(fusion.output_dim() == 4);
  BOOST_TEST(fusion.attention_dim() == 6);
  BOOST_TEST(fusion.num_sources() == 3u);
  const auto sources = adaptrec_test::random_sources<double>({3, 5, 2}, 7, rng);
  const Tensor<double> y = fusion.forward(sources);
  BOOST_REQUIRE(y.shape() == (Shape{7, 4}));
  const Reference expected = reference(fusion, sources);
  for (index_t k = 0; k < y.size(); ++k)
    BOOST_TEST(y[k] == expected.y[k], boost::test_tools::tolerance(1e-12));
  const Tensor<double>& weights = fusion.attention_weights();
  BOOST_REQUIRE(weights.shape() == (Shape{7, 3}));
  for (index_t k = 0; k < weights.size(); ++k)
    BOOST_TEST(weights[k] == expected.weights[k], boost::test_tools::tolerance(1e-12));
  for (index_t r = 0; r < 7; ++r)
    BOOST_TEST(weights(r, 0) + weights(r, 1) + weights(r, 2) == 1.0,
               boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(3);
  fusion::AttentionFusion<double> fusion({3, 5, 2}, 4, 3, rng);
  // Larger query and attention weights, so the softmax is far from uniform.
  fill_uniform(fusion.query().value, -2.0, 2.0, rng);
  fill_uniform(fusion.attention().bias().value, -1.0, 1.0, rng);
  adaptrec_test::check_fusion_gradients(fusion, 4, rng);
}

BOOST_AUTO_TEST_CASE(frozen_parameters_get_no_gradient) {
  Rng rng(4);
  fusion::AttentionFusion<double> fusion({2, 3}, 3, 2, rng);
  adaptrec_test::check_frozen_parameters_get_no_gradient(fusion, 4, rng);
}

BOOST_AUTO_TEST_CASE(frozen_query_alone_gets_no_gradient) {
  Rng rng(5);
  fusion::AttentionFusion<double> fusion({2, 3}, 3, 2, rng);
  fusion.query().trainable = false;
  const auto sources = adaptrec_test::random_sources<double>({2, 3}, 4, rng);
  const Tensor<double> y = fusion.forward(sources);
  fusion.backward(adaptrec_test::random_tensor<double>(y.shape(), rng));
  for (double g : fusion.query().grad) BOOST_TEST(g == 0.0);
  double attention_gradient = 0;
  for (double g : fusion.attention().weight().grad) attention_gradient += std::abs(g);
  BOOST_TEST(attention_gradient > 0.0);
}

BOOST_AUTO_TEST_CASE(parameter_names) {
  Rng rng(6);
  fusion::AttentionFusion<float> fusion({8, 16}, 4, 5, rng);
  BOOST_TEST(adaptrec_test::parameter_names(fusion, "item") ==
                 (std::vector<std::string>{"item.projections.0.weight", "item.projections.0.bias",
                                           "item.projections.1.weight", "item.projections.1.bias",
                                           "item.attention.weight", "item.attention.bias",
                                           "item.query"}),
             boost::test_tools::per_element());
  BOOST_TEST(fusion.attention().weight().shape() == (Shape{5, 4}));
  BOOST_TEST(fusion.query().shape() == (Shape{5}));
}

BOOST_AUTO_TEST_CASE(bad_sources_name_the_source_and_shapes) {
  Rng rng(7);
  fusion::AttentionFusion<float> fusion({4, 7, 3}, 5, 2, rng);
  adaptrec_test::check_source_errors(fusion, "AttentionFusion", rng);
}

BOOST_AUTO_TEST_CASE(bad_widths_are_rejected) {
  Rng rng(8);
  adaptrec_test::check_source_dims_validation(
      [&](std::vector<index_t> dims) {
        fusion::AttentionFusion<float>(std::move(dims), 4, 2, rng);
      },
      "AttentionFusion");
  require_throw_naming<invalid_argument>(
      [&] { fusion::AttentionFusion<float>({4, 4}, 0, 2, rng); },
      {"AttentionFusion", "output_dim = 0"});
  require_throw_naming<invalid_argument>(
      [&] { fusion::AttentionFusion<float>({4, 4}, 3, 0, rng); },
      {"AttentionFusion", "attention_dim = 0"});
}

BOOST_AUTO_TEST_SUITE_END()
