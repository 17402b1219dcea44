#include <adaptrec/data/negative_sampling.hpp>

#include "fixture_files.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace adaptrec;
using namespace adaptrec::data;

namespace {

// Largest |empirical - expected| frequency over items, relative to the binomial
// standard deviation; below ~5 on every item for a correct sampler.
template <class Sampler>
double max_z_score(Sampler& sampler, const std::vector<double>& expected, int draws,
                   std::span<const std::int32_t> excluded = {}) {
  std::vector<int> counts(expected.size(), 0);
  for (int i = 0; i < draws; ++i) {
    const std::int32_t item = excluded.empty() ? sampler.sample() : sampler.sample_excluding(excluded);
    BOOST_REQUIRE((item >= 0 && item < static_cast<std::int32_t>(expected.size())));
    ++counts[static_cast<std::size_t>(item)];
  }
  double worst = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double mean = draws * expected[i];
    const double sd = std::sqrt(draws * expected[i] * (1 - expected[i]));
    if (sd == 0) {
      BOOST_TEST(counts[i] == static_cast<int>(std::lround(mean)));
      continue;
    }
    worst = std::max(worst, std::abs(counts[i] - mean) / sd);
  }
  return worst;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(data_negative_sampling)

BOOST_AUTO_TEST_CASE(uniform_sampler_frequencies_and_reproducibility) {
  UniformNegativeSampler sampler(10, 1);
  BOOST_TEST(max_z_score(sampler, std::vector<double>(10, 0.1), 100000) < 5.0);
  UniformNegativeSampler a(1000, 9), b(1000, 9), c(1000, 10);
  const auto draws_a = a.sample(50);
  BOOST_TEST(draws_a == b.sample(50));
  BOOST_TEST(draws_a != c.sample(50));
  BOOST_CHECK_THROW(UniformNegativeSampler(0, 1), invalid_argument);
}

BOOST_AUTO_TEST_CASE(uniform_exclusion_is_respected_on_both_paths) {
  // Few exclusions: rejection. Most excluded: the rank-mapping path.
  const std::vector<std::int32_t> few = {2, 5, 5, 7};
  const std::vector<std::int32_t> most = {0, 1, 2, 3, 4, 5, 7, 7, 8};
  UniformNegativeSampler sampler(10, 2);
  std::vector<double> expected_few(10, 1.0 / 7);
  for (const std::int32_t i : few) expected_few[static_cast<std::size_t>(i)] = 0;
  BOOST_TEST(max_z_score(sampler, expected_few, 100000, few) < 5.0);
  std::vector<double> expected_most(10, 0.0);
  expected_most[6] = expected_most[9] = 0.5;
  BOOST_TEST(max_z_score(sampler, expected_most, 100000, most) < 5.0);
}

BOOST_AUTO_TEST_CASE(uniform_exclusion_errors) {
  UniformNegativeSampler sampler(3, 2);
  const std::vector<std::int32_t> all = {0, 1, 1, 2};
  std::string message =
      adaptrec_test::message_of<invalid_argument>([&] { sampler.sample_excluding(all); });
  BOOST_TEST(adaptrec_test::contains(message, "all 3 items are excluded"), message);
  const std::vector<std::int32_t> unsorted = {2, 0};
  BOOST_CHECK_THROW(sampler.sample_excluding(unsorted), invalid_argument);
  const std::vector<std::int32_t> outside = {0, 3};
  message = adaptrec_test::message_of<index_error>([&] { sampler.sample_excluding(outside); });
  BOOST_TEST(adaptrec_test::contains(message, "excluded item 3"), message);
}

BOOST_AUTO_TEST_CASE(popularity_frequencies_match_the_distribution) {
  const std::vector<std::int64_t> counts = {50, 0, 10, 1, 200, 39, 100};
  for (const double power : {1.0, 0.75, 0.0}) {
    PopularityNegativeSampler sampler(counts, 17, power);
    std::vector<double> expected(counts.size());
    double total = 0;
    for (std::size_t i = 0; i < counts.size(); ++i)
      total += expected[i] = std::pow(static_cast<double>(counts[i]), power);
    double sum = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      expected[i] /= total;
      BOOST_TEST(sampler.probability(static_cast<std::int32_t>(i)) == expected[i],
                 boost::test_tools::tolerance(1e-12));
      sum += sampler.probability(static_cast<std::int32_t>(i));
    }
    BOOST_TEST(sum == 1.0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(max_z_score(sampler, expected, 100000) < 5.0, "power " << power);
  }
}

BOOST_AUTO_TEST_CASE(popularity_exclusion_renormalises) {
  const std::vector<std::int64_t> counts = {50, 0, 10, 1, 200, 39, 100};
  // Excluding 4 and 6 removes 75% of the mass: rejection still works. Excluding
  // all but item 3 (0.25% of the mass) forces the exact fallback.
  const std::vector<std::int32_t> heavy = {4, 6};
  const std::vector<std::int32_t> all_but_3 = {0, 1, 2, 4, 5, 6};
  PopularityNegativeSampler sampler(counts, 23);
  std::vector<double> expected = {50.0 / 100, 0, 10.0 / 100, 1.0 / 100, 0, 39.0 / 100, 0};
  BOOST_TEST(max_z_score(sampler, expected, 100000, heavy) < 5.0);
  for (int i = 0; i < 1000; ++i) BOOST_TEST(sampler.sample_excluding(all_but_3) == 3);

  // Item 1 has no mass, so excluding every other item leaves nothing to draw.
  const std::vector<std::int32_t> all_with_mass = {0, 2, 3, 4, 5, 6};
  const std::string message = adaptrec_test::message_of<invalid_argument>(
      [&] { sampler.sample_excluding(all_with_mass); });
  BOOST_TEST(adaptrec_test::contains(message, "every item with nonzero probability"), message);
}

BOOST_AUTO_TEST_CASE(popularity_is_reproducible_and_validates) {
  const std::vector<std::int64_t> counts = {3, 1, 4, 1, 5, 9, 2, 6};
  PopularityNegativeSampler a(counts, 5), b(counts, 5), c(counts, 6);
  const auto draws = a.sample(100);
  BOOST_TEST(draws == b.sample(100));
  BOOST_TEST(draws != c.sample(100));
  BOOST_CHECK_THROW(PopularityNegativeSampler({}, 1), invalid_argument);
  BOOST_CHECK_THROW(PopularityNegativeSampler({0, 0}, 1), invalid_argument);
  BOOST_CHECK_THROW(PopularityNegativeSampler({1, -1}, 1), invalid_argument);
  BOOST_CHECK_THROW(PopularityNegativeSampler({1, 2}, 1, -0.5), invalid_argument);
  BOOST_CHECK_THROW(PopularityNegativeSampler({1, 2}, 1, std::nan("")), invalid_argument);
  BOOST_CHECK_THROW(a.probability(8), index_error);
}

BOOST_AUTO_TEST_SUITE_END()
