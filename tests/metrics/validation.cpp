#include <adaptrec/metrics/validation.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

using namespace adaptrec;
namespace detail = adaptrec::metrics::detail;

BOOST_AUTO_TEST_SUITE(metrics_validation)

BOOST_AUTO_TEST_CASE(positions_read_the_same_for_single_and_batched_input) {
  BOOST_TEST(detail::single(7).to_string() == "example 7 since reset");
  BOOST_TEST(detail::batch(100, 3).to_string() ==
             "position 3 of the batch (example 103 since reset)");
}

BOOST_AUTO_TEST_CASE(labels_of_any_arithmetic_type) {
  const auto at = detail::single(0);
  BOOST_TEST(detail::checked_label(true, "m", at) == 1);
  BOOST_TEST(detail::checked_label(std::uint8_t{0}, "m", at) == 0);
  BOOST_TEST(detail::checked_label(1.0f, "m", at) == 1);
  BOOST_TEST(detail::checked_label(-0.0, "m", at) == 0);
  BOOST_CHECK_THROW(detail::checked_label(0.999, "m", at), invalid_argument);
  BOOST_CHECK_THROW(detail::checked_label(std::nan(""), "m", at), invalid_argument);
  try {
    detail::checked_label(std::int64_t{-3}, "adaptrec::metrics::Example::add", detail::batch(5, 2));
    BOOST_FAIL("expected invalid_argument");
  } catch (const invalid_argument& e) {
    BOOST_TEST(std::string(e.what()) ==
               "adaptrec::metrics::Example::add: label at position 2 of the batch (example 7 "
               "since reset) is -3, expected 0 or 1");
  }
}

BOOST_AUTO_TEST_CASE(scores_and_probabilities) {
  const auto at = detail::single(4);
  BOOST_TEST(detail::checked_score(-INFINITY, "m", at) == -INFINITY);
  BOOST_CHECK_THROW(detail::checked_score(NAN, "m", at), invalid_argument);
  BOOST_TEST(detail::checked_probability(0.0, "m", at) == 0.0);
  BOOST_TEST(detail::checked_probability(1.0, "m", at) == 1.0);
  BOOST_CHECK_THROW(detail::checked_probability(-1e-9, "m", at), invalid_argument);
  BOOST_CHECK_THROW(detail::checked_probability(NAN, "m", at), invalid_argument);
}

BOOST_AUTO_TEST_CASE(length_mismatch_names_both_lengths) {
  const std::vector<float> a(3);
  const std::vector<int> b(2);
  try {
    detail::require_same_length(a, "scores", b, "labels", "adaptrec::metrics::Example::add");
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(std::string(e.what()) ==
               "adaptrec::metrics::Example::add: scores has 3 elements but labels has 2");
  }
}

BOOST_AUTO_TEST_SUITE_END()
