#include <adaptrec/data/shuffle.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

using namespace adaptrec;
using namespace adaptrec::data;

BOOST_AUTO_TEST_SUITE(data_shuffle)

BOOST_AUTO_TEST_CASE(shuffled_indices_is_a_seeded_permutation) {
  const auto a = shuffled_indices(1000, 5);
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::size_t> identity(1000);
  std::iota(identity.begin(), identity.end(), std::size_t{0});
  BOOST_TEST(sorted == identity);
  BOOST_TEST(a == shuffled_indices(1000, 5));
  BOOST_TEST(a != shuffled_indices(1000, 6));
  BOOST_TEST(a != identity);
  BOOST_TEST(shuffled_indices(0, 1).empty());
}

BOOST_AUTO_TEST_CASE(uniform_below_is_uniform) {
  Rng rng(3);
  const std::uint64_t bound = 7;
  const int draws = 70000;
  std::vector<int> counts(bound, 0);
  for (int i = 0; i < draws; ++i) {
    const std::uint64_t v = uniform_below(rng, bound);
    BOOST_REQUIRE(v < bound);
    ++counts[v];
  }
  // Each count is Binomial(70000, 1/7): mean 10000, sd ~92.6; allow 5 sd.
  for (const int c : counts) BOOST_TEST(std::abs(c - 10000) < 463);
  BOOST_CHECK_THROW(uniform_below(rng, 0), invalid_argument);
}

BOOST_AUTO_TEST_CASE(uniform_unit_stays_in_the_unit_interval) {
  Rng rng(4);
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    const double u = uniform_unit(rng);
    BOOST_REQUIRE((u >= 0.0 && u < 1.0));
    sum += u;
  }
  BOOST_TEST(std::abs(sum / 10000 - 0.5) < 0.015);  // sd of the mean ~0.0029
}

BOOST_AUTO_TEST_SUITE_END()
