// One full training step (forward, loss, backward, optimizer step, zero_grad)
// of each example model on a fixed batch, as the example programs run it:
//   two_tower: examples/movielens_two_tower.cpp, batch 512, InfoNce(0.05) with
//              logQ correction and accidental-hit masking, Adam lr 0.002;
//   dcn:       examples/movielens_ctr.cpp, batch 1024, BCE with logits,
//              Adam lr 1e-3, weight decay 1e-5.
// Inputs come from synthetic_movielens.hpp; benchmarks/peers/ time the same
// step in PyTorch. The argument is the thread count.
#include "synthetic_movielens.hpp"

#include "common/ctr_model.hpp"
#include "common/two_tower_model.hpp"

#include <adaptrec/core/threads.hpp>
#include <adaptrec/losses/binary_cross_entropy.hpp>
#include <adaptrec/losses/info_nce.hpp>
#include <adaptrec/optim/adam.hpp>

#include <benchmark/benchmark.h>

namespace {

using namespace adaptrec;

void two_tower_step(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  const data::MovieLens ml = benchmarks::synthetic_movielens();
  examples::TwoTowerConfig config;
  config.num_users = ml.num_users();
  config.num_items = ml.num_items();
  config.num_occupations = static_cast<index_t>(ml.occupations.size());
  config.num_genres = static_cast<index_t>(ml.genre_names.size());
  Rng rng(42);
  examples::TwoTowerModel<float> model(config, rng);
  optim::Adam<float> optimizer(collect_parameters(model), {.learning_rate = 0.002f});
  losses::InfoNce<float> loss(0.05f);

  const auto batch = benchmarks::two_tower_batch(512);
  const std::vector<std::span<const std::int32_t>> histories(batch.histories.begin(),
                                                             batch.histories.end());
  const examples::TwoTowerInputs inputs(ml, config.recent_items);
  const examples::UserFeatures users = inputs.users(batch.users, histories);
  const examples::ItemFeatures items = inputs.items(batch.items);
  const index_t n = static_cast<index_t>(batch.items.size());
  Tensor<float> log_q(Shape{n});
  Tensor<index_t> item_ids(Shape{n});
  for (index_t b = 0; b < n; ++b) {
    log_q[b] = static_cast<float>(batch.log_q[static_cast<std::size_t>(b)]);
    item_ids[b] = batch.items[static_cast<std::size_t>(b)];
  }

  float value = 0;
  for (auto _ : state) {
    const Tensor<float> u = model.users.forward(users);
    const Tensor<float> v = model.items.forward(items);
    value = loss.forward(u, v, log_q, item_ids);
    auto grads = loss.backward();
    model.users.backward(grads.first);
    model.items.backward(grads.second);
    optimizer.step();
    optimizer.zero_grad();
  }
  state.counters["loss"] = value;
  state.counters["examples/s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}

void dcn_step(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  const data::MovieLens ml = benchmarks::synthetic_movielens();
  examples::CtrConfig config;
  config.num_users = ml.num_users();
  config.num_items = ml.num_items();
  config.num_occupations = static_cast<index_t>(ml.occupations.size());
  config.num_genres = static_cast<index_t>(ml.genre_names.size());
  Rng rng(42);
  examples::DcnModel<float> model(config, rng, 49);
  optim::Adam<float> optimizer(collect_parameters(model),
                               {.learning_rate = 1e-3f, .weight_decay = 1e-5f});
  losses::BinaryCrossEntropyWithLogits<float> loss;
  const auto rows = benchmarks::ctr_rows(1024);
  const examples::CtrFeatures features = examples::ctr_features(ml, rows);

  float value = 0;
  for (auto _ : state) {
    value = loss.forward(model.forward(features), features.labels);
    model.backward(loss.backward());
    optimizer.step();
    optimizer.zero_grad();
  }
  state.counters["loss"] = value;
  state.counters["examples/s"] = benchmark::Counter(static_cast<double>(rows.size()),
                                                    benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(two_tower_step)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(dcn_step)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
