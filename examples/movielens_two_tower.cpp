// Two-tower retrieval on MovieLens, against most-popular and BPR matrix
// factorisation on the identical leave-one-out split (full ranking).
//
//   movielens_two_tower --data ../shared/data --epochs 30 --seed 42 --threads 2
//
// Prints a progress line per epoch on stderr and one JSON line per model on
// stdout.
#include <adaptrec/core/threads.hpp>
#include <adaptrec/data.hpp>
#include <adaptrec/losses/info_nce.hpp>
#include <adaptrec/optim/adam.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>

#include "common/cli.hpp"
#include "common/loo_evaluation.hpp"
#include "common/mf_bpr.hpp"
#include "common/two_tower_model.hpp"
#include "common/two_tower_training.hpp"

namespace {

using namespace adaptrec;
using examples::LooProtocol;

void print_result(const std::string &model, const train::Metrics &m, int epochs, double seconds) {
  std::printf(
      "{\"dataset\":\"ml-100k\",\"protocol\":\"loo-full\",\"model\":\"%s\","
      "\"HR@10\":%.4f,"
      "\"NDCG@10\":%.4f,\"MRR\":%.4f,\"epochs\":%d,\"train_seconds\":%.2f}\n",
      model.c_str(), m.at("HR@10"), m.at("NDCG@10"), m.at("MRR"), epochs, seconds);
  std::fflush(stdout);
}

// Most popular: score = number of training interactions of the item.
train::Metrics most_popular(const data::LeaveOneOutSplit &split, std::int32_t num_items,
                            const LooProtocol &test) {
  Tensor<float> popularity(Shape{num_items});
  for (const auto &r : split.train) popularity[r.item] += 1;
  return examples::evaluate_loo(test, [&](std::span<const std::int32_t> users, auto) {
    Tensor<float> scores(Shape{static_cast<index_t>(users.size()), num_items});
    for (index_t u = 0; u < scores.rows(); ++u)
      std::copy(popularity.begin(), popularity.end(), scores.data() + u * num_items);
    return scores;
  });
}

examples::TwoTowerConfig two_tower_config(const data::MovieLens &ml) {
  examples::TwoTowerConfig config;
  config.num_users = ml.num_users();
  config.num_items = ml.num_items();
  config.num_occupations = static_cast<index_t>(ml.occupations.size());
  config.num_genres = static_cast<index_t>(ml.genre_names.size());
  return config;
}

int run(int argc, char **argv) {
  examples::CommandLine cli(
      "movielens_two_tower",
      "Two-tower retrieval vs most-popular and BPR-MF on MovieLens "
      "(leave-one-out, full ranking).",
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

  const examples::TwoTowerTraining tt{epochs,
                                      seed,
                                      static_cast<std::size_t>(cli.integer("batch-size", 1)),
                                      static_cast<float>(cli.real("lr")),
                                      static_cast<float>(cli.real("temperature")),
                                      verbose,
                                      "two_tower"};
  Rng rng(seed);
  examples::TwoTowerModel<float> model(two_tower_config(ml), rng);
  auto [tt_metrics, tt_fit] = examples::train_two_tower(model, ml, split, validation, test, tt);
  print_result("two_tower", tt_metrics, static_cast<int>(tt_fit.history.size()),
               tt_fit.train_seconds);
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "movielens_two_tower: %s\n", e.what());
    return 1;
  }
}
