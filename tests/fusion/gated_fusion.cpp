#include <adaptrec/fusion/gated_fusion.hpp>

#include "fusion_checks.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;

BOOST_AUTO_TEST_SUITE(fusion_gated_fusion)

namespace {

double sigmoid(double z) { return 1 / (1 + std::exp(-z)); }

void require_close(const Tensor<double>& actual, const std::vector<double>& expected) {
  BOOST_REQUIRE_EQUAL(actual.size(), static_cast<index_t>(expected.size()));
  for (index_t k = 0; k < actual.size(); ++k)
    BOOST_TEST(actual[k] == expected[static_cast<std::size_t>(k)],
               boost::test_tools::tolerance(1e-14));
}

// y[r, k] = sum_i g_i[r, k] p_i[r, k], from the definition in plain loops.
Tensor<double> reference(fusion::GatedFusion<double>& gated,
                         const std::vector<Tensor<double>>& sources) {
  const index_t batch = sources[0].dim(0), d = gated.output_dim();
  const index_t n = static_cast<index_t>(sources.size());
  const Tensor<double>& wg = gated.gate().weight().value;
  const Tensor<double>& bg = gated.gate().bias().value;
  Tensor<double> y(Shape{batch, d});
  for (index_t r = 0; r < batch; ++r)
    for (index_t i = 0; i < n; ++i) {
      auto& projection = gated.projection(static_cast<std::size_t>(i));
      for (index_t k = 0; k < d; ++k) {
        double p = projection.bias().value[k];
        for (index_t j = 0; j < sources[i].dim(1); ++j)
          p += projection.weight().value(k, j) * sources[i](r, j);
        double z = bg[i * d + k];
        index_t column = 0;
        for (const auto& s : sources)
          for (index_t j = 0; j < s.dim(1); ++j) z += wg(i * d + k, column++) * s(r, j);
        y(r, k) += sigmoid(z) * p;
      }
    }
  return y;
}

}  // namespace

// p = (2 x1, 3 x2), gates sigmoid(ln 3) = 0.75 and sigmoid(0) = 0.5:
// y = 0.75 * 2 + 0.5 * 6 = 4.5 at x = (1, 2).
BOOST_AUTO_TEST_CASE(hand_computed_two_sources) {
  Rng rng(1);
  fusion::GatedFusion<double> gated({1, 1}, 1, rng);
  gated.projection(0).weight().value.fill(2);
  gated.projection(1).weight().value.fill(3);
  gated.projection(0).bias().value.set_zero();
  gated.projection(1).bias().value.set_zero();
  gated.gate().weight().value.set_zero();
  gated.gate().bias().value = Tensor<double>(Shape{2}, {std::log(3.0), 0});
  const Tensor<double> y =
      gated.forward({Tensor<double>(Shape{1, 1}, {1}), Tensor<double>(Shape{1, 1}, {2})});
  BOOST_REQUIRE(y.shape() == (Shape{1, 1}));
  BOOST_TEST(y[0] == 4.5, boost::test_tools::tolerance(1e-14));
  require_close(gated.gates(), {0.75, 0.5});
  // dx_i = g_i * w_i (the gate weights are zero); d gate bias = p_i g_i (1 - g_i).
  const auto grads = gated.backward(Tensor<double>(Shape{1, 1}, {1}));
  BOOST_TEST(grads[0][0] == 1.5, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(grads[1][0] == 1.5, boost::test_tools::tolerance(1e-14));
  require_close(gated.gate().bias().grad, {0.375, 1.5});
  require_close(gated.gate().weight().grad, {0.375, 0.75, 1.5, 3});
}

BOOST_AUTO_TEST_CASE(matches_the_definition) {
  Rng rng(2);
  fusion::GatedFusion<double> gated({3, 5, 2}, 4, rng);
  BOOST_TEST(gated.output_dim() == 4);
  BOOST_TEST(gated.num_sources() == 3u);
  const auto sources = adaptrec_test::random_sources<double>({3, 5, 2}, 6, rng);
  const Tensor<double> y = gated.forward(sources);
  BOOST_REQUIRE(y.shape() == (Shape{6, 4}));
  BOOST_REQUIRE(gated.gates().shape() == (Shape{6, 12}));
  const Tensor<double> expected = reference(gated, sources);
  for (index_t k = 0; k < y.size(); ++k)
    BOOST_TEST(y[k] == expected[k], boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(3);
  fusion::GatedFusion<double> gated({3, 5, 2}, 4, rng);
  adaptrec_test::check_fusion_gradients(gated, 3, rng);
}

BOOST_AUTO_TEST_CASE(one_source_is_a_gated_projection) {
  Rng rng(4);
  fusion::GatedFusion<double> gated({6}, 3, rng);
  adaptrec_test::check_fusion_gradients(gated, 2, rng);
}

BOOST_AUTO_TEST_CASE(frozen_parameters_get_no_gradient) {
  Rng rng(5);
  fusion::GatedFusion<double> gated({2, 3}, 3, rng);
  adaptrec_test::check_frozen_parameters_get_no_gradient(gated, 4, rng);
}

BOOST_AUTO_TEST_CASE(parameter_names) {
  Rng rng(6);
  fusion::GatedFusion<float> gated({8, 16}, 4, rng);
  BOOST_TEST(adaptrec_test::parameter_names(gated) ==
                 (std::vector<std::string>{"projections.0.weight", "projections.0.bias",
                                           "projections.1.weight", "projections.1.bias",
                                           "gate.weight", "gate.bias"}),
             boost::test_tools::per_element());
  BOOST_TEST(gated.gate().weight().shape() == (Shape{8, 24}));
  BOOST_TEST(gated.projection(1).weight().shape() == (Shape{4, 16}));
}

BOOST_AUTO_TEST_CASE(train_reaches_every_child) {
  Rng rng(7);
  fusion::GatedFusion<float> gated({2, 2}, 2, rng);
  gated.eval();
  BOOST_TEST(!gated.is_training());
  BOOST_TEST(!gated.gate().is_training());
  BOOST_TEST(!gated.projection(1).is_training());
  gated.train(true);
  BOOST_TEST(gated.projection(0).is_training());
}

BOOST_AUTO_TEST_CASE(bad_sources_name_the_source_and_shapes) {
  Rng rng(8);
  fusion::GatedFusion<float> gated({4, 7, 3}, 5, rng);
  adaptrec_test::check_source_errors(gated, "GatedFusion", rng);
}

BOOST_AUTO_TEST_CASE(bad_widths_are_rejected) {
  Rng rng(9);
  adaptrec_test::check_source_dims_validation(
      [&](std::vector<index_t> dims) { fusion::GatedFusion<float>(std::move(dims), 4, rng); },
      "GatedFusion");
  require_throw_naming<invalid_argument>([&] { fusion::GatedFusion<float>({4, 4}, -1, rng); },
                                         {"GatedFusion", "output_dim = -1"});
}

BOOST_AUTO_TEST_SUITE_END()
