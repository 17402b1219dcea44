// Two-tower retrieval on MovieLens, against most-popular and BPR matrix
// factorisation on the identical leave-one-out split (full ranking).
//
//   movielens_two_tower --data ../shared/data --epochs 30 --seed 42 --threads 2
//
// Prints a progress line per epoch on stderr and one JSON line per model on stdout.
#include "common/cli.hpp"
#include "common/loo_evaluation.hpp"
#include "common/mf_bpr.hpp"
#include "common/two_tower_model.hpp"

#include <adaptrec/core/threads.hpp>
#include <adaptrec/data.hpp>
#include <adaptrec/losses/info_nce.hpp>
#include <adaptrec/optim/adam.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>

namespace {

using namespace adaptrec;
using examples::LooProtocol;

void print_result(const std::string& model, const train::Metrics& m, int epochs, double seconds) {
  std::printf(
      "{\"dataset\":\"ml-100k\",\"protocol\":\"loo-full\",\"model\":\"%s\",\"HR@10\":%.4f,"
      "\"NDCG@10\":%.4f,\"MRR\":%.4f,\"epochs\":%d,\"train_seconds\":%.2f}\n",
      model.c_str(), m.at("HR@10"), m.at("NDCG@10"), m.at("MRR"), epochs, seconds);
  std::fflush(stdout);
}

// Most popular: score = number of training interactions of the item.
train::Metrics most_popular(const data::LeaveOneOutSplit& split, std::int32_t num_items,
                            const LooProtocol& test) {
  Tensor<float> popularity(Shape{num_items});
  for (const auto& r : split.train) popularity[r.item] += 1;
  return examples::evaluate_loo(test, [&](std::span<const std::int32_t> users, auto) {
    Tensor<float> scores(Shape{static_cast<index_t>(users.size()), num_items});
    for (index_t u = 0; u < scores.rows(); ++u)
      std::copy(popularity.begin(), popularity.end(), scores.data() + u * num_items);
    return scores;
  });
}

struct TwoTowerOptions {
  int epochs;
  std::uint64_t seed;
  std::size_t batch_size;
  float learning_rate, temperature;
  bool verbose;
};

// Trains the two-tower model; returns its test metrics and fit summary.
std::pair<train::Metrics, train::FitResult> two_tower(const data::MovieLens& ml,
                                                      const data::LeaveOneOutSplit& split,
                                                      const LooProtocol& validation,
                                                      const LooProtocol& test,
                                                      const TwoTowerOptions& o) {
  examples::TwoTowerConfig config;
  config.num_users = ml.num_users();
  config.num_items = ml.num_items();
  config.num_occupations = static_cast<index_t>(ml.occupations.size());
  config.num_genres = static_cast<index_t>(ml.genre_names.size());
  Rng rng(o.seed);
  examples::TwoTowerModel<float> model(config, rng);
  examples::TwoTowerInputs inputs(ml, config.recent_items);
  optim::Adam<float> optimizer(collect_parameters(model), {.learning_rate = o.learning_rate});
  losses::InfoNce<float> loss(o.temperature);

  // One sample per training interaction: the user, the item, and the user's
  // items before it (causal history, so training matches how users are served).
  const auto histories = data::items_by_user(split.train, ml.num_users());
  struct Sample {
    std::int32_t user, position;
  };
  std::vector<Sample> samples;
  for (std::int32_t u = 0; u < ml.num_users(); ++u)
    for (std::size_t p = 0; p < histories[static_cast<std::size_t>(u)].size(); ++p)
      samples.push_back({u, static_cast<std::int32_t>(p)});

  // logQ correction: popular items appear as in-batch negatives more often.
  std::vector<double> item_count(static_cast<std::size_t>(ml.num_items()), 0.0);
  for (const auto& r : split.train) item_count[static_cast<std::size_t>(r.item)] += 1;

  auto score_users = [&](std::span<const std::int32_t> users,
                         std::span<const std::span<const std::int32_t>> hist) {
    std::vector<std::int32_t> all_items(static_cast<std::size_t>(ml.num_items()));
    for (std::int32_t i = 0; i < ml.num_items(); ++i) all_items[static_cast<std::size_t>(i)] = i;
    const Tensor<float> item_vectors = model.items.forward(inputs.items(all_items));
    const Tensor<float> user_vectors = model.users.forward(inputs.users(users, hist));
    Tensor<float> scores(Shape{user_vectors.rows(), item_vectors.rows()});
    backend::gemm(user_vectors, backend::Trans::no, item_vectors, backend::Trans::yes, scores);
    return scores;
  };

  std::vector<std::int32_t> batch_users, batch_items;
  std::vector<std::span<const std::int32_t>> batch_histories;
  auto train_epoch = [&](int epoch, train::Progress& progress) {
    for (auto batch : data::shuffled_batches(samples.size(), o.batch_size,
                                             o.seed + static_cast<std::uint64_t>(epoch))) {
      batch_users.clear();
      batch_items.clear();
      batch_histories.clear();
      Tensor<float> log_q(Shape{static_cast<index_t>(ranges::distance(batch))});
      Tensor<index_t> item_ids(log_q.shape());
      index_t row = 0;
      for (std::size_t index : batch) {
        const Sample& s = samples[index];
        const auto& h = histories[static_cast<std::size_t>(s.user)];
        batch_users.push_back(s.user);
        batch_items.push_back(h[static_cast<std::size_t>(s.position)]);
        batch_histories.emplace_back(h.data(), static_cast<std::size_t>(s.position));
        item_ids[row] = batch_items.back();
        log_q[row++] = static_cast<float>(
            std::log(item_count[static_cast<std::size_t>(batch_items.back())] /
                     static_cast<double>(split.train.size())));
      }
      const Tensor<float> u = model.users.forward(inputs.users(batch_users, batch_histories));
      const Tensor<float> v = model.items.forward(inputs.items(batch_items));
      const float value = loss.forward(u, v, log_q, item_ids);
      auto grads = loss.backward();
      model.users.backward(grads.first);
      model.items.backward(grads.second);
      optimizer.step();
      optimizer.zero_grad();
      progress.update(batch_users.size(), value);
    }
  };

  train::TrainerOptions options;
  options.max_epochs = o.epochs;
  options.patience = 3;
  options.metric = "NDCG@10";
  options.verbose = o.verbose;
  options.label = "two_tower";
  auto validate = [&] { return examples::evaluate_loo(validation, score_users); };
  train::FitResult fit = train::fit(model, train_epoch, validate, options);
  return {examples::evaluate_loo(test, score_users), fit};
}

int run(int argc, char** argv) {
  examples::CommandLine cli(
      "movielens_two_tower",
      "Two-tower retrieval vs most-popular and BPR-MF on MovieLens (leave-one-out, full ranking).",
      {{"data", {examples::default_data_dir(), "data root or ml-100k folder"}},
       {"epochs", {"30", "maximum training epochs (early stopping on validation NDCG@10)"}},
       {"seed", {"42", "random seed"}},
       {"threads", {"2", "CPU threads"}},
       {"batch-size", {"512", "training batch size"}},
       {"lr", {"0.002", "Adam learning rate"}},
       {"temperature", {"0.05", "softmax temperature"}},
       {"quiet", {"0", "1 silences the progress lines"}}});
  if (!cli.parse(argc, argv)) return 0;
  set_num_threads(static_cast<int>(cli.integer("threads", 1)));
  const auto seed = static_cast<std::uint64_t>(cli.integer("seed"));
  const int epochs = static_cast<int>(cli.integer("epochs", 1));
  const bool verbose = cli.integer("quiet") == 0;

  const auto dir = examples::dataset_dir(cli.text("data"), "ml-100k");
  // Skip (and report) ratings of movies missing from the item file: the shared
  // ml-100k copy lacks movie 267's line (docs/results.md).
  const data::MovieLens ml = data::load_movielens(dir, {data::UnknownIdPolicy::skip});
  if (ml.skipped_ratings > 0)
    std::fprintf(stderr, "note: skipped %zu ratings naming items or users absent from %s\n",
                 static_cast<std::size_t>(ml.skipped_ratings), dir.string().c_str());
  const data::LeaveOneOutSplit split = data::leave_one_out_split(ml.ratings, ml.num_users());
  const LooProtocol validation = examples::loo_protocol(split, ml.num_users(), false);
  const LooProtocol test = examples::loo_protocol(split, ml.num_users(), true);
  if (verbose)
    std::fprintf(stderr, "loaded %s: %zu ratings, %d users, %d items; %d threads\n",
                 dir.string().c_str(), ml.ratings.size(), ml.num_users(), ml.num_items(),
                 num_threads());

  print_result("most_popular", most_popular(split, ml.num_items(), test), 0, 0.0);

  examples::BprOptions bpr{.epochs = epochs, .seed = seed, .verbose = verbose};
  auto [bpr_metrics, bpr_fit] = examples::train_bpr_mf(ml, split, validation, test, bpr);
  print_result("bpr_mf", bpr_metrics, static_cast<int>(bpr_fit.history.size()),
               bpr_fit.train_seconds);

  TwoTowerOptions tt{epochs,
                     seed,
                     static_cast<std::size_t>(cli.integer("batch-size", 1)),
                     static_cast<float>(cli.real("lr")),
                     static_cast<float>(cli.real("temperature")),
                     verbose};
  auto [tt_metrics, tt_fit] = two_tower(ml, split, validation, test, tt);
  print_result("two_tower", tt_metrics, static_cast<int>(tt_fit.history.size()),
               tt_fit.train_seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "movielens_two_tower: %s\n", e.what());
    return 1;
  }
}
