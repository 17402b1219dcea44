#include <adaptrec/metrics/gauc.hpp>

#include <adaptrec/core/random.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

using namespace adaptrec;
using metrics::Gauc;

BOOST_AUTO_TEST_SUITE(metrics_gauc)

// User 1: positive {0.9}, negatives {0.4, 0.6}: both pairs won, AUC 1, 3 impressions.
// User 2: positives {0.3, 0.2}, negatives {0.3, 0.8}: pairs (0.3, 0.3) = 1/2,
//   (0.3, 0.8) = 0, (0.2, 0.3) = 0, (0.2, 0.8) = 0, AUC = 0.5 / 4 = 0.125, 4 impressions.
// User 3: positives only, no AUC, left out.
// GAUC = (3 * 1 + 4 * 0.125) / (3 + 4) = 3.5 / 7 = 0.5.
const std::vector<std::int64_t> users{2, 1, 3, 2, 1, 2, 3, 1, 2};
const std::vector<double> scores{0.3, 0.9, 0.7, 0.3, 0.4, 0.8, 0.1, 0.6, 0.2};
const std::vector<int> labels{1, 1, 1, 0, 0, 0, 1, 0, 1};

BOOST_AUTO_TEST_CASE(impression_weighted_mean_over_users_with_both_classes) {
  Gauc gauc;
  gauc.add(users, scores, labels);
  BOOST_TEST(gauc.value() == 0.5, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(gauc.users_counted() == 2u);
  BOOST_TEST(gauc.count() == 9u);
  BOOST_TEST(gauc.defined());
}

BOOST_AUTO_TEST_CASE(streaming_equals_one_shot) {
  Gauc one_shot, single, batched;
  one_shot.add(users, scores, labels);
  for (std::size_t i = 0; i < users.size(); ++i) single.add(users[i], scores[i], labels[i]);
  const std::span<const std::int64_t> u(users);
  const std::span<const double> s(scores);
  const std::span<const int> y(labels);
  batched.add(u.first(4), s.first(4), y.first(4));
  // So far only user 2 has both classes: scores 0.3 (label 1) and 0.3 (label 0), a tie.
  BOOST_TEST(batched.users_counted() == 1u);
  BOOST_TEST(batched.value() == 0.5);
  batched.add(u.subspan(4), s.subspan(4), y.subspan(4));
  BOOST_TEST(single.value() == one_shot.value());
  BOOST_TEST(batched.value() == one_shot.value());
}

BOOST_AUTO_TEST_CASE(matches_per_user_auc_reference) {
  Rng rng(5);
  std::uniform_int_distribution<int> user(0, 30), level(0, 4), coin(0, 2);
  std::vector<std::int32_t> u(2000);
  std::vector<float> s(2000), y(2000);
  for (std::size_t i = 0; i < u.size(); ++i) {
    u[i] = user(rng) * 1000 - 7000;  // sparse, negative ids are fine
    s[i] = static_cast<float>(level(rng));
    y[i] = coin(rng) == 0 ? 1.f : 0.f;
  }
  std::map<std::int64_t, metrics::Auc> per_user;
  for (std::size_t i = 0; i < u.size(); ++i) per_user[u[i]].add(s[i], y[i]);
  double weighted = 0, weight = 0;
  std::size_t counted = 0;
  for (const auto& [id, auc] : per_user) {
    if (!auc.defined()) continue;
    weighted += static_cast<double>(auc.count()) * auc.value();
    weight += static_cast<double>(auc.count());
    ++counted;
  }
  Gauc gauc;
  gauc.add(u, s, y);
  BOOST_TEST(gauc.value() == weighted / weight, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(gauc.users_counted() == counted);
}

BOOST_AUTO_TEST_CASE(undefined_without_a_user_having_both_classes) {
  Gauc gauc;
  BOOST_TEST(std::isnan(gauc.value()));
  gauc.add(1, 0.5, 1);
  gauc.add(2, 0.5, 0);
  BOOST_TEST(!gauc.defined());
  BOOST_TEST(std::isnan(gauc.value()));
  BOOST_TEST(gauc.users_counted() == 0u);
  gauc.reset();
  BOOST_TEST(gauc.count() == 0u);
}

BOOST_AUTO_TEST_CASE(bad_input_names_the_position) {
  Gauc gauc;
  gauc.add(4, 0.1, 0);
  const std::vector<std::int64_t> u{1, 2};
  const std::vector<double> s{0.5, NAN};
  const std::vector<int> y{1, 0};
  try {
    gauc.add(u, s, y);
    BOOST_FAIL("expected invalid_argument");
  } catch (const invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("position 1 of the batch (example 2 since reset)") !=
               std::string::npos);
  }
  try {
    gauc.add(3, 0.5, -1);
    BOOST_FAIL("expected invalid_argument");
  } catch (const invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("example 1 since reset is -1") != std::string::npos);
  }
  const std::vector<std::int64_t> short_users{1};
  BOOST_CHECK_THROW(gauc.add(short_users, s, y), shape_error);
  BOOST_TEST(gauc.count() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
