#pragma once
// Training of model (c) of examples/multi_scenario.cpp, PeftStar
// (multi_scenario_peft_star.hpp), in two phases: everything but the LoRA sets
// on cached text vectors, then the LoRA sets alone.
#include <adaptrec/encoders/item_text_encoder.hpp>
#include <adaptrec/optim/adam.hpp>
#include <adaptrec/train/snapshot.hpp>
#include <cstdio>
#include <utility>
#include <vector>

#include "multi_scenario_peft_star.hpp"
#include "multi_scenario_run.hpp"

namespace examples {

// peft_star's second phase: only the LoRA sets train, on the first phase's
// objective, a full softmax over the batch's scenario's items. The step's
// candidates (tuned_candidates) run through the tuned layer; the
// other items' vectors come from a cache taken at the start of each epoch,
// which goes stale only by that epoch's LoRA updates since all else is frozen.
template <class Evaluate>
adaptrec::train::FitResult tune_lora(PeftStar<float>& model,
                                     const adaptrec::data::MultiScenarioData& data,
                                     const Tasks& tasks,
                                     const std::vector<Tensor<index_t>>& scenario_items,
                                     Evaluate&& evaluate, const Settings& s) {
  model.tune_text(true);
  adaptrec::set_trainable(model, false);  // items_forward's select() unfreezes the batch's LoRA set
  adaptrec::optim::Adam<float> optimizer(adaptrec::collect_parameters(model),
                                         {.learning_rate = s.tune_learning_rate});
  PartlyCachedSoftmax<float> softmax;
  std::vector<Tensor<float>> cache(data.scenarios.size());
  adaptrec::Rng sampler(s.seed + 2);
  const std::size_t cap = s.max_steps > 0 && (s.tune_steps == 0 || s.max_steps < s.tune_steps)
                              ? s.max_steps
                              : s.tune_steps;
  auto train_epoch = [&](int epoch, adaptrec::train::Progress& progress) {
    model.train(false);
    for (std::size_t id = 0; id < cache.size(); ++id)
      cache[id] = model.items_forward(scenario_items[id], static_cast<index_t>(id));
    model.train(true);
    std::size_t steps = 0;
    for (const ScenarioBatch& b : scenario_batches(
             data, s.tune_batch_size, s.seed + 1000 + static_cast<std::uint64_t>(epoch))) {
      if (cap > 0 && steps++ >= cap) break;
      const auto id = static_cast<std::size_t>(b.scenario);
      const TunedCandidates c = tuned_candidates(b, data.scenarios[id], s.tune_candidates, sampler);
      const Tensor<float> v = model.items_forward(c.items, b.scenario);
      const Tensor<float> u = model.users_forward(b.users, b.scenario);
      const float loss = softmax.forward_backward(u, cache[id], v, c, b.local_items);
      model.items_backward(softmax.d_candidates);
      optimizer.step();
      optimizer.zero_grad();
      progress.update(static_cast<std::size_t>(b.users.size()), loss);
    }
  };
  return adaptrec::train::fit(
      model, train_epoch, [&] { return validation_metrics(evaluate(tasks.validation)); },
      trainer_options(s, s.tune_epochs, "peft_star/lora"));
}

// (c) frozen MiniLM with per-scenario LoRA, STAR towers.
inline ModelResult train_peft_star(const adaptrec::data::MultiScenarioData& data,
                                   const Tasks& tasks,
                                   adaptrec::encoders::ItemTextEncoder<float> text,
                                   const Settings& s) {
  const auto start = Clock::now();
  adaptrec::Rng rng(s.seed);
  PeftStarOptions o;
  o.dim = s.dim;
  o.num_users = data.num_users;
  o.num_scenarios = static_cast<index_t>(data.scenarios.size());
  o.lora.rank = 8;
  o.lora.alpha = 16;
  o.lora.layers = {text.encoder().num_layers() - 1};
  if (s.user_histories) o.user_histories = all_scenario_histories(data);
  if (s.star_hidden > 0) o.star_hidden = {s.star_hidden};
  PeftStar<float> model(std::move(text), o, rng);

  std::vector<Tensor<index_t>> scenario_items;
  for (const adaptrec::data::ScenarioSplit& scenario : data.scenarios)
    scenario_items.push_back(as_ids(scenario.items));
  auto evaluate = [&](const std::vector<adaptrec::metrics::ScenarioRankingTask>& t) {
    const Tensor<index_t> all_users = iota_ids(data.num_users);
    return evaluate_scenarios(t, [&](int id) {
      const auto& scenario = data.scenarios[static_cast<std::size_t>(id)];
      Tensor<float> items(adaptrec::Shape{data.num_items, s.dim});
      place_scenario_rows(model.items_forward(scenario_items[static_cast<std::size_t>(id)], id),
                          scenario, items);
      return std::pair<Tensor<float>, Tensor<float>>(model.users_forward(all_users, id),
                                                     std::move(items));
    });
  };

  // Phase 1: the LoRA sets stay at zero, so the pooled text comes from the
  // cache and a step costs no more than an ID model's.
  FullSoftmax<float> softmax;
  adaptrec::optim::Adam<float> optimizer(adaptrec::collect_parameters(model),
                                         {.learning_rate = s.peft_learning_rate});
  auto train_epoch = [&](int epoch, adaptrec::train::Progress& progress) {
    std::size_t steps = 0;
    for (const ScenarioBatch& b :
         scenario_batches(data, s.batch_size, s.seed + static_cast<std::uint64_t>(epoch))) {
      if (s.max_steps > 0 && steps++ >= s.max_steps) break;
      const auto id = static_cast<std::size_t>(b.scenario);
      const Tensor<float> v = model.items_forward(scenario_items[id], b.scenario);
      const Tensor<float> u = model.users_forward(b.users, b.scenario);
      const float loss = softmax.forward_backward(u, v, b.local_items);
      model.users_backward(softmax.d_users);
      model.items_backward(softmax.d_items);
      optimizer.step();
      optimizer.zero_grad();
      progress.update(static_cast<std::size_t>(b.users.size()), loss);
    }
  };
  const auto frozen = adaptrec::train::fit(
      model, train_epoch, [&] { return validation_metrics(evaluate(tasks.validation)); },
      trainer_options(s, s.epochs, "peft_star/frozen_text"));
  if (s.tune_epochs > 0) {
    const auto before = adaptrec::train::ParameterSnapshot<float>::take(model);
    const auto tuned = tune_lora(model, data, tasks, scenario_items, evaluate, s);
    if (tuned.best_value <= frozen.best_value) {
      before.restore(model);
      model.tune_text(false);
      if (s.verbose)
        std::fprintf(stderr,
                     "peft_star: LoRA phase did not improve validation NDCG@10 "
                     "(%.4f <= %.4f); keeping the first phase\n",
                     tuned.best_value, frozen.best_value);
    }
  }
  model.train(false);
  ModelResult result{"peft_star", evaluate(tasks.test), 0, 0, 0};
  const auto own = adaptrec::count_parameters(model);  // every LoRA set, projection, IDs, STAR
  result.trainable = own.total;
  result.total = own.total + adaptrec::count_parameters(model.detached_encoder()).total +
                 adaptrec::count_parameters(model.text_projection()).total;
  result.seconds = seconds_since(start);
  return result;
}

}  // namespace examples
