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

#include "multi_scenario_history.hpp"

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
    const std::vector<std::size_t> order = adaptrec::data::shuffled_indices(
        train.size(), seed * 31 + static_cast<std::uint64_t>(s.id));
    for (std::size_t begin = 0; begin < order.size(); begin += batch_size) {
      const auto n = static_cast<index_t>(std::min(batch_size, order.size() - begin));
      ScenarioBatch b{s.id, Tensor<index_t>(adaptrec::Shape{n}),
                      Tensor<index_t>(adaptrec::Shape{n})};
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

// The items one LoRA step runs through the tuned text layer: every positive
// of the batch, then uniform draws from the scenario's other items up to
// `limit` in all. `rows` are their places in the scenario's item list; a
// drawn item's gradient is weighted by 1 / its inclusion probability, so that
// the gradient summed over the candidates is an unbiased estimate of the one
// over all the scenario's items (Horvitz and Thompson, JASA 1952).
struct TunedCandidates {
  Tensor<index_t> items, rows;
  std::vector<float> gradient_weights;
};

inline TunedCandidates tuned_candidates(const ScenarioBatch& batch,
                                        const adaptrec::data::ScenarioSplit& scenario,
                                        std::size_t limit, adaptrec::Rng& rng) {
  const auto n = static_cast<std::size_t>(scenario.num_items());
  std::vector<char> kind(n, 0);  // 0: left out, 1: a positive, 2: drawn
  std::size_t positives = 0;
  for (index_t i = 0; i < batch.local_items.size(); ++i) {
    char& k = kind[static_cast<std::size_t>(batch.local_items[i])];
    positives += k == 0;
    k = 1;
  }
  const std::size_t total = std::max(positives, std::min(limit, n));
  for (std::size_t count = positives; count < total;) {
    char& k = kind[adaptrec::data::uniform_below(rng, n)];
    count += k == 0;
    if (k == 0) k = 2;
  }
  const float draw_weight =
      total > positives ? static_cast<float>(n - positives) / static_cast<float>(total - positives)
                        : 1.0f;
  TunedCandidates c{Tensor<index_t>(adaptrec::Shape{static_cast<index_t>(total)}),
                    Tensor<index_t>(adaptrec::Shape{static_cast<index_t>(total)}),
                    {}};
  index_t next = 0;
  for (std::size_t local = 0; local < n; ++local)
    if (kind[local] != 0) {
      c.items[next] = scenario.items[local];
      c.rows[next++] = static_cast<index_t>(local);
      c.gradient_weights.push_back(kind[local] == 1 ? 1.0f : draw_weight);
    }
  return c;
}

// Mean softmax cross-entropy of each user's positive among all `items`
// (logits = user . item), with its gradients: d_users = G V, d_items = G^T U.
template <class T = float>
struct FullSoftmax {
  adaptrec::losses::SoftmaxCrossEntropy<T> loss;
  Tensor<T> d_users, d_items;

  T forward_backward(const Tensor<T>& users, const Tensor<T>& items,
                     const Tensor<index_t>& labels) {
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

// The full softmax over a scenario's items when only the candidates' vectors
// are recomputed: the others come from `cache` [scenario items, dim], taken
// with the current weights at the start of the epoch. The loss is the same as
// FullSoftmax's; gradients reach the candidates only (d_candidates).
template <class T = float>
struct PartlyCachedSoftmax {
  FullSoftmax<T> full;
  Tensor<T> d_candidates;

  T forward_backward(const Tensor<T>& users, const Tensor<T>& cache, const Tensor<T>& candidates,
                     const TunedCandidates& c, const Tensor<index_t>& local_labels) {
    Tensor<T> items = cache;
    const index_t dim = items.cols();
    for (index_t i = 0; i < c.rows.size(); ++i)
      std::copy_n(candidates.data() + i * dim, dim, items.data() + c.rows[i] * dim);
    const T value = full.forward_backward(users, items, local_labels);
    d_candidates = Tensor<T>(candidates.shape());
    adaptrec::backend::gather_rows(full.d_items, c.rows, d_candidates);
    for (index_t i = 0; i < c.rows.size(); ++i)
      for (index_t k = 0; k < dim; ++k)
        d_candidates(i, k) *= static_cast<T>(c.gradient_weights[static_cast<std::size_t>(i)]);
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
// scored by dot products and trained with a full softmax over the items. With
// histories, a user's vector also adds the mean of the user's training items'
// vectors (multi_scenario_history.hpp).
template <class T = float>
class IdTwoTower : public adaptrec::TrainingMode {
 public:
  using scalar_type = T;
  IdTwoTower(index_t num_users, index_t num_items, index_t dim, adaptrec::Rng& rng,
             UserHistories histories = {})
      : users_(num_users, dim, rng),
        items_(num_items, dim, rng),
        all_items_(iota_ids(num_items)),
        histories_(std::move(histories)) {}

  index_t num_items() const { return items_.num_embeddings(); }

  // One step's loss and gradients; labels are item ids of this model's table.
  T train_step(const Tensor<index_t>& users, const Tensor<index_t>& labels) {
    Tensor<T> u = users_.forward(users);
    if (uses_histories()) histories_.add_means(users, item_vectors(), u);
    const Tensor<T> v = items_.forward(all_items_);
    const T value = softmax_.forward_backward(u, v, labels);
    users_.backward(softmax_.d_users);
    if (uses_histories()) histories_.add_mean_gradients(users, softmax_.d_users, softmax_.d_items);
    items_.backward(softmax_.d_items);
    return value;
  }

  Tensor<T> user_vectors() const {
    Tensor<T> u = users_.weight().value;
    if (uses_histories()) histories_.add_means(iota_ids(u.rows()), item_vectors(), u);
    return u;
  }
  const Tensor<T>& item_vectors() const { return items_.weight().value; }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    users_.visit_parameters(f, adaptrec::join_name(prefix, "user_id"));
    items_.visit_parameters(f, adaptrec::join_name(prefix, "item_id"));
  }

 private:
  bool uses_histories() const { return !histories_.items.empty(); }

  adaptrec::layers::Embedding<T> users_, items_;
  Tensor<index_t> all_items_;
  UserHistories histories_;
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
