// Multi-scenario recommendation on MovieLens 100K: one frozen pretrained text
// encoder with per-scenario LoRA and STAR towers against ID-only models.
//
// Scenarios are genre groups (data/scenarios.hpp,
// default_movielens_genre_scenarios); an item belongs to the first group that
// lists one of its genres:
//   family: Children's, Animation, Musical, Fantasy
//   action: Action, Adventure, Sci-Fi, Thriller, Western
//   comedy: Comedy, Romance
//   drama:  Drama, War, Crime, Film-Noir, Mystery, Horror, Documentary
// Items whose only genre is "unknown" are dropped. Within each scenario, each
// user's last rating there is the test item, the one before the validation
// item (users with fewer than 5 ratings in the scenario are left out of it).
// Every metric is a full ranking over that scenario's items, excluding what
// the user rated there before (metrics/scenario_ranking.hpp); "all" is the
// mean over scenarios, each counting once.
//
// Models, each trained with a full softmax over the candidate items and early
// stopping on validation NDCG@10 (the test split is scored once, at the end).
// With --history 1 (the default) every model adds to a user's vector the
// mean of the vectors of the user's training items (SVD++'s implicit term,
// examples/common/multi_scenario_history.hpp); --dim, --epochs and the early
// stopping are the same for all three. Each model's learning rate is the
// better of 0.003 and 0.001 on validation NDCG@10 with seed 42 (--lr for the
// ID models, --peft-lr for peft_star).
//  (a) per_scenario: matrix factorisation (user and item ID embeddings, dot
//      product) trained on each scenario's data alone, softmax over its items;
//      a user's history is their training items in that scenario. Its
//      parameters are the sum over the scenario models.
//  (b) shared: one such model over all scenarios' training ratings, softmax
//      over all items, no scenario input; histories span all scenarios.
//  (c) peft_star (examples/common/multi_scenario_peft_star.hpp):
//      all-MiniLM-L6-v2 (frozen, dropout off, mean pooling) encodes each
//      item's "title (year) | genres"; each scenario has its own LoRA set
//      (rank 8, query and value of the top layer). Item tower: a projection
//      of the pooled text plus an item-ID embedding; user tower: a user-ID
//      embedding plus, over the user's training items in all scenarios, the
//      mean of their item-ID embeddings and a projection of their mean pooled
//      text. Each tower ends in STAR (shared and per-scenario weights, one
//      ReLU hidden layer of --star-hidden units).
//      Batches hold one scenario each, scenarios interleaved; the softmax
//      runs over the batch's scenario's items. Two phases
//      (multi_scenario_peft_star_training.hpp): with the LoRA sets at zero,
//      the pooled text is computed once and everything else trains
//      (--epochs); then only the LoRA sets train (--tune-epochs of
//      --tune-steps steps, --tune-lr) on the same full softmax: a step's
//      positives and uniform draws (--tune-candidates in all) run through the
//      tuned layer, the other items' vectors come from a cache refreshed each
//      epoch. The LoRA phase is kept only if it raises validation NDCG@10.
//
//   scripts/fetch_minilm.sh   # prints the model folder
//   multi_scenario --data ../shared/data --seed 42 --threads 2
//
// Prints progress on stderr, a table on stderr, and one JSON line per model
// and scenario on stdout.
#include <adaptrec/core/threads.hpp>
#include <adaptrec/data.hpp>
#include <adaptrec/encoders/bert_pretrained.hpp>
#include <adaptrec/optim/adam.hpp>
#include <adaptrec/text/bert_tokenizer.hpp>
#include <adaptrec/train/snapshot.hpp>
#include <adaptrec/train/trainer.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <set>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "common/multi_scenario_peft_star_training.hpp"
#include "common/multi_scenario_run.hpp"
#include "common/multi_scenario_training.hpp"

namespace {

using namespace adaptrec;
using examples::Clock;
using examples::ModelResult;
using examples::PerScenario;
using examples::ScenarioBatch;
using examples::seconds_since;
using examples::Settings;
using examples::Tasks;
using examples::trainer_options;
using examples::validation_metrics;

// Global-id tables for evaluate_scenario_ranking from a per-scenario model.
std::pair<Tensor<float>, Tensor<float>> scenario_vectors(const examples::IdTwoTower<float>& model,
                                                         const data::ScenarioSplit& scenario,
                                                         index_t num_items) {
  Tensor<float> items(Shape{num_items, model.item_vectors().cols()});
  examples::place_scenario_rows(model.item_vectors(), scenario, items);
  return {model.user_vectors(), std::move(items)};
}

// (a) one ID model per scenario, on that scenario's data only.
ModelResult train_per_scenario(const data::MultiScenarioData& data, const Tasks& tasks,
                               const Settings& s) {
  const auto start = Clock::now();
  ModelResult result{"per_scenario", {}, 0, 0, 0};
  for (const data::ScenarioSplit& scenario : data.scenarios) {
    Rng rng(s.seed + static_cast<std::uint64_t>(scenario.id));
    examples::IdTwoTower<float> model(data.num_users, scenario.num_items(), s.dim, rng,
                                      s.user_histories
                                          ? examples::scenario_histories(scenario, data.num_users)
                                          : examples::UserHistories{});
    optim::Adam<float> optimizer(collect_parameters(model), {.learning_rate = s.learning_rate});
    auto train_epoch = [&](int epoch, train::Progress& progress) {
      std::size_t steps = 0;
      for (const ScenarioBatch& b : examples::scenario_batches(
               data, s.batch_size, s.seed + static_cast<std::uint64_t>(epoch), scenario.id)) {
        if (s.max_steps > 0 && steps++ >= s.max_steps) break;
        const float loss = model.train_step(b.users, b.local_items);
        optimizer.step();
        optimizer.zero_grad();
        progress.update(static_cast<std::size_t>(b.users.size()), loss);
      }
    };
    const std::size_t id = static_cast<std::size_t>(scenario.id);
    auto evaluate = [&](const metrics::ScenarioRankingTask& task) {
      const auto [users, items] = scenario_vectors(model, scenario, data.num_items);
      return metrics::evaluate_scenario_ranking(task, users, items, {10});
    };
    train::fit(
        model, train_epoch, [&] { return validation_metrics({evaluate(tasks.validation[id])}); },
        trainer_options(s, s.epochs, "per_scenario/" + scenario.name));
    result.test.push_back(evaluate(tasks.test[id]));
    const auto count = count_parameters(model);
    result.trainable += count.trainable;
    result.total += count.total;
  }
  result.seconds = seconds_since(start);
  return result;
}

// (b) one ID model over every scenario's ratings, blind to the scenario.
ModelResult train_shared(const data::MultiScenarioData& data, const Tasks& tasks,
                         const Settings& s) {
  const auto start = Clock::now();
  Rng rng(s.seed);
  examples::IdTwoTower<float> model(
      data.num_users, data.num_items, s.dim, rng,
      s.user_histories ? examples::all_scenario_histories(data) : examples::UserHistories{});
  optim::Adam<float> optimizer(collect_parameters(model), {.learning_rate = s.learning_rate});
  const std::vector<data::ScenarioInteraction> mixed = data.mixed_training_interactions();
  auto train_epoch = [&](int epoch, train::Progress& progress) {
    std::size_t steps = 0;
    const auto order =
        data::shuffled_indices(mixed.size(), s.seed + static_cast<std::uint64_t>(epoch));
    for (std::size_t begin = 0; begin < order.size(); begin += s.batch_size) {
      if (s.max_steps > 0 && steps++ >= s.max_steps) break;
      const auto n = static_cast<index_t>(std::min(s.batch_size, order.size() - begin));
      Tensor<index_t> users(Shape{n}), items(Shape{n});
      for (index_t i = 0; i < n; ++i) {
        const auto& r = mixed[order[begin + static_cast<std::size_t>(i)]];
        users[i] = r.user;
        items[i] = r.item;
      }
      const float loss = model.train_step(users, items);
      optimizer.step();
      optimizer.zero_grad();
      progress.update(static_cast<std::size_t>(n), loss);
    }
  };
  auto evaluate = [&](const std::vector<metrics::ScenarioRankingTask>& t) {
    const Tensor<float> users = model.user_vectors();
    return examples::evaluate_scenarios(t, [&](int) {
      return std::pair<const Tensor<float>&, const Tensor<float>&>(users, model.item_vectors());
    });
  };
  train::fit(
      model, train_epoch, [&] { return validation_metrics(evaluate(tasks.validation)); },
      trainer_options(s, s.epochs, "shared"));
  const auto count = count_parameters(model);
  return {"shared", evaluate(tasks.test), count.trainable, count.total, seconds_since(start)};
}

// The most popular items of each scenario's training data, for reference.
ModelResult most_popular(const data::MultiScenarioData& data, const Tasks& tasks) {
  const Tensor<float> users = Tensor<float>::full(Shape{data.num_users, 1}, 1.0f);
  Tensor<float> counts(Shape{data.num_items, 1});
  for (const data::ScenarioSplit& scenario : data.scenarios)
    for (const data::Rating& r : scenario.split.train) counts(r.item, 0) += 1.0f;
  return {"most_popular",
          examples::evaluate_scenarios(
              tasks.test,
              [&](int) {
                return std::pair<const Tensor<float>&, const Tensor<float>&>(users, counts);
              }),
          0, 0, 0};
}

void print_table(const std::vector<ModelResult>& models, const data::MultiScenarioData& data) {
  std::fprintf(stderr, "\n%-14s %-8s %8s %10s %12s %12s %8s\n", "model", "scenario", "NDCG@10",
               "Recall@10", "trainable", "total", "train%");
  for (const ModelResult& m : models) {
    for (std::size_t s = 0; s <= data.scenarios.size(); ++s) {
      const bool all = s == data.scenarios.size();
      const double ndcg = all ? examples::mean_ndcg(m.test) : m.test[s].ndcg(10);
      const double recall =
          all ? metrics::mean_over_scenarios(m.test, 10).recall : m.test[s].recall(10);
      std::fprintf(
          stderr, "%-14s %-8s %8.4f %10.4f %12zu %12zu %7.2f%%\n", m.name.c_str(),
          all ? "all" : data.scenarios[s].name.c_str(), ndcg, recall, m.trainable, m.total,
          m.total ? 100.0 * static_cast<double>(m.trainable) / static_cast<double>(m.total) : 0.0);
    }
  }
}

void print_json(const ModelResult& m, const data::MultiScenarioData& data) {
  for (std::size_t s = 0; s <= data.scenarios.size(); ++s) {
    const bool all = s == data.scenarios.size();
    std::printf(
        "{\"dataset\":\"ml-100k\",\"protocol\":\"loo-full-per-scenario\",\"model\":\"%s\","
        "\"scenario\":\"%s\",\"NDCG@10\":%.4f,\"Recall@10\":%.4f,"
        "\"trainable_params\":%zu,\"total_params\":%zu,\"train_seconds\":%.1f}\n",
        m.name.c_str(), all ? "all" : data.scenarios[s].name.c_str(),
        all ? examples::mean_ndcg(m.test) : m.test[s].ndcg(10),
        all ? metrics::mean_over_scenarios(m.test, 10).recall : m.test[s].recall(10), m.trainable,
        m.total, m.seconds);
  }
  std::fflush(stdout);
}

// $ADAPTREC_MINILM, else where scripts/fetch_minilm.sh puts the model.
std::string default_model_dir() {
  if (const char* env = std::getenv("ADAPTREC_MINILM"); env && *env) return env;
  const char* cache = std::getenv("ADAPTREC_CACHE");
  const char* home = std::getenv("HOME");
  if (cache && *cache) return std::string(cache) + "/all-minilm-l6-v2";
  return std::string(home ? home : ".") + "/.cache/adaptrec/all-minilm-l6-v2";
}

std::set<std::string> model_names(const std::string& list) {
  std::set<std::string> names;
  for (std::size_t begin = 0; begin <= list.size();) {
    const std::size_t end = std::min(list.find(',', begin), list.size());
    const std::string name = list.substr(begin, end - begin);
    if (name != "per_scenario" && name != "shared" && name != "peft_star")
      throw invalid_argument("option --models: unknown model '" + name +
                             "' (per_scenario, shared, peft_star)");
    names.insert(name);
    begin = end + 1;
  }
  return names;
}

int run(int argc, char** argv) {
  examples::CommandLine cli(
      "multi_scenario",
      "Per-scenario and shared ID models vs a frozen MiniLM with per-scenario LoRA and STAR "
      "towers on MovieLens genre scenarios (leave-one-out, full ranking per scenario).",
      {{"data", {examples::default_data_dir(), "data root or ml-100k folder"}},
       {"model", {default_model_dir(), "BERT folder: config.json, vocab.txt, model.safetensors"}},
       {"epochs", {"40", "maximum epochs of the ID models and of peft_star's first phase"}},
       {"tune-epochs", {"2", "maximum epochs of peft_star's LoRA phase (0 skips it)"}},
       {"max-steps", {"0", "cap on the steps of every epoch, for smoke tests (0: no cap)"}},
       {"seed", {"42", "random seed"}},
       {"threads", {"2", "CPU threads"}},
       {"dim", {"64", "width of user and item vectors"}},
       {"star-hidden",
        {"64", "width of the ReLU hidden layer of peft_star's STAR towers (0: none)"}},
       {"batch-size", {"256", "training batch size"}},
       {"tune-batch-size", {"128", "peft_star's batch size while LoRA trains"}},
       {"lr", {"0.003", "Adam learning rate of the ID models"}},
       {"peft-lr", {"0.001", "Adam learning rate of peft_star's first phase"}},
       {"tune-candidates",
        {"192",
         "items through the tuned layer per LoRA step: the batch's positives, then uniform draws"}},
       {"tune-steps", {"100", "steps per epoch of the LoRA phase (0: a whole epoch)"}},
       {"tune-lr", {"0.0003", "Adam learning rate of peft_star's LoRA phase"}},
       {"history",
        {"1", "1: every model adds the mean of a user's training items to the user's vector"}},
       {"models", {"per_scenario,shared,peft_star", "which models to train, comma-separated"}},
       {"quiet", {"0", "1 silences the progress lines"}}});
  if (!cli.parse(argc, argv)) return 0;
  set_num_threads(static_cast<int>(cli.integer("threads", 1)));
  const Settings settings{static_cast<int>(cli.integer("epochs", 1)),
                          static_cast<int>(cli.integer("tune-epochs", 0)),
                          static_cast<std::uint64_t>(cli.integer("seed")),
                          static_cast<std::size_t>(cli.integer("batch-size", 1)),
                          static_cast<std::size_t>(cli.integer("tune-batch-size", 1)),
                          static_cast<std::size_t>(cli.integer("tune-candidates", 1)),
                          static_cast<std::size_t>(cli.integer("tune-steps", 0)),
                          static_cast<std::size_t>(cli.integer("max-steps", 0)),
                          static_cast<index_t>(cli.integer("dim", 1)),
                          static_cast<index_t>(cli.integer("star-hidden", 0)),
                          static_cast<float>(cli.real("lr")),
                          static_cast<float>(cli.real("peft-lr")),
                          static_cast<float>(cli.real("tune-lr")),
                          cli.integer("history") != 0,
                          cli.integer("quiet") == 0};
  const std::set<std::string> chosen = model_names(cli.text("models"));
  const auto start = Clock::now();

  const std::string model_dir = cli.text("model");
  auto tokenizer = text::BertTokenizer::from_pretrained(model_dir);
  auto bert = examples::without_dropout(encoders::load_bert<float>(model_dir));

  const auto dir = examples::dataset_dir(cli.text("data"), "ml-100k");
  // The shared ml-100k copy lacks movie 267's line (docs/results.md).
  const data::MovieLens ml = data::load_movielens(dir, {data::UnknownIdPolicy::skip});
  const data::MultiScenarioData data = data::build_multi_scenario_data(
      ml, data::assign_scenarios(ml, data::default_movielens_genre_scenarios()));
  Tasks tasks;
  for (const data::ScenarioSplit& scenario : data.scenarios) {
    tasks.validation.push_back(
        metrics::scenario_ranking_task(scenario, metrics::HeldOut::validation));
    tasks.test.push_back(metrics::scenario_ranking_task(scenario, metrics::HeldOut::test));
  }
  if (settings.verbose) {
    std::fprintf(stderr, "loaded %s: %zu ratings, %d users, %d items; %d threads\n",
                 dir.string().c_str(), ml.ratings.size(), ml.num_users(), ml.num_items(),
                 num_threads());
    for (const std::string& line : data.describe()) std::fprintf(stderr, "%s\n", line.c_str());
  }

  std::vector<std::string> texts;
  for (std::int32_t i = 0; i < ml.num_items(); ++i) texts.push_back(ml.item_text(i));
  const index_t text_dim = bert.hidden_size();
  Rng text_rng(settings.seed + 1);
  const auto cache_start = Clock::now();
  encoders::ItemTextEncoder<float> item_text(std::move(bert), std::move(tokenizer), texts,
                                             {.pooling = encoders::Pooling::mean,
                                              .max_length = 32,
                                              .output_dim = text_dim,
                                              .fine_tune_top_layers = 1,
                                              .normalize_text_vectors = true},
                                             text_rng);
  if (settings.verbose)
    std::fprintf(stderr, "text cache of %d items in %.1f s\n", ml.num_items(),
                 seconds_since(cache_start));

  std::vector<ModelResult> models{most_popular(data, tasks)};
  if (chosen.count("per_scenario")) {
    models.push_back(train_per_scenario(data, tasks, settings));
    print_json(models.back(), data);
  }
  if (chosen.count("shared")) {
    models.push_back(train_shared(data, tasks, settings));
    print_json(models.back(), data);
  }
  if (chosen.count("peft_star")) {
    models.push_back(examples::train_peft_star(data, tasks, std::move(item_text), settings));
    print_json(models.back(), data);
  }
  print_table(models, data);
  for (const ModelResult& m : models)
    std::fprintf(stderr, "%s trained in %.1f s\n", m.name.c_str(), m.seconds);
  std::fprintf(stderr, "total %.1f s\n", seconds_since(start));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "multi_scenario: %s\n", e.what());
    return 1;
  }
}
