#pragma once
// Leave-one-out evaluation with full ranking: every user's held-out item is
// ranked against all items, except those the user already interacted with
// before it (train items, and for the test item also the validation item).
// Ties count against the model (metrics::rank_of_target).
#include <adaptrec/core/tensor.hpp>
#include <adaptrec/data/split.hpp>
#include <adaptrec/metrics.hpp>
#include <adaptrec/train/trainer.hpp>

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace examples {

struct LooProtocol {
  std::vector<std::vector<std::int32_t>> histories;  // per user, chronological
  std::vector<std::int32_t> targets;                 // per user; -1 when the user has none
};

// Validation: history = train items, target = the second-to-last item.
// Test: history = train items + the validation item, target = the last item.
inline LooProtocol loo_protocol(const adaptrec::data::LeaveOneOutSplit& split,
                                std::int32_t num_users, bool test) {
  LooProtocol p;
  p.histories = adaptrec::data::items_by_user(split.train, num_users);
  p.targets.assign(static_cast<std::size_t>(num_users), -1);
  for (const auto& r : (test ? split.test : split.validation))
    p.targets[static_cast<std::size_t>(r.user)] = r.item;
  if (test)
    for (const auto& r : split.validation)
      p.histories[static_cast<std::size_t>(r.user)].push_back(r.item);
  return p;
}

// score(users, histories) returns a [users, num_items] tensor of scores.
template <class ScoreUsers>
adaptrec::train::Metrics evaluate_loo(const LooProtocol& protocol, ScoreUsers&& score, int k = 10,
                                      std::size_t batch_size = 256) {
  adaptrec::metrics::RankingMetrics metrics({k});
  std::vector<std::int32_t> users;
  for (std::size_t u = 0; u < protocol.targets.size(); ++u)
    if (protocol.targets[u] >= 0) users.push_back(static_cast<std::int32_t>(u));
  std::vector<std::int64_t> excluded;
  for (std::size_t begin = 0; begin < users.size(); begin += batch_size) {
    const std::size_t end = std::min(users.size(), begin + batch_size);
    std::span<const std::int32_t> batch(users.data() + begin, end - begin);
    std::vector<std::span<const std::int32_t>> histories;
    for (std::int32_t u : batch) histories.emplace_back(protocol.histories[static_cast<std::size_t>(u)]);
    const adaptrec::Tensor<float> scores = score(batch, std::span(histories));
    const auto num_items = scores.cols();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto& history = protocol.histories[static_cast<std::size_t>(batch[i])];
      excluded.assign(history.begin(), history.end());
      std::span<const float> row(scores.data() + static_cast<std::ptrdiff_t>(i) * num_items,
                                 static_cast<std::size_t>(num_items));
      metrics.add_rank(adaptrec::metrics::rank_of_target(
          row, protocol.targets[static_cast<std::size_t>(batch[i])], excluded));
    }
  }
  return {{"HR@" + std::to_string(k), metrics.hit_rate(k)},
          {"NDCG@" + std::to_string(k), metrics.ndcg(k)},
          {"MRR", metrics.mrr()}};
}

}  // namespace examples
