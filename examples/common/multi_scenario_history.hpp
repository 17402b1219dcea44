#pragma once
// Users represented partly by what they rated: the mean of the vectors of a
// user's training items, added to the user's own embedding (the implicit
// feedback term of SVD++, Koren, KDD 2008, sec. 4, here with the item table
// itself rather than a second one). Only training ratings count, so the
// validation and test items never leak into the user side.
#include <adaptrec/core/tensor.hpp>
#include <adaptrec/data/scenario_split.hpp>
#include <algorithm>
#include <vector>

namespace examples {

struct UserHistories {
  std::vector<std::vector<adaptrec::index_t>> items;  // by user, in the model's item ids

  // out[i] += mean of table's rows over users[i]'s items (nothing when none).
  template <class T>
  void add_means(const adaptrec::Tensor<adaptrec::index_t>& users, const adaptrec::Tensor<T>& table,
                 adaptrec::Tensor<T>& out) const {
    const adaptrec::index_t dim = table.cols();
    for (adaptrec::index_t i = 0; i < users.size(); ++i) {
      const auto& rated = items[static_cast<std::size_t>(users[i])];
      const T scale = rated.empty() ? T(0) : T(1) / static_cast<T>(rated.size());
      T* row = out.data() + i * dim;
      for (adaptrec::index_t item : rated) {
        const T* source = table.data() + item * dim;
        for (adaptrec::index_t k = 0; k < dim; ++k) row[k] += scale * source[k];
      }
    }
  }

  // The gradient of add_means: d_table[item] += d_out[i] / |items of users[i]|.
  template <class T>
  void add_mean_gradients(const adaptrec::Tensor<adaptrec::index_t>& users,
                          const adaptrec::Tensor<T>& d_out, adaptrec::Tensor<T>& d_table) const {
    const adaptrec::index_t dim = d_table.cols();
    for (adaptrec::index_t i = 0; i < users.size(); ++i) {
      const auto& rated = items[static_cast<std::size_t>(users[i])];
      if (rated.empty()) continue;
      const T scale = T(1) / static_cast<T>(rated.size());
      const T* row = d_out.data() + i * dim;
      for (adaptrec::index_t item : rated) {
        T* target = d_table.data() + item * dim;
        for (adaptrec::index_t k = 0; k < dim; ++k) target[k] += scale * row[k];
      }
    }
  }
};

// Every scenario's training ratings, by global item id: what the shared
// model and peft_star see.
inline UserHistories all_scenario_histories(const adaptrec::data::MultiScenarioData& data) {
  UserHistories h{
      std::vector<std::vector<adaptrec::index_t>>(static_cast<std::size_t>(data.num_users))};
  for (const adaptrec::data::ScenarioSplit& s : data.scenarios)
    for (const adaptrec::data::Rating& r : s.split.train)
      h.items[static_cast<std::size_t>(r.user)].push_back(r.item);
  return h;
}

// One scenario's training ratings, by the scenario's local item id: what a
// per-scenario model sees.
inline UserHistories scenario_histories(const adaptrec::data::ScenarioSplit& scenario,
                                        adaptrec::index_t num_users) {
  UserHistories h{std::vector<std::vector<adaptrec::index_t>>(static_cast<std::size_t>(num_users))};
  for (const adaptrec::data::Rating& r : scenario.split.train)
    h.items[static_cast<std::size_t>(r.user)].push_back(scenario.local_item(r.item));
  return h;
}

}  // namespace examples
