#include <adaptrec/fusion/sum_fusion.hpp>

#include "fusion_checks.hpp"

#include <boost/test/unit_test.hpp>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;

BOOST_AUTO_TEST_SUITE(fusion_sum_fusion)

BOOST_AUTO_TEST_CASE(starts_as_the_plain_sum) {
  fusion::SumFusion<double> sum({3, 3, 3});
  BOOST_TEST(sum.output_dim() == 3);
  BOOST_TEST(sum.num_sources() == 3u);
  BOOST_TEST(sum.scales().value.to_vector() == (std::vector<double>{1, 1, 1}),
             boost::test_tools::per_element());
  Rng rng(1);
  const auto sources = adaptrec_test::random_sources<double>({3, 3, 3}, 4, rng);
  const Tensor<double> y = sum.forward(sources);
  BOOST_REQUIRE(y.shape() == (Shape{4, 3}));
  for (index_t k = 0; k < y.size(); ++k)
    BOOST_TEST(y[k] == sources[0][k] + sources[1][k] + sources[2][k],
               boost::test_tools::tolerance(1e-14));
}

// y = 2 x1 - x2; dx1 = 2 dy, dx2 = -dy, d scales = (<dy, x1>, <dy, x2>).
BOOST_AUTO_TEST_CASE(hand_computed_scales_and_gradients) {
  fusion::SumFusion<double> sum({2, 2});
  sum.scales().value = Tensor<double>(Shape{2}, {2, -1});
  const Tensor<double> x1(Shape{1, 2}, {1, 2});
  const Tensor<double> x2(Shape{1, 2}, {3, 5});
  const Tensor<double> y = sum.forward({x1, x2});
  BOOST_TEST(y.to_vector() == (std::vector<double>{-1, -1}), boost::test_tools::per_element());
  const auto grads = sum.backward(Tensor<double>(Shape{1, 2}, {1, 0.5}));
  BOOST_REQUIRE_EQUAL(grads.size(), 2u);
  BOOST_TEST(grads[0].to_vector() == (std::vector<double>{2, 1}), boost::test_tools::per_element());
  BOOST_TEST(grads[1].to_vector() == (std::vector<double>{-1, -0.5}),
             boost::test_tools::per_element());
  BOOST_TEST(sum.scales().grad.to_vector() == (std::vector<double>{2, 5.5}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(2);
  fusion::SumFusion<double> sum({4, 4, 4});
  fill_uniform(sum.scales().value, -2.0, 2.0, rng);
  adaptrec_test::check_fusion_gradients(sum, 3, rng);
}

BOOST_AUTO_TEST_CASE(frozen_scales_get_no_gradient) {
  Rng rng(3);
  fusion::SumFusion<double> sum({5, 5});
  adaptrec_test::check_frozen_parameters_get_no_gradient(sum, 4, rng);
}

BOOST_AUTO_TEST_CASE(parameter_names) {
  Rng rng(4);
  fusion::SumFusion<float> sum({8, 8}, rng);
  BOOST_TEST(adaptrec_test::parameter_names(sum, "item.fusion") ==
                 (std::vector<std::string>{"item.fusion.scales"}),
             boost::test_tools::per_element());
  BOOST_TEST(sum.scales().shape() == (Shape{2}));
}

BOOST_AUTO_TEST_CASE(bad_sources_name_the_source_and_shapes) {
  Rng rng(5);
  fusion::SumFusion<float> sum({6, 6, 6});
  adaptrec_test::check_source_errors(sum, "SumFusion", rng);
}

BOOST_AUTO_TEST_CASE(bad_widths_are_rejected) {
  adaptrec_test::check_source_dims_validation(
      [](std::vector<index_t> dims) { fusion::SumFusion<float>{std::move(dims)}; }, "SumFusion");
  require_throw_naming<invalid_argument>([] { fusion::SumFusion<float>({8, 16, 8}); },
                                         {"SumFusion", "[8, 16, 8]", "common width"});
}

BOOST_AUTO_TEST_SUITE_END()
