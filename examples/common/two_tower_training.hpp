#pragma once
// The two-tower training loop shared by movielens_two_tower and
// movielens_text_two_tower: in-batch sampled softmax (InfoNCE) with logQ
// correction, causal user histories, early stopping on validation NDCG@10
// (leave-one-out, full ranking). `Model` has `users` and `items` towers.
#include <functional>
#include <adaptrec/data.hpp>
#include <adaptrec/losses/info_nce.hpp>
#include <adaptrec/optim/adam.hpp>
#include <adaptrec/train/trainer.hpp>
#include <cmath>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "loo_evaluation.hpp"
#include "two_tower_model.hpp"

namespace examples {

struct TwoTowerTraining {
  int epochs;
  std::uint64_t seed;
  std::size_t batch_size;
  float learning_rate, temperature;
  bool verbose;
  std::string label;
};

// Trains `model`; returns its test metrics and the fit summary. With
// `after_training`, the trained model is changed by it (item vectors
// re-encoded in another precision, say) and tested again into `retested`.
template <class Model>
std::pair<adaptrec::train::Metrics, adaptrec::train::FitResult> train_two_tower(
    Model &model, const adaptrec::data::MovieLens &ml,
    const adaptrec::data::LeaveOneOutSplit &split, const LooProtocol &validation,
    const LooProtocol &test, const TwoTowerTraining &o,
    const std::function<void(Model &)> &after_training = {},
    adaptrec::train::Metrics *retested = nullptr) {
  TwoTowerInputs inputs(ml, TwoTowerConfig{}.recent_items);
  adaptrec::optim::Adam<float> optimizer(adaptrec::collect_parameters(model),
                                         {.learning_rate = o.learning_rate});
  adaptrec::losses::InfoNce<float> loss(o.temperature);

  const auto histories = adaptrec::data::items_by_user(split.train, ml.num_users());
  struct Sample {
    std::int32_t user, position;
  };
  std::vector<Sample> samples;
  for (std::int32_t u = 0; u < ml.num_users(); ++u)
    for (std::size_t p = 0; p < histories[static_cast<std::size_t>(u)].size(); ++p)
      samples.push_back({u, static_cast<std::int32_t>(p)});
  std::vector<double> item_count(static_cast<std::size_t>(ml.num_items()), 0.0);
  for (const auto &r : split.train) item_count[static_cast<std::size_t>(r.item)] += 1;

  std::vector<std::int32_t> all_items(static_cast<std::size_t>(ml.num_items()));
  for (std::int32_t i = 0; i < ml.num_items(); ++i) all_items[static_cast<std::size_t>(i)] = i;
  // Item vectors once per evaluation: a fine-tuned text tower runs its top
  // layers over the whole catalogue for them.
  auto evaluate = [&](const LooProtocol &protocol) {
    const adaptrec::Tensor<float> item_vectors = model.items.forward(inputs.items(all_items));
    return evaluate_loo(protocol, [&](std::span<const std::int32_t> users,
                                      std::span<const std::span<const std::int32_t>> h) {
      const adaptrec::Tensor<float> user_vectors = model.users.forward(inputs.users(users, h));
      adaptrec::Tensor<float> scores(adaptrec::Shape{user_vectors.rows(), item_vectors.rows()});
      adaptrec::backend::gemm(user_vectors, adaptrec::backend::Trans::no, item_vectors,
                              adaptrec::backend::Trans::yes, scores);
      return scores;
    });
  };

  std::vector<std::int32_t> batch_users, batch_items;
  std::vector<std::span<const std::int32_t>> batch_histories;
  auto train_epoch = [&](int epoch, adaptrec::train::Progress &progress) {
    for (auto batch : adaptrec::data::shuffled_batches(
             samples.size(), o.batch_size, o.seed + static_cast<std::uint64_t>(epoch))) {
      batch_users.clear();
      batch_items.clear();
      batch_histories.clear();
      adaptrec::Tensor<float> log_q(
          adaptrec::Shape{static_cast<adaptrec::index_t>(ranges::distance(batch))});
      adaptrec::Tensor<adaptrec::index_t> item_ids(log_q.shape());
      index_t row = 0;
      for (std::size_t index : batch) {
        const Sample &s = samples[index];
        const auto &h = histories[static_cast<std::size_t>(s.user)];
        batch_users.push_back(s.user);
        batch_items.push_back(h[static_cast<std::size_t>(s.position)]);
        batch_histories.emplace_back(h.data(), static_cast<std::size_t>(s.position));
        item_ids[row] = batch_items.back();
        log_q[row++] =
            static_cast<float>(std::log(item_count[static_cast<std::size_t>(batch_items.back())] /
                                        static_cast<double>(split.train.size())));
      }
      const adaptrec::Tensor<float> u =
          model.users.forward(inputs.users(batch_users, batch_histories));
      const adaptrec::Tensor<float> v = model.items.forward(inputs.items(batch_items));
      const float value = loss.forward(u, v, log_q, item_ids);
      auto grads = loss.backward();
      model.users.backward(grads.first);
      model.items.backward(grads.second);
      optimizer.step();
      optimizer.zero_grad();
      progress.update(batch_users.size(), value);
    }
  };

  adaptrec::train::TrainerOptions options;
  options.max_epochs = o.epochs;
  options.patience = 3;
  options.metric = "NDCG@10";
  options.verbose = o.verbose;
  options.label = o.label;
  adaptrec::train::FitResult fit = adaptrec::train::fit(
      model, train_epoch, [&] { return evaluate(validation); }, options);
  adaptrec::train::Metrics tested = evaluate(test);
  if (after_training && retested) {
    after_training(model);
    *retested = evaluate(test);
  }
  return {tested, fit};
}

}  // namespace examples
