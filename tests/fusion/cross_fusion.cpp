#include <adaptrec/fusion/cross_fusion.hpp>

#include "fusion_checks.hpp"

#include <boost/test/unit_test.hpp>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;

BOOST_AUTO_TEST_SUITE(fusion_cross_fusion)

namespace {

// x_{l+1} = x_0 ⊙ (W_l x_l + b_l) + x_l over the concatenated sources, then
// the projection, in plain loops.
Tensor<double> reference(fusion::CrossFusion<double>& fusion,
                         const std::vector<Tensor<double>>& sources) {
  const index_t batch = sources[0].dim(0);
  auto params = collect_parameters(fusion.cross());
  const Tensor<double>& w = fusion.projection().weight().value;
  const Tensor<double>& b = fusion.projection().bias().value;
  Tensor<double> y(Shape{batch, fusion.output_dim()});
  for (index_t r = 0; r < batch; ++r) {
    std::vector<double> x0;
    for (const auto& s : sources)
      for (index_t j = 0; j < s.dim(1); ++j) x0.push_back(s(r, j));
    const index_t width = static_cast<index_t>(x0.size());
    std::vector<double> x = x0;
    for (std::size_t l = 0; l < params.size(); l += 2) {
      const Tensor<double>& wl = params[l].parameter->value;
      const Tensor<double>& bl = params[l + 1].parameter->value;
      std::vector<double> next(x.size());
      for (index_t i = 0; i < width; ++i) {
        double z = bl[i];
        for (index_t j = 0; j < width; ++j) z += wl(i, j) * x[j];
        next[i] = x0[i] * z + x[i];
      }
      x = next;
    }
    for (index_t o = 0; o < fusion.output_dim(); ++o) {
      y(r, o) = b[o];
      for (index_t j = 0; j < width; ++j) y(r, o) += w(o, j) * x[j];
    }
  }
  return y;
}

}  // namespace

// One cross layer on x0 = (1, 2) with W = [[1, 0], [0, -1]], b = (0.5, 0):
// x1 = x0 ⊙ (1.5, -2) + x0 = (2.5, -2); y = 1 * 2.5 + 2 * (-2) = -1.5.
BOOST_AUTO_TEST_CASE(hand_computed_one_cross_layer) {
  Rng rng(1);
  fusion::CrossFusion<double> fusion({1, 1}, 1, 1, rng);
  auto cross = collect_parameters(fusion.cross());
  cross[0].parameter->value = Tensor<double>(Shape{2, 2}, {1, 0, 0, -1});
  cross[1].parameter->value = Tensor<double>(Shape{2}, {0.5, 0});
  fusion.projection().weight().value = Tensor<double>(Shape{1, 2}, {1, 2});
  fusion.projection().bias().value.set_zero();
  const Tensor<double> y =
      fusion.forward({Tensor<double>(Shape{1, 1}, {1}), Tensor<double>(Shape{1, 1}, {2})});
  BOOST_REQUIRE(y.shape() == (Shape{1, 1}));
  BOOST_TEST(y[0] == -1.5, boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(matches_the_definition) {
  Rng rng(2);
  fusion::CrossFusion<double> fusion({3, 5, 2}, 4, 2, rng);
  for (auto& p : collect_parameters(fusion.cross()))
    fill_uniform(p.parameter->value, -0.5, 0.5, rng);
  BOOST_TEST(fusion.output_dim() == 4);
  BOOST_TEST(fusion.num_sources() == 3u);
  const auto sources = adaptrec_test::random_sources<double>({3, 5, 2}, 6, rng);
  const Tensor<double> y = fusion.forward(sources);
  BOOST_REQUIRE(y.shape() == (Shape{6, 4}));
  const Tensor<double> expected = reference(fusion, sources);
  for (index_t k = 0; k < y.size(); ++k)
    BOOST_TEST(y[k] == expected[k], boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(3);
  fusion::CrossFusion<double> fusion({3, 4, 2}, 3, 2, rng);
  for (auto& p : collect_parameters(fusion.cross()))
    fill_uniform(p.parameter->value, -0.5, 0.5, rng);
  adaptrec_test::check_fusion_gradients(fusion, 3, rng);
}

BOOST_AUTO_TEST_CASE(frozen_parameters_get_no_gradient) {
  Rng rng(4);
  fusion::CrossFusion<double> fusion({2, 3}, 3, 2, rng);
  adaptrec_test::check_frozen_parameters_get_no_gradient(fusion, 4, rng);
}

BOOST_AUTO_TEST_CASE(parameter_names) {
  Rng rng(5);
  fusion::CrossFusion<float> fusion({8, 16}, 4, 2, rng);
  BOOST_TEST(adaptrec_test::parameter_names(fusion) ==
                 (std::vector<std::string>{"cross.layers.0.weight", "cross.layers.0.bias",
                                           "cross.layers.1.weight", "cross.layers.1.bias",
                                           "projection.weight", "projection.bias"}),
             boost::test_tools::per_element());
  BOOST_TEST(fusion.cross().num_layers() == 2);
  BOOST_TEST(fusion.projection().weight().shape() == (Shape{4, 24}));
}

BOOST_AUTO_TEST_CASE(bad_sources_name_the_source_and_shapes) {
  Rng rng(6);
  fusion::CrossFusion<float> fusion({4, 7, 3}, 5, 1, rng);
  adaptrec_test::check_source_errors(fusion, "CrossFusion", rng);
}

BOOST_AUTO_TEST_CASE(bad_widths_are_rejected) {
  Rng rng(7);
  adaptrec_test::check_source_dims_validation(
      [&](std::vector<index_t> dims) { fusion::CrossFusion<float>(std::move(dims), 4, 1, rng); },
      "CrossFusion");
  require_throw_naming<invalid_argument>([&] { fusion::CrossFusion<float>({4, 4}, 0, 1, rng); },
                                         {"CrossFusion", "output_dim = 0"});
  require_throw_naming<invalid_argument>([&] { fusion::CrossFusion<float>({4, 4}, 2, 0, rng); },
                                         {"CrossFusion", "num_cross_layers = 0"});
}

BOOST_AUTO_TEST_SUITE_END()
