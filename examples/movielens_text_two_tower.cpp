// Two-tower retrieval on MovieLens with item text from a pretrained encoder.
//
// The two-tower model of movielens_two_tower.cpp (same split, protocol and
// evaluation), in three item towers trained in one program:
//  - two_tower:         item id, release year, genres (the ID-only baseline);
//  - two_tower_id_text: the item-ID embedding plus the projected
//                       all-MiniLM-L6-v2 vector of "title (year) | genres";
//  - two_tower_text:    the projected text vector in place of the item id, so
//                       the tower can score items that had no interaction.
// The encoder is frozen (its vectors computed once per item) unless
// --fine-tune-top-layers k asks to train its top k layers too.
//
//   scripts/fetch_minilm.sh   # prints the model folder
//   movielens_text_two_tower --data ../shared/data --epochs 30 --seed 42
//   --threads 2
//       [--model ~/.cache/adaptrec/all-minilm-l6-v2]
//
// Prints a progress line per epoch on stderr and one JSON line per model on
// stdout.
#include <adaptrec/core/threads.hpp>
#include <adaptrec/data.hpp>
#include <adaptrec/encoders/bert_pretrained.hpp>
#include <adaptrec/encoders/item_text_encoder.hpp>
#include <adaptrec/losses/info_nce.hpp>
#include <adaptrec/optim/adam.hpp>
#include <adaptrec/text/bert_tokenizer.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>

#include "common/cli.hpp"
#include "common/loo_evaluation.hpp"
#include "common/two_tower_model.hpp"
#include "common/two_tower_training.hpp"

namespace {

using namespace adaptrec;
using examples::LooProtocol;

// The item tower of two_tower_model.hpp with the item's text in the item-ID
// slot: summed with the ID embedding, or instead of it.
template <class T = float>
class TextItemTower : public TrainingMode {
 public:
  using scalar_type = T;
  TextItemTower(const examples::TwoTowerConfig &c, encoders::ItemTextEncoder<T> text,
                bool with_item_id, Rng &rng)
      : text_(std::move(text)),
        year_(examples::year_buckets, c.attribute_dim, rng),
        genres_(c.num_genres, c.genre_dim, rng),
        mlp_({c.id_dim + c.attribute_dim + c.genre_dim, c.hidden, c.output}, rng),
        widths_{c.id_dim, c.attribute_dim, c.genre_dim} {
    if (with_item_id) id_.emplace(c.num_items, c.id_dim, rng);
  }

  Tensor<T> forward(const examples::ItemFeatures &f) {
    Tensor<T> item = text_.forward(f.item);
    if (id_) backend::axpy(T(1), id_->forward(f.item), item);
    const Tensor<T> parts[] = {std::move(item), year_.forward(f.year), genres_.forward(f.genres)};
    Tensor<T> x = backend::concat_columns<T>({&parts[0], &parts[1], &parts[2]});
    return norm_.forward(mlp_.forward(x));
  }

  void backward(const Tensor<T> &dy) {
    auto parts = backend::split_columns(mlp_.backward(norm_.backward(dy)), widths_);
    text_.backward(parts[0]);
    if (id_) id_->backward(parts[0]);
    year_.backward(parts[1]);
    genres_.backward(parts[2]);
  }

  encoders::ItemTextEncoder<T> &text() { return text_; }

  template <class F>
  void visit_parameters(F &&f, const std::string &prefix) {
    if (id_) id_->visit_parameters(f, join_name(prefix, "item_id"));
    text_.visit_parameters(f, join_name(prefix, "item_text"));
    year_.visit_parameters(f, join_name(prefix, "year"));
    genres_.visit_parameters(f, join_name(prefix, "genres"));
    mlp_.visit_parameters(f, join_name(prefix, "mlp"));
  }

  void train(bool on = true) {
    training_ = on;
    text_.train(on);
    mlp_.train(on);
  }

 private:
  encoders::ItemTextEncoder<T> text_;
  std::optional<layers::Embedding<T>> id_;
  layers::Embedding<T> year_;
  layers::EmbeddingBag<T> genres_;
  layers::MLP<T> mlp_;
  layers::L2Normalize<T> norm_;
  std::vector<index_t> widths_;
};

template <class ItemTowerType>
struct Towers : TrainingMode {
  using scalar_type = float;
  examples::UserTower<float> users;
  ItemTowerType items;

  template <class F>
  void visit_parameters(F &&f, const std::string &prefix) {
    users.visit_parameters(f, join_name(prefix, "user_tower"));
    items.visit_parameters(f, join_name(prefix, "item_tower"));
  }
  void train(bool on = true) {
    training_ = on;
    users.train(on);
    items.train(on);
  }
};

void print_result(const std::string &model, const train::Metrics &m, const train::FitResult &fit,
                  const std::string &text_fields) {
  std::printf(
      "{\"dataset\":\"ml-100k\",\"protocol\":\"loo-full\",\"model\":\"%s\","
      "\"HR@10\":%.4f,"
      "\"NDCG@10\":%.4f,\"MRR\":%.4f,\"epochs\":%d,\"train_seconds\":%.2f%s}\n",
      model.c_str(), m.at("HR@10"), m.at("NDCG@10"), m.at("MRR"),
      static_cast<int>(fit.history.size()), fit.train_seconds, text_fields.c_str());
  std::fflush(stdout);
}

// $ADAPTREC_MINILM, else where scripts/fetch_minilm.sh puts the model.
std::string default_model_dir() {
  if (const char *env = std::getenv("ADAPTREC_MINILM"); env && *env) return env;
  const char *cache = std::getenv("ADAPTREC_CACHE");
  const char *home = std::getenv("HOME");
  if (cache && *cache) return std::string(cache) + "/all-minilm-l6-v2";
  return std::string(home ? home : ".") + "/.cache/adaptrec/all-minilm-l6-v2";
}

// The checkpoint's folder name, for the result lines.
std::string model_name(const std::string &model_dir) {
  std::filesystem::path p(model_dir);
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

int run(int argc, char **argv) {
  examples::CommandLine cli(
      "movielens_text_two_tower",
      "Two-tower retrieval with pretrained item-text vectors vs the ID-only "
      "tower on MovieLens "
      "(leave-one-out, full ranking).",
      {{"data", {examples::default_data_dir(), "data root or ml-100k folder"}},
       {"model", {default_model_dir(), "BERT folder: config.json, vocab.txt, model.safetensors"}},
       {"epochs", {"30", "maximum training epochs (early stopping on validation NDCG@10)"}},
       {"seed", {"42", "random seed"}},
       {"threads", {"2", "CPU threads"}},
       {"fine-tune-top-layers",
        {"0", "train the encoder's top k layers (0: frozen, cached vectors)"}},
       {"batch-size", {"512", "training batch size"}},
       {"lr", {"0.002", "Adam learning rate"}},
       {"temperature", {"0.05", "softmax temperature"}},
       {"precision", {"fp32", "fp32, bf16 or int8: the encoder's GEMMs while caching item vectors"}},
       {"serve-precision",
        {"", "bf16 or int8: after training, re-encode the item texts so and test the same model again"}},
       {"quiet", {"0", "1 silences the progress lines"}}});
  if (!cli.parse(argc, argv)) return 0;
  set_num_threads(static_cast<int>(cli.integer("threads", 1)));
  const examples::TwoTowerTraining base{static_cast<int>(cli.integer("epochs", 1)),
                                        static_cast<std::uint64_t>(cli.integer("seed")),
                                        static_cast<std::size_t>(cli.integer("batch-size", 1)),
                                        static_cast<float>(cli.real("lr")),
                                        static_cast<float>(cli.real("temperature")),
                                        cli.integer("quiet") == 0,
                                        ""};
  const index_t top_layers = cli.integer("fine-tune-top-layers", 0);

  // The model first: it is the likelier thing to be missing.
  const std::string model_dir = cli.text("model");
  auto tokenizer = text::BertTokenizer::from_pretrained(model_dir);
  auto bert = encoders::load_bert<float>(model_dir);
  // Frozen layers run in the chosen precision; layers being fine-tuned train
  // in float32 (layers/linear.hpp).
  const auto precision = backend::parse_precision(cli.text("precision"), "--precision");
  if (precision != backend::Precision::fp32) bert.set_precision(precision);

  const auto dir = examples::dataset_dir(cli.text("data"), "ml-100k");
  // The shared ml-100k copy lacks movie 267's line (docs/results.md).
  const data::MovieLens ml = data::load_movielens(dir, {data::UnknownIdPolicy::skip});
  if (ml.skipped_ratings > 0)
    std::fprintf(stderr, "note: skipped %zu ratings naming items or users absent from %s\n",
                 static_cast<std::size_t>(ml.skipped_ratings), dir.string().c_str());
  const data::LeaveOneOutSplit split = data::leave_one_out_split(ml.ratings, ml.num_users());
  const LooProtocol validation = examples::loo_protocol(split, ml.num_users(), false);
  const LooProtocol test = examples::loo_protocol(split, ml.num_users(), true);

  examples::TwoTowerConfig config;
  config.num_users = ml.num_users();
  config.num_items = ml.num_items();
  config.num_occupations = static_cast<index_t>(ml.occupations.size());
  config.num_genres = static_cast<index_t>(ml.genre_names.size());

  std::vector<std::string> texts;
  for (std::int32_t i = 0; i < ml.num_items(); ++i) texts.push_back(ml.item_text(i));
  const auto start = std::chrono::steady_clock::now();
  Rng text_rng(base.seed + 1);
  // Unit-length text vectors, as sentence-transformers defines MiniLM's
  // embedding.
  const encoders::ItemTextEncoder<float> item_text(std::move(bert), std::move(tokenizer), texts,
                                                   {.pooling = encoders::Pooling::mean,
                                                    .max_length = 64,
                                                    .output_dim = config.id_dim,
                                                    .fine_tune_top_layers = top_layers,
                                                    .normalize_text_vectors = true},
                                                   text_rng);
  const double cache_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (base.verbose)
    std::fprintf(stderr,
                 "loaded %s: %zu ratings, %d users, %d items; text cache in "
                 "%.2f s; %d threads\n",
                 dir.string().c_str(), ml.ratings.size(), ml.num_users(), ml.num_items(),
                 cache_seconds, num_threads());
  char text_fields[200];
  std::snprintf(text_fields, sizeof text_fields,
                ",\"text_encoder\":\"%s\",\"fine_tune_top_layers\":%lld,"
                "\"text_precision\":\"%s\",\"text_cache_seconds\":%.2f",
                model_name(model_dir).c_str(), static_cast<long long>(top_layers),
                backend::to_string(precision), cache_seconds);

  {
    Rng rng(base.seed);
    examples::TwoTowerModel<float> model(config, rng);
    examples::TwoTowerTraining o = base;
    o.label = "two_tower";
    auto [metrics, fit] = train_two_tower(model, ml, split, validation, test, o);
    print_result("two_tower", metrics, fit, "");
  }
  for (bool with_item_id : {true, false}) {
    Rng rng(base.seed);
    Towers<TextItemTower<float>> model{{},
                                       examples::UserTower<float>(config, rng),
                                       TextItemTower<float>(config, item_text, with_item_id, rng)};
    examples::TwoTowerTraining o = base;
    o.label = with_item_id ? "two_tower_id_text" : "two_tower_text";
    // The same trained model with its item vectors re-encoded: the effect of
    // the serving precision alone, free of retraining's seed noise.
    std::function<void(decltype(model) &)> re_encode;
    train::Metrics served;
    if (!cli.text("serve-precision").empty()) {
      const auto serve = backend::parse_precision(cli.text("serve-precision"), "--serve-precision");
      re_encode = [serve](auto &m) {
        m.items.text().encoder().set_precision(serve);
        m.items.text().refresh();
      };
    }
    auto [metrics, fit] = train_two_tower(model, ml, split, validation, test, o, re_encode, &served);
    print_result(o.label, metrics, fit, text_fields);
    if (re_encode) {
      char float32_ndcg[32];
      std::snprintf(float32_ndcg, sizeof float32_ndcg, "%.4f", metrics.at("NDCG@10"));
      const std::string served_fields = std::string(text_fields) + ",\"served_precision\":\"" +
                                        cli.text("serve-precision") + "\",\"float32_NDCG@10\":" +
                                        float32_ndcg;
      print_result(o.label + "_served", served, fit, served_fields);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "movielens_text_two_tower: %s\n", e.what());
    return 1;
  }
}
