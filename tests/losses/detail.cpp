#include <adaptrec/losses/detail.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <type_traits>
#include <string>

using namespace adaptrec;
namespace loss_detail = adaptrec::losses::detail;

BOOST_AUTO_TEST_SUITE(losses_detail)

BOOST_AUTO_TEST_CASE(softplus_and_sigmoid_match_their_definitions) {
  for (double x : {-30.0, -3.0, -0.5, 0.0, 0.25, 2.0, 30.0}) {
    const auto [softplus, sigmoid] = loss_detail::softplus_sigmoid(x);
    BOOST_TEST(softplus == std::log1p(std::exp(x)), boost::test_tools::tolerance(1e-14));
    BOOST_TEST(sigmoid == 1.0 / (1.0 + std::exp(-x)), boost::test_tools::tolerance(1e-14));
  }
}

BOOST_AUTO_TEST_CASE(softplus_and_sigmoid_never_overflow) {
  for (float x : {-1e4f, -100.0f, 100.0f, 1e4f, std::numeric_limits<float>::max()}) {
    const auto [softplus, sigmoid] = loss_detail::softplus_sigmoid(x);
    BOOST_TEST(std::isfinite(softplus));
    BOOST_TEST(std::isfinite(sigmoid));
    BOOST_TEST(softplus >= 0.0f);
    BOOST_TEST((sigmoid >= 0.0f && sigmoid <= 1.0f));
  }
  BOOST_TEST(loss_detail::softplus_sigmoid(1e4f).softplus == 1e4f);
  BOOST_TEST(loss_detail::softplus_sigmoid(-1e4f).softplus == 0.0f);
}

BOOST_AUTO_TEST_CASE(parallel_sum_is_exact_and_accumulates_floats_in_double) {
  const index_t n = 100003;
  const double sum = loss_detail::parallel_sum<float>(n, 1, [](index_t i) { return float(i % 7); });
  double expected = 0;
  for (index_t i = 0; i < n; ++i) expected += double(i % 7);
  BOOST_TEST(sum == expected);
  static_assert(std::is_same_v<loss_detail::accumulator_t<float>, double>);
  static_assert(std::is_same_v<loss_detail::accumulator_t<long double>, long double>);
}

BOOST_AUTO_TEST_CASE(checks_name_the_argument_shape_and_position) {
  Tensor<double> t(Shape{2, 2}, {0.0, 1.0, std::numeric_limits<double>::infinity(), 2.0});
  try {
    loss_detail::require_finite(t, "Demo", "scores");
    BOOST_FAIL("expected invalid_argument");
  } catch (const invalid_argument& e) {
    const std::string message = e.what();
    BOOST_TEST(message.find("adaptrec::losses::Demo: scores") != std::string::npos);
    BOOST_TEST(message.find("[2, 2]") != std::string::npos);
    BOOST_TEST(message.find("position 2") != std::string::npos);
  }
  BOOST_CHECK_NO_THROW(loss_detail::require_no_nan(t, "Demo", "scores"));
  BOOST_CHECK_THROW(loss_detail::checked_temperature(0.0, "Demo"), invalid_argument);
  BOOST_CHECK_THROW(loss_detail::checked_temperature(std::numeric_limits<double>::infinity(), "Demo"),
                    invalid_argument);
  BOOST_TEST(loss_detail::checked_temperature(0.07, "Demo") == 0.07);
}

BOOST_AUTO_TEST_SUITE_END()
