#pragma once
// Training and evaluation pieces shared by the three models of
// examples/multi_scenario.cpp: per-scenario batches, the full softmax over a
// candidate set, the ID two-tower model, and per-scenario leave-one-out
// evaluation (metrics/scenario_ranking.hpp).
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/data/scenario_split.hpp>
#include <adaptrec/data/shuffle.hpp>
#include <adaptrec/layers/embedding.hpp>
#include <adaptrec/losses/softmax_cross_entropy.hpp>
#include <adaptrec/metrics/scenario_ranking.hpp>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

namespace examples {

using adaptrec::index_t;
using adaptrec::Tensor;

// Training interactions of one scenario: users by global id, items by their
// position in the scenario's item list (its local id, the softmax label).
struct ScenarioBatch {
  int scenario = -1;
  Tensor<index_t> users, local_items;
};

// Every scenario's training ratings cut into batches of `batch_size` after a
// seeded shuffle, then all scenarios' batches in one seeded random order, so
// that scenarios interleave through the epoch. `only` restricts to one scenario.
inline std::vector<ScenarioBatch> scenario_batches(const adaptrec::data::MultiScenarioData& data,
                                                   std::size_t batch_size, std::uint64_t seed,
                                                   int only = -1) {
  std::vector<ScenarioBatch> batches;
  for (const adaptrec::data::ScenarioSplit& s : data.scenarios) {
    if (only >= 0 && s.id != only) continue;
    const auto& train = s.split.train;
    const std::vector<std::size_t> order =
        adaptrec::data::shuffled_indices(train.size(), seed * 31 + static_cast<std::uint64_t>(s.id));
    for (std::size_t begin = 0; begin < order.size(); begin += batch_size) {
      const auto n = static_cast<index_t>(std::min(batch_size, order.size() - begin));
      ScenarioBatch b{s.id, Tensor<index_t>(adaptrec::Shape{n}), Tensor<index_t>(adaptrec::Shape{n})};
      for (index_t i = 0; i < n; ++i) {
        const auto& r = train[order[begin + static_cast<std::size_t>(i)]];
        b.users[i] = r.user;
        b.local_items[i] = s.local_item(r.item);
      }
      batches.push_back(std::move(b));
    }
  }
  const std::vector<std::size_t> order = adaptrec::data::shuffled_indices(batches.size(), seed);
  std::vector<ScenarioBatch> interleaved;
  interleaved.reserve(batches.size());
  for (std::size_t i : order) interleaved.push_back(std::move(batches[i]));
  return interleaved;
}

// A sampled softmax's candidates for one batch: every positive of the batch
// and uniform draws from the scenario's other items, `limit` in all (or just
// the positives when they are more). Returns the candidates' global item ids,
// ascending, and each batch row's label: its positive's place among them.
inline std::pair<Tensor<index_t>, Tensor<index_t>> sampled_candidates(
    const ScenarioBatch& batch, const adaptrec::data::ScenarioSplit& scenario, std::size_t limit,
    adaptrec::Rng& rng) {
  const auto n = static_cast<std::size_t>(scenario.num_items());
  std::vector<char> chosen(n, 0);
  std::size_t count = 0;
  for (index_t i = 0; i < batch.local_items.size(); ++i) {
    char& c = chosen[static_cast<std::size_t>(batch.local_items[i])];
    count += c == 0;
    c = 1;
  }
  while (count < std::min(limit, n)) {
    char& c = chosen[adaptrec::data::uniform_below(rng, n)];
    count += c == 0;
    c = 1;
  }
  Tensor<index_t> items(adaptrec::Shape{static_cast<index_t>(count)});
  std::vector<index_t> place(n, -1);
  index_t next = 0;
  for (std::size_t local = 0; local < n; ++local)
    if (chosen[local]) {
      place[local] = next;
      items[next++] = scenario.items[local];
    }
  Tensor<index_t> labels(batch.local_items.shape());
  for (index_t i = 0; i < labels.size(); ++i)
    labels[i] = place[static_cast<std::size_t>(batch.local_items[i])];
  return {std::move(items), std::move(labels)};
}

// Mean softmax cross-entropy of each user's positive among all `items`
// (logits = user . item), with its gradients: d_users = G V, d_items = G^T U.
template <class T = float>
struct FullSoftmax {
  adaptrec::losses::SoftmaxCrossEntropy<T> loss;
  Tensor<T> d_users, d_items;

  T forward_backward(const Tensor<T>& users, const Tensor<T>& items, const Tensor<index_t>& labels) {
    using adaptrec::backend::Trans;
    Tensor<T> logits(adaptrec::Shape{users.rows(), items.rows()});
    adaptrec::backend::gemm(users, Trans::no, items, Trans::yes, logits);
    const T value = loss.forward(logits, labels);
    const Tensor<T> g = loss.backward();
    d_users = Tensor<T>(users.shape());
    d_items = Tensor<T>(items.shape());
    adaptrec::backend::gemm(g, Trans::no, items, Trans::no, d_users);
    adaptrec::backend::gemm(g, Trans::yes, users, Trans::no, d_items);
    return value;
  }
};

inline Tensor<index_t> iota_ids(index_t n) {
  Tensor<index_t> ids(adaptrec::Shape{n});
  std::iota(ids.begin(), ids.end(), index_t(0));
  return ids;
}

inline Tensor<index_t> as_ids(const std::vector<std::int32_t>& values) {
  Tensor<index_t> ids(adaptrec::Shape{static_cast<index_t>(values.size())});
  std::copy(values.begin(), values.end(), ids.begin());
  return ids;
}

// Matrix factorisation as a two-tower model: a user table and an item table,
// scored by dot products and trained with a full softmax over the items.
template <class T = float>
class IdTwoTower : public adaptrec::TrainingMode {
 public:
  using scalar_type = T;
  IdTwoTower(index_t num_users, index_t num_items, index_t dim, adaptrec::Rng& rng)
      : users_(num_users, dim, rng), items_(num_items, dim, rng), all_items_(iota_ids(num_items)) {}

  index_t num_items() const { return items_.num_embeddings(); }

  // One step's loss and gradients; labels are item ids of this model's table.
  T train_step(const Tensor<index_t>& users, const Tensor<index_t>& labels) {
    const Tensor<T> u = users_.forward(users);
    const Tensor<T> v = items_.forward(all_items_);
    const T value = softmax_.forward_backward(u, v, labels);
    users_.backward(softmax_.d_users);
    items_.backward(softmax_.d_items);
    return value;
  }

  const Tensor<T>& user_vectors() const { return users_.weight().value; }
  const Tensor<T>& item_vectors() const { return items_.weight().value; }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    users_.visit_parameters(f, adaptrec::join_name(prefix, "user_id"));
    items_.visit_parameters(f, adaptrec::join_name(prefix, "item_id"));
  }

 private:
  adaptrec::layers::Embedding<T> users_, items_;
  Tensor<index_t> all_items_;
  FullSoftmax<T> softmax_;
};

// Rows of `local` [scenario items, dim] placed at the scenario's global item
// ids of a [num_items, dim] table (other rows zero), for evaluate_scenario_ranking.
template <class T>
void place_scenario_rows(const Tensor<T>& local, const adaptrec::data::ScenarioSplit& scenario,
                         Tensor<T>& global) {
  const index_t dim = global.cols();
  for (std::size_t i = 0; i < scenario.items.size(); ++i)
    std::copy_n(local.data() + static_cast<index_t>(i) * dim, dim,
                global.data() + static_cast<index_t>(scenario.items[i]) * dim);
}

// vectors(s) returns {user vectors [num_users, dim], item vectors
// [num_items, dim]} for scenario s, rows by global id.
template <class Vectors>
std::vector<adaptrec::metrics::RankingMetrics> evaluate_scenarios(
    const std::vector<adaptrec::metrics::ScenarioRankingTask>& tasks, Vectors&& vectors) {
  std::vector<adaptrec::metrics::RankingMetrics> out;
  for (const auto& task : tasks) {
    const auto [users, items] = vectors(task.scenario);
    out.push_back(adaptrec::metrics::evaluate_scenario_ranking(task, users, items, {10}));
  }
  return out;
}

inline double mean_ndcg(const std::vector<adaptrec::metrics::RankingMetrics>& per_scenario) {
  return adaptrec::metrics::mean_over_scenarios(per_scenario, 10).ndcg;
}

}  // namespace examples
