#include <adaptrec/fusion/concat_fusion.hpp>

#include "fusion_checks.hpp"

#include <boost/test/unit_test.hpp>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;

BOOST_AUTO_TEST_SUITE(fusion_concat_fusion)

// y = W [x1; x2] + b with W = [1 2 3], b = 0.5: 1 * 1 + 2 * 2 + 3 * (-1) + 0.5.
BOOST_AUTO_TEST_CASE(hand_computed_projection_of_the_concatenation) {
  Rng rng(1);
  fusion::ConcatFusion<double> concat({1, 2}, 1, rng);
  concat.projection().weight().value = Tensor<double>(Shape{1, 3}, {1, 2, 3});
  concat.projection().bias().value = Tensor<double>(Shape{1}, {0.5});
  const Tensor<double> y =
      concat.forward({Tensor<double>(Shape{1, 1}, {1}), Tensor<double>(Shape{1, 2}, {2, -1})});
  BOOST_REQUIRE(y.shape() == (Shape{1, 1}));
  BOOST_TEST(y[0] == 2.5, boost::test_tools::tolerance(1e-14));
  // dx = dy W, split back into the sources' columns.
  const auto grads = concat.backward(Tensor<double>(Shape{1, 1}, {2}));
  BOOST_REQUIRE_EQUAL(grads.size(), 2u);
  BOOST_TEST(grads[0].to_vector() == (std::vector<double>{2}), boost::test_tools::per_element());
  BOOST_TEST(grads[1].to_vector() == (std::vector<double>{4, 6}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(matches_a_linear_map_of_the_concatenation) {
  Rng rng(2);
  fusion::ConcatFusion<double> concat({3, 5, 2}, 4, rng);
  BOOST_TEST(concat.output_dim() == 4);
  BOOST_TEST(concat.num_sources() == 3u);
  const auto sources = adaptrec_test::random_sources<double>({3, 5, 2}, 6, rng);
  const Tensor<double> y = concat.forward(sources);
  BOOST_REQUIRE(y.shape() == (Shape{6, 4}));
  const Tensor<double>& w = concat.projection().weight().value;
  const Tensor<double>& b = concat.projection().bias().value;
  for (index_t r = 0; r < 6; ++r)
    for (index_t o = 0; o < 4; ++o) {
      double expected = b[o];
      index_t column = 0;
      for (const auto& s : sources)
        for (index_t k = 0; k < s.dim(1); ++k) expected += w(o, column++) * s(r, k);
      BOOST_TEST(y(r, o) == expected, boost::test_tools::tolerance(1e-12));
    }
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(3);
  fusion::ConcatFusion<double> concat({3, 5, 2}, 4, rng);
  adaptrec_test::check_fusion_gradients(concat, 3, rng);
}

BOOST_AUTO_TEST_CASE(frozen_projection_gets_no_gradient) {
  Rng rng(4);
  fusion::ConcatFusion<double> concat({2, 3}, 3, rng);
  adaptrec_test::check_frozen_parameters_get_no_gradient(concat, 4, rng);
}

BOOST_AUTO_TEST_CASE(parameter_names) {
  Rng rng(5);
  fusion::ConcatFusion<float> concat({8, 16}, 12, rng);
  BOOST_TEST(adaptrec_test::parameter_names(concat) ==
                 (std::vector<std::string>{"projection.weight", "projection.bias"}),
             boost::test_tools::per_element());
  BOOST_TEST(concat.projection().weight().shape() == (Shape{12, 24}));
}

BOOST_AUTO_TEST_CASE(bad_sources_name_the_source_and_shapes) {
  Rng rng(6);
  fusion::ConcatFusion<float> concat({4, 7}, 5, rng);
  adaptrec_test::check_source_errors(concat, "ConcatFusion", rng);
}

BOOST_AUTO_TEST_CASE(bad_widths_are_rejected) {
  Rng rng(7);
  adaptrec_test::check_source_dims_validation(
      [&](std::vector<index_t> dims) { fusion::ConcatFusion<float>(std::move(dims), 4, rng); },
      "ConcatFusion");
  require_throw_naming<invalid_argument>([&] { fusion::ConcatFusion<float>({4, 4}, 0, rng); },
                                         {"ConcatFusion", "output_dim = 0"});
}

BOOST_AUTO_TEST_SUITE_END()
