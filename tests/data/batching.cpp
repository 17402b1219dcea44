#include <adaptrec/data/batching.hpp>
#include <adaptrec/data/movielens_dataset.hpp>

#include <boost/test/unit_test.hpp>

#include <range/v3/view/transform.hpp>

#include <algorithm>
#include <numeric>
#include <utility>
#include <vector>

using namespace adaptrec;
using namespace adaptrec::data;

BOOST_AUTO_TEST_SUITE(data_batching)

BOOST_AUTO_TEST_CASE(shuffled_batches_cover_every_index_once) {
  for (const bool drop_last : {false, true}) {
    std::vector<std::size_t> seen;
    std::vector<std::size_t> sizes;
    for (const Batch batch : shuffled_batches(103, 10, 7, drop_last)) {
      sizes.push_back(batch.size());
      seen.insert(seen.end(), batch.begin(), batch.end());
    }
    std::vector<std::size_t> expected_sizes(10, 10);
    if (!drop_last) expected_sizes.push_back(3);
    BOOST_TEST(sizes == expected_sizes);
    std::sort(seen.begin(), seen.end());
    BOOST_TEST((std::adjacent_find(seen.begin(), seen.end()) == seen.end()));  // no repeats
    if (!drop_last) {
      std::vector<std::size_t> all(103);
      std::iota(all.begin(), all.end(), std::size_t{0});
      BOOST_TEST(seen == all);
    } else {
      BOOST_TEST(seen.size() == 100u);
    }
  }
}

BOOST_AUTO_TEST_CASE(seeds_give_different_orders_and_same_seed_the_same) {
  const auto flatten = [](std::uint64_t seed) {
    std::vector<std::size_t> order;
    for (const Batch batch : shuffled_batches(50, 8, seed)) order.insert(order.end(), batch.begin(), batch.end());
    return order;
  };
  BOOST_TEST(flatten(1) == flatten(1));
  BOOST_TEST(flatten(1) != flatten(2));
  const auto view = shuffled_batches(50, 8, 1);
  BOOST_TEST(ranges::size(view) == 7u);
  const std::vector<std::size_t> order = flatten(1);
  BOOST_TEST(std::vector<std::size_t>(view[6].begin(), view[6].end()) ==
             std::vector<std::size_t>(order.begin() + 48, order.end()));
}

BOOST_AUTO_TEST_CASE(batches_chunks_any_sized_range) {
  std::vector<int> values(11);
  std::iota(values.begin(), values.end(), 0);
  std::vector<std::vector<int>> kept, dropped;
  for (auto batch : batches(values, 4)) kept.emplace_back(batch.begin(), batch.end());
  for (auto batch : batches(values, 4, /*drop_last=*/true))
    dropped.emplace_back(batch.begin(), batch.end());
  BOOST_TEST(kept.size() == 3u);
  BOOST_TEST(kept[2] == (std::vector<int>{8, 9, 10}));
  BOOST_TEST(dropped.size() == 2u);
  BOOST_TEST(dropped[1] == (std::vector<int>{4, 5, 6, 7}));
  BOOST_CHECK_THROW(batches(values, 0), invalid_argument);
  BOOST_CHECK_THROW(shuffled_batches(10, 0, 1), invalid_argument);
  BOOST_TEST(ranges::distance(shuffled_batches(0, 4, 1)) == 0);
}

BOOST_AUTO_TEST_CASE(batches_map_to_tensors_with_transform) {
  const std::vector<Rating> train = {{0, 10, 5, 1}, {1, 11, 3, 2}, {2, 12, 4, 3},
                                     {3, 13, 1, 4}, {4, 14, 2, 5}};
  const auto to_tensors = [&](Batch batch) {
    return std::pair{gather_ids(batch, [&](std::size_t i) { return train[i].user; }),
                     gather<float>(batch, [&](std::size_t i) { return train[i].rating; })};
  };
  std::vector<index_t> users_seen;
  for (auto [users, labels] : shuffled_batches(train.size(), 2, 3) | ranges::views::transform(to_tensors)) {
    BOOST_REQUIRE(users.rank() == 1);
    BOOST_REQUIRE(labels.shape() == users.shape());
    for (index_t k = 0; k < users.size(); ++k) {
      const Rating& r = train[static_cast<std::size_t>(users[k])];
      BOOST_TEST(labels[k] == r.rating);
      users_seen.push_back(users[k]);
    }
  }
  std::sort(users_seen.begin(), users_seen.end());
  BOOST_TEST(users_seen == (std::vector<index_t>{0, 1, 2, 3, 4}));
}

BOOST_AUTO_TEST_SUITE_END()
