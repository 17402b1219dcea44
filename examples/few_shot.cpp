// A new scenario with only a handful of interactions: parameter-efficient
// tuning of a pretrained text encoder against an ID model trained from
// scratch, at 16, 64, 256 and 1024 training interactions.
//
// MovieLens 100K is cut into genre scenarios (data/scenarios.hpp: family,
// action, comedy, drama); --scenario picks the one that plays the new
// scenario, the others are the source domains users already have history in.
// At every n the new scenario keeps exactly n of its training ratings
// (data::few_shot_subsample: one seeded draw, a smaller sample a subset of a
// larger one), and both models are trained from their initial state on those
// n only, for --epochs passes with no early stopping: the scenario's
// validation split is far larger than n, and choosing a model on it would
// smuggle in the labels few-shot learning does not have (Perez et al., "True
// Few-Shot Learning with Language Models", NeurIPS 2021). Every point is scored
// on the same task, built once from the full split: each scenario user's last
// rating there, ranked against all of the scenario's items except those the
// user rated there before (metrics/scenario_ranking.hpp).
//
// Models (examples/common/few_shot_models.hpp), both recommender::Recommender
// pipelines trained with in-batch InfoNCE, logQ-corrected by the items'
// frequencies in the sample:
//  - peft_text: frozen all-MiniLM-L6-v2 with a LoRA set (rank --lora-rank,
//    query and value of the top layer) over "title (year) | genres"; users are
//    the mean text vector of their items in the source scenarios, so a user
//    with no interaction in the new scenario still has a vector. Heads start at
//    the identity: at n = 0 the model already recommends by content.
//  - id_scratch: user and item ID embeddings (width --dim).
// The source scenarios are not used to pretrain either model; they only give
// peft_text its user profiles. The default learning rates and --epochs were
// chosen on the validation items (--held-out validation) at seed 42, never on
// the test items.
//
//   scripts/fetch_minilm.sh   # prints the model folder
//   few_shot --data ../shared/data --seed 42 --threads 2 [--shots 0,16,64,256,1024]
//
// Prints a progress line per (model, n) and the curve as a table on stderr,
// and one JSON line per (model, n) on stdout.
#include <adaptrec/core/threads.hpp>
#include <adaptrec/data.hpp>
#include <adaptrec/encoders/bert_pretrained.hpp>
#include <adaptrec/metrics/scenario_ranking.hpp>
#include <adaptrec/optim/adam.hpp>
#include <adaptrec/text/bert_tokenizer.hpp>
#include <adaptrec/train/progress.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <numeric>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "common/few_shot_models.hpp"

namespace {

using namespace adaptrec;
using Clock = std::chrono::steady_clock;

struct Settings {
  int epochs;
  std::uint64_t seed;
  std::size_t batch_size;
  float peft_learning_rate, id_learning_rate, temperature;
  bool verbose;
};

struct CurvePoint {
  std::string model;
  std::size_t n = 0;
  double ndcg = 0, recall = 0;
  std::size_t trainable = 0, total = 0;
  double seconds = 0;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// "16,64,256" -> {16, 64, 256}.
std::vector<std::size_t> parse_shots(const std::string& list) {
  std::vector<std::size_t> shots;
  std::size_t begin = 0;
  while (begin <= list.size()) {
    const std::size_t end = std::min(list.find(',', begin), list.size());
    std::size_t value = 0;
    const auto [stop, ec] = std::from_chars(list.data() + begin, list.data() + end, value);
    if (begin == end || ec != std::errc() || stop != list.data() + end)
      throw invalid_argument("option --shots expects a comma-separated list of integers >= 0, "
                             "got '" + list + "'");
    shots.push_back(value);
    begin = end + 1;
  }
  return shots;
}

const data::ScenarioSplit& find_scenario(const data::MultiScenarioData& data,
                                         const std::string& name) {
  std::string names;
  for (const data::ScenarioSplit& s : data.scenarios) {
    if (s.name == name) return s;
    names += (names.empty() ? "" : ", ") + s.name;
  }
  throw invalid_argument("option --scenario: no scenario named '" + name + "' (there are " +
                         names + ")");
}

metrics::HeldOut held_out(const std::string& name) {
  if (name == "test") return metrics::HeldOut::test;
  if (name == "validation") return metrics::HeldOut::validation;
  throw invalid_argument("option --held-out expects 'test' or 'validation', got '" + name + "'");
}

Tensor<index_t> iota_ids(index_t n) {
  Tensor<index_t> ids(Shape{n});
  std::iota(ids.begin(), ids.end(), index_t(0));
  return ids;
}

// --epochs shuffled passes over the n interactions in batches of --batch-size
// (the in-batch negatives of InfoNCE), every item id mapped by model_item.
template <class Model, class ItemId>
void train_few_shot(Model& model, const std::vector<data::Rating>& sample, ItemId&& model_item,
                    float learning_rate, const Settings& s, train::Progress& progress) {
  if (sample.empty()) return;
  optim::Adam<float> optimizer(collect_parameters(model), {.learning_rate = learning_rate});
  model.train(true);
  const std::size_t batch_size = std::min(s.batch_size, sample.size());
  for (int epoch = 1; epoch <= s.epochs; ++epoch) {
    const std::vector<std::size_t> order =
        data::shuffled_indices(sample.size(), s.seed * 1000003 + static_cast<std::uint64_t>(epoch));
    for (std::size_t begin = 0; begin < order.size(); begin += batch_size) {
      const auto n = static_cast<index_t>(std::min(batch_size, order.size() - begin));
      Tensor<index_t> users(Shape{n}), items(Shape{n});
      for (index_t i = 0; i < n; ++i) {
        const data::Rating& r = sample[order[begin + static_cast<std::size_t>(i)]];
        users[i] = r.user;
        items[i] = model_item(r.item);
      }
      const std::vector<index_t> scenario(static_cast<std::size_t>(n), 0);
      const float loss = model.train_step(users, items, scenario);
      optimizer.step();
      optimizer.zero_grad();
      progress.update(static_cast<std::size_t>(n), loss);
    }
  }
}

// Every user's vector and the scenario's items' vectors, placed at their
// global ids, ranked by the task.
template <class Model, class ItemId>
metrics::RankingMetrics evaluate(Model& model, const metrics::ScenarioRankingTask& task,
                                 index_t num_users, index_t num_items, ItemId&& model_item) {
  model.eval();
  const Tensor<float> users =
      model.user_vectors(iota_ids(num_users), std::vector<index_t>(static_cast<std::size_t>(num_users), 0));
  const auto num_candidates = static_cast<index_t>(task.candidates.size());
  Tensor<index_t> candidates(Shape{num_candidates});
  for (index_t c = 0; c < num_candidates; ++c)
    candidates[c] = model_item(task.candidates[static_cast<std::size_t>(c)]);
  const Tensor<float> candidate_vectors = model.item_vectors(
      candidates, std::vector<index_t>(static_cast<std::size_t>(num_candidates), 0));
  const index_t dim = candidate_vectors.cols();
  Tensor<float> items(Shape{num_items, dim});
  for (index_t c = 0; c < num_candidates; ++c)
    std::copy_n(candidate_vectors.data() + c * dim, dim,
                items.data() + static_cast<index_t>(task.candidates[static_cast<std::size_t>(c)]) * dim);
  return metrics::evaluate_scenario_ranking(task, users, items, {10});
}

template <class Model, class ItemId>
CurvePoint run_point(const std::string& name, Model model, std::size_t n,
                     const data::ScenarioSplit& sample, const metrics::ScenarioRankingTask& task,
                     index_t num_users, index_t num_items, ItemId model_item, float learning_rate,
                     const Settings& s) {
  const auto start = Clock::now();
  train::Progress progress(name + " n=" + std::to_string(n), s.verbose);
  train_few_shot(model, sample.split.train, model_item, learning_rate, s, progress);
  const metrics::RankingMetrics test = evaluate(model, task, num_users, num_items, model_item);
  progress.finish("test NDCG@10 " + std::to_string(test.ndcg(10)));
  const ParameterCount count = count_parameters(model);
  return {name, n, test.ndcg(10), test.recall(10), count.trainable, count.total,
          seconds_since(start)};
}

void print_json(const CurvePoint& p, const std::string& scenario, const std::string& held_out,
                const Settings& s) {
  std::printf("{\"dataset\":\"ml-100k\",\"protocol\":\"loo-full-scenario-few-shot\","
              "\"held_out\":\"%s\",\"scenario\":\"%s\",\"model\":\"%s\",\"n\":%zu,\"NDCG@10\":%.4f,"
              "\"Recall@10\":%.4f,\"trainable_params\":%zu,\"total_params\":%zu,"
              "\"epochs\":%d,\"seed\":%llu,\"train_seconds\":%.1f}\n",
              held_out.c_str(), scenario.c_str(), p.model.c_str(), p.n, p.ndcg, p.recall, p.trainable, p.total,
              s.epochs, static_cast<unsigned long long>(s.seed), p.seconds);
  std::fflush(stdout);
}

void print_curve(const std::vector<CurvePoint>& curve, const std::string& scenario,
                 const std::string& held_out) {
  std::fprintf(stderr, "\nfew-shot curve, scenario \"%s\" (%s items, full ranking)\n",
               scenario.c_str(), held_out.c_str());
  std::fprintf(stderr, "%6s  %-10s %8s %10s %12s %12s\n", "n", "model", "NDCG@10", "Recall@10",
               "trainable", "total");
  for (const CurvePoint& p : curve)
    std::fprintf(stderr, "%6zu  %-10s %8.4f %10.4f %12zu %12zu\n", p.n, p.model.c_str(), p.ndcg,
                 p.recall, p.trainable, p.total);
}

// $ADAPTREC_MINILM, else where scripts/fetch_minilm.sh puts the model.
std::string default_model_dir() {
  if (const char* env = std::getenv("ADAPTREC_MINILM"); env && *env) return env;
  const char* cache = std::getenv("ADAPTREC_CACHE");
  const char* home = std::getenv("HOME");
  if (cache && *cache) return std::string(cache) + "/all-minilm-l6-v2";
  return std::string(home ? home : ".") + "/.cache/adaptrec/all-minilm-l6-v2";
}

int run(int argc, char** argv) {
  examples::CommandLine cli(
      "few_shot",
      "A new MovieLens genre scenario with few training interactions: LoRA on a pretrained "
      "text encoder vs an ID model from scratch (leave-one-out, full ranking).",
      {{"data", {examples::default_data_dir(), "data root or ml-100k folder"}},
       {"model", {default_model_dir(), "BERT folder: config.json, vocab.txt, model.safetensors"}},
       {"scenario", {"family", "the genre scenario that plays the new one"}},
       {"shots", {"16,64,256,1024", "training interactions of the new scenario, comma-separated"}},
       {"epochs", {"5", "passes over the n training interactions"}},
       {"seed", {"42", "random seed"}},
       {"threads", {"2", "CPU threads"}},
       {"batch-size", {"64", "training batch size (in-batch negatives)"}},
       {"dim", {"64", "width of id_scratch's embeddings"}},
       {"lora-rank", {"8", "rank of peft_text's LoRA update"}},
       {"peft-lr", {"0.0001", "Adam learning rate of peft_text"}},
       {"id-lr", {"0.01", "Adam learning rate of id_scratch"}},
       {"temperature", {"0.05", "InfoNCE temperature"}},
       {"held-out", {"test", "score on the 'test' or the 'validation' items (to choose settings)"}},
       {"quiet", {"0", "1 silences the progress lines"}}});
  if (!cli.parse(argc, argv)) return 0;
  set_num_threads(static_cast<int>(cli.integer("threads", 1)));
  const Settings settings{static_cast<int>(cli.integer("epochs", 1)),
                          static_cast<std::uint64_t>(cli.integer("seed")),
                          static_cast<std::size_t>(cli.integer("batch-size", 1)),
                          static_cast<float>(cli.real("peft-lr")),
                          static_cast<float>(cli.real("id-lr")),
                          static_cast<float>(cli.real("temperature")),
                          cli.integer("quiet") == 0};
  const std::vector<std::size_t> shots = parse_shots(cli.text("shots"));
  const auto dim = static_cast<index_t>(cli.integer("dim", 1));
  const auto lora_rank = static_cast<index_t>(cli.integer("lora-rank", 1));
  const auto start = Clock::now();

  // The model first: it is the likelier thing to be missing.
  const std::string model_dir = cli.text("model");
  auto tokenizer = text::BertTokenizer::from_pretrained(model_dir);
  auto bert = encoders::load_bert<float>(model_dir);

  const auto dir = examples::dataset_dir(cli.text("data"), "ml-100k");
  // The shared ml-100k copy lacks movie 267's line (docs/results.md).
  const data::MovieLens ml = data::load_movielens(dir, {data::UnknownIdPolicy::skip});
  const data::MultiScenarioData data = data::build_multi_scenario_data(
      ml, data::assign_scenarios(ml, data::default_movielens_genre_scenarios()));
  const data::ScenarioSplit& target = find_scenario(data, cli.text("scenario"));
  const metrics::ScenarioRankingTask task =
      metrics::scenario_ranking_task(target, held_out(cli.text("held-out")));
  for (std::size_t n : shots)  // fail before the slow part
    (void)data::few_shot_subsample(target, n, settings.seed);

  // The text encoder tunes its top layer; its projection is the identity, so
  // it gives the pooled, unit-length text vectors.
  std::vector<std::string> texts;
  for (std::int32_t i = 0; i < ml.num_items(); ++i) texts.push_back(ml.item_text(i));
  const auto cache_start = Clock::now();
  const index_t text_dim = bert.hidden_size();
  const std::size_t top_layer = bert.num_layers() - 1;
  const ParameterCount backbone = count_parameters(bert);
  const ParameterCount tuned_layer = count_parameters(bert.layer(top_layer));
  Rng text_rng(settings.seed + 1);
  encoders::ItemTextEncoder<float> item_text(std::move(bert), std::move(tokenizer), texts,
                                             {.pooling = encoders::Pooling::mean,
                                              .max_length = 64,
                                              .output_dim = text_dim,
                                              .fine_tune_top_layers = 1,
                                              .normalize_text_vectors = true},
                                             text_rng);
  examples::set_identity(item_text.projection());
  item_text.eval();
  const Tensor<float> text_vectors = item_text.forward(iota_ids(ml.num_items()));
  const examples::SourceProfiles profiles = examples::source_history_profiles(
      ml.ratings, data.item_scenario, target.id, text_vectors, ml.num_users());
  if (settings.verbose) {
    std::fprintf(stderr, "loaded %s: %zu ratings, %d users, %d items; %d threads\n",
                 dir.string().c_str(), ml.ratings.size(), ml.num_users(), ml.num_items(),
                 num_threads());
    for (const std::string& line : data.describe()) std::fprintf(stderr, "%s\n", line.c_str());
    std::fprintf(stderr,
                 "new scenario \"%s\": %d items, %zu training ratings, %zu test users; text "
                 "vectors in %.1f s; user profiles from %zu source ratings (%zu users without)\n",
                 target.name.c_str(), target.num_items(), target.split.train.size(),
                 task.users.size(), seconds_since(cache_start), profiles.ratings,
                 profiles.users_without_history);
  }

  peft::LoraOptions lora;
  lora.rank = lora_rank;
  lora.alpha = 2.0 * static_cast<double>(lora_rank);
  lora.layers = {top_layer};
  const auto global_item = [](std::int32_t item) { return static_cast<index_t>(item); };
  const auto local_item = [&target](std::int32_t item) {
    return static_cast<index_t>(target.local_item(item));
  };

  std::vector<CurvePoint> curve;
  for (std::size_t n : shots) {
    const data::ScenarioSplit sample = data::few_shot_subsample(target, n, settings.seed);
    std::vector<index_t> global_items, local_items;
    for (const data::Rating& r : sample.split.train) {
      global_items.push_back(global_item(r.item));
      local_items.push_back(local_item(r.item));
    }
    Rng peft_rng(settings.seed);
    curve.push_back(run_point("peft_text",
                              examples::make_peft_text(
                                  profiles.vectors, item_text, lora,
                                  {settings.temperature,
                                   examples::log_sampling_probability(global_items, ml.num_items())},
                                  peft_rng),
                              n, sample, task, ml.num_users(), ml.num_items(), global_item,
                              settings.peft_learning_rate, settings));
    // The model visits only the tuned top layer of the encoder; the rest of
    // it counts too.
    curve.back().total += backbone.total - tuned_layer.total;
    print_json(curve.back(), target.name, cli.text("held-out"), settings);
    Rng id_rng(settings.seed);
    curve.push_back(run_point("id_scratch",
                              examples::make_id_scratch(
                                  ml.num_users(), target.num_items(), dim,
                                  {settings.temperature,
                                   examples::log_sampling_probability(local_items, target.num_items())},
                                  id_rng),
                              n, sample, task, ml.num_users(), ml.num_items(), local_item,
                              settings.id_learning_rate, settings));
    print_json(curve.back(), target.name, cli.text("held-out"), settings);
  }
  print_curve(curve, target.name, cli.text("held-out"));
  std::fprintf(stderr, "total %.1f s\n", seconds_since(start));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "few_shot: %s\n", e.what());
    return 1;
  }
}
