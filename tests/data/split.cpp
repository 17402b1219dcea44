#include <adaptrec/data/split.hpp>

#include "fixture_files.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <tuple>

using namespace adaptrec;
using namespace adaptrec::data;

namespace {

// Random ratings for `num_users` users, with many timestamp ties.
std::vector<Rating> random_ratings(std::size_t n, std::int32_t num_users, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Rating> ratings(n);
  for (Rating& r : ratings)
    r = Rating{static_cast<std::int32_t>(rng() % static_cast<std::uint64_t>(num_users)),
               static_cast<std::int32_t>(rng() % 50), static_cast<float>(1 + rng() % 5),
               static_cast<std::int64_t>(rng() % 20)};
  return ratings;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(data_split)

BOOST_AUTO_TEST_CASE(leave_one_out_holds_out_the_latest_two_with_ties_in_input_order) {
  const std::vector<Rating> ratings = {
      {0, 10, 5, 300}, {0, 11, 4, 100}, {1, 20, 3, 50},  {0, 12, 3, 300},
      {0, 13, 2, 200}, {1, 21, 1, 60},  {2, 30, 5, 10},  {2, 31, 5, 10},
      {2, 32, 5, 10},
  };
  const LeaveOneOutSplit split = leave_one_out_split(ratings, 4);
  // User 0: times 300 (item 10), 100, 300 (item 12), 200. Item 12 ties with 10
  // at 300 but comes later in the input, so it is the latest.
  // User 1 has two ratings and keeps both. User 2: all tied, input order.
  BOOST_REQUIRE(split.test.size() == 2u);
  BOOST_TEST(split.test[0].item == 12);
  BOOST_TEST(split.validation[0].item == 10);
  BOOST_TEST(split.test[1].item == 32);
  BOOST_TEST(split.validation[1].item == 31);
  std::vector<std::int32_t> train_items;
  for (const Rating& r : split.train) train_items.push_back(r.item);
  BOOST_TEST(train_items == (std::vector<std::int32_t>{11, 20, 13, 21, 30}));  // input order
}

BOOST_AUTO_TEST_CASE(leave_one_out_invariants_on_random_logs) {
  const std::int32_t num_users = 40;
  const std::vector<Rating> ratings = random_ratings(600, num_users, 7);
  const LeaveOneOutSplit split = leave_one_out_split(ratings, num_users);
  BOOST_TEST(split.train.size() + split.validation.size() + split.test.size() == ratings.size());

  std::map<std::int32_t, std::size_t> total, in_train;
  for (const Rating& r : ratings) ++total[r.user];
  for (const Rating& r : split.train) ++in_train[r.user];
  std::set<std::int32_t> test_users;
  for (const Rating& t : split.test) {
    BOOST_TEST(test_users.insert(t.user).second);  // at most one per user
    BOOST_TEST(in_train[t.user] >= 1u);            // nobody loses all training items
    // Nothing in train is later than the test rating.
    for (const Rating& r : split.train)
      if (r.user == t.user) BOOST_TEST(r.timestamp <= t.timestamp);
  }
  for (const auto& [user, count] : total)
    BOOST_TEST(test_users.count(user) == (count >= 3 ? 1u : 0u));
  BOOST_TEST(split.validation.size() == split.test.size());
}

BOOST_AUTO_TEST_CASE(leave_one_out_rejects_users_out_of_range) {
  const std::vector<Rating> ratings = {{0, 1, 5, 1}, {3, 1, 5, 1}};
  const std::string message = adaptrec_test::message_of<index_error>(
      [&] { leave_one_out_split(ratings, 3); });
  BOOST_TEST(adaptrec_test::contains(message, "user 3 outside [0, 3)"), message);
}

BOOST_AUTO_TEST_CASE(random_ctr_split_sizes_labels_and_reproducibility) {
  const std::vector<Rating> ratings = random_ratings(1000, 30, 11);
  const CtrSplit a = random_ctr_split(ratings, 0.1, 0.2, 42);
  BOOST_TEST(a.validation.size() == 100u);
  BOOST_TEST(a.test.size() == 200u);
  BOOST_TEST(a.train.size() == 700u);

  // Every rating lands in exactly one part with label = rating >= 4.
  std::multiset<std::tuple<std::int32_t, std::int32_t, std::int64_t, float>> expected, got;
  for (const Rating& r : ratings)
    expected.insert({r.user, r.item, r.timestamp, r.rating >= 4.0f ? 1.0f : 0.0f});
  for (const auto* part : {&a.train, &a.validation, &a.test})
    for (const Interaction& x : *part) got.insert({x.user, x.item, x.timestamp, x.label});
  BOOST_TEST((expected == got));

  const CtrSplit again = random_ctr_split(ratings, 0.1, 0.2, 42);
  const CtrSplit other = random_ctr_split(ratings, 0.1, 0.2, 43);
  const auto same_items = [](const std::vector<Interaction>& x, const std::vector<Interaction>& y) {
    return std::equal(x.begin(), x.end(), y.begin(), y.end(),
                      [](const Interaction& p, const Interaction& q) {
                        return p.user == q.user && p.item == q.item && p.timestamp == q.timestamp;
                      });
  };
  BOOST_TEST(same_items(a.test, again.test));
  BOOST_TEST(!same_items(a.test, other.test));

  const CtrSplit strict = random_ctr_split(ratings, 0.1, 0.2, 42, 5.0f);
  for (const Interaction& x : strict.train) BOOST_TEST((x.label == 0.0f || x.label == 1.0f));
}

BOOST_AUTO_TEST_CASE(temporal_ctr_split_is_ordered_in_time) {
  const std::vector<Rating> ratings = random_ratings(500, 20, 13);
  const CtrSplit split = temporal_ctr_split(ratings, 0.2, 0.2);
  BOOST_TEST(split.train.size() == 300u);
  BOOST_TEST(split.validation.size() == 100u);
  BOOST_TEST(split.test.size() == 100u);
  const auto latest = [](const std::vector<Interaction>& part) {
    std::int64_t t = INT64_MIN;
    for (const Interaction& x : part) t = std::max(t, x.timestamp);
    return t;
  };
  const auto earliest = [](const std::vector<Interaction>& part) {
    std::int64_t t = INT64_MAX;
    for (const Interaction& x : part) t = std::min(t, x.timestamp);
    return t;
  };
  BOOST_TEST(latest(split.train) <= earliest(split.validation));
  BOOST_TEST(latest(split.validation) <= earliest(split.test));
  for (std::size_t i = 1; i < split.train.size(); ++i)
    BOOST_TEST(split.train[i - 1].timestamp <= split.train[i].timestamp);
}

BOOST_AUTO_TEST_CASE(bad_fractions_are_invalid_arguments) {
  const std::vector<Rating> ratings = random_ratings(10, 2, 1);
  BOOST_CHECK_THROW(random_ctr_split(ratings, 0.6, 0.5, 1), invalid_argument);
  BOOST_CHECK_THROW(random_ctr_split(ratings, -0.1, 0.5, 1), invalid_argument);
  BOOST_CHECK_THROW(temporal_ctr_split(ratings, std::nan(""), 0.1), invalid_argument);
  BOOST_CHECK_THROW(temporal_ctr_split(ratings, 0.1, 0.1, std::nanf("")), invalid_argument);
  const CtrSplit all_test = temporal_ctr_split(ratings, 0.0, 1.0);
  BOOST_TEST(all_test.test.size() == 10u);
  BOOST_TEST(all_test.train.empty());
}

BOOST_AUTO_TEST_CASE(items_by_user_is_chronological) {
  const std::vector<Rating> ratings = {{1, 5, 3, 30}, {0, 7, 3, 20}, {1, 6, 3, 10},
                                       {1, 8, 3, 30}, {0, 9, 3, 5}};
  const auto items = items_by_user(ratings, 3);
  BOOST_REQUIRE(items.size() == 3u);
  BOOST_TEST(items[0] == (std::vector<std::int32_t>{9, 7}));
  BOOST_TEST(items[1] == (std::vector<std::int32_t>{6, 5, 8}));
  BOOST_TEST(items[2].empty());
  BOOST_CHECK_THROW(items_by_user(ratings, 1), index_error);
}

BOOST_AUTO_TEST_SUITE_END()
