// Domain-adaptive masked-language-model pretraining on MovieLens item texts
// ("Toy Story (1995) | Animation, Children's, Comedy"): continues a BERT-family
// checkpoint, or trains a small encoder from scratch on the same vocabulary,
// so its embeddings know the catalogue's words before a recommender uses them.
//
//   pretrain_mlm --model ~/.cache/adaptrec/all-minilm-l6-v2 --epochs 3 --out adapted-minilm
//   pretrain_mlm --from-scratch --vocab ~/.cache/adaptrec/all-minilm-l6-v2
//                --hidden 128 --layers 2 --heads 4 --epochs 10   (one command)
//
// Prints the held-out loss and masked-token accuracy before and after on
// stdout, a progress line per epoch on stderr, then one JSON line. --out saves
// the model in the Hugging Face layout (BertForMaskedLM) with its vocab.txt.
#include "common/cli.hpp"

#include <adaptrec/core/threads.hpp>
#include <adaptrec/data.hpp>
#include <adaptrec/encoders/bert_for_masked_lm.hpp>
#include <adaptrec/text/bert_tokenizer.hpp>
#include <adaptrec/train/mlm_pretraining.hpp>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

namespace {

using namespace adaptrec;

// A bare `--from-scratch` (followed by another option, or last) means
// `--from-scratch=1`: the one flag without a value.
std::vector<char*> expand_flags(int argc, char** argv) {
  static char from_scratch_on[] = "--from-scratch=1";
  std::vector<char*> args(argv, argv + argc);
  for (std::size_t i = 1; i < args.size(); ++i)
    if (std::strcmp(args[i], "--from-scratch") == 0 &&
        (i + 1 == args.size() || std::strncmp(args[i + 1], "--", 2) == 0))
      args[i] = from_scratch_on;
  return args;
}

encoders::BertConfig small_config(index_t vocab_size, index_t hidden, index_t layers,
                                  index_t heads) {
  encoders::BertConfig config;
  config.vocab_size = vocab_size;
  config.hidden_size = hidden;
  config.num_hidden_layers = layers;
  config.num_attention_heads = heads;
  config.intermediate_size = 4 * hidden;  // BERT's ratio
  config.validate("pretrain_mlm");
  return config;
}

void print_evaluation(const char* when, const train::MlmEvaluation& e) {
  std::printf("held-out %s: loss %.4f  masked accuracy %.4f  (%lld masked tokens)\n", when, e.loss,
              e.accuracy, static_cast<long long>(e.masked_tokens));
}

int run(int argc, char** argv) {
  examples::CommandLine cli(
      "pretrain_mlm",
      "Masked-LM pretraining of a BERT encoder on MovieLens-100K item texts.",
      {{"data", {examples::default_data_dir(), "data root or ml-100k folder"}},
       {"model", {"", "checkpoint folder to continue (config.json, vocab.txt, model.safetensors)"}},
       {"from-scratch", {"0", "1 (or the bare flag) trains a new encoder on --vocab's vocab.txt"}},
       {"vocab", {"", "folder with vocab.txt for --from-scratch"}},
       {"hidden", {"128", "hidden size of a new encoder"}},
       {"layers", {"2", "layers of a new encoder"}},
       {"heads", {"4", "attention heads of a new encoder"}},
       {"epochs", {"3", "passes over the training texts"}},
       {"batch", {"32", "texts per step"}},
       {"max-len", {"32", "tokens per text, [CLS] and [SEP] included"}},
       {"lr", {"", "peak learning rate (default 5e-5 continuing, 5e-4 from scratch)"}},
       {"held-out", {"0.1", "fraction of the texts held out for evaluation"}},
       {"seed", {"42", "random seed"}},
       {"threads", {"2", "CPU threads"}},
       {"out", {"", "folder to save the trained model in (Hugging Face layout)"}},
       {"quiet", {"0", "1 silences the progress lines"}}});
  std::vector<char*> args = expand_flags(argc, argv);
  if (!cli.parse(static_cast<int>(args.size()), args.data())) return 0;
  set_num_threads(static_cast<int>(cli.integer("threads", 1)));
  const auto seed = static_cast<std::uint64_t>(cli.integer("seed"));
  const bool from_scratch = cli.integer("from-scratch") != 0;
  train::MlmPretrainOptions options;
  options.epochs = static_cast<int>(cli.integer("epochs"));
  options.batch_size = static_cast<std::size_t>(cli.integer("batch", 1));
  options.max_length = cli.integer("max-len", 3);
  options.learning_rate = cli.text("lr").empty() ? (from_scratch ? 5e-4 : 5e-5) : cli.real("lr");
  options.held_out_fraction = cli.real("held-out");
  options.seed = seed;
  options.verbose = cli.integer("quiet") == 0;
  const std::string model_dir = cli.text("model");
  const std::string vocab_dir = from_scratch ? cli.text("vocab") : model_dir;
  if (from_scratch ? vocab_dir.empty() || !model_dir.empty() : model_dir.empty())
    throw invalid_argument("give --model DIR to continue a checkpoint, or --from-scratch with "
                           "--vocab DIR (see --help)");

  const auto tokenizer = text::BertTokenizer::from_pretrained(vocab_dir);
  Rng rng(seed);
  encoders::BertForMaskedLM<float> model =
      from_scratch
          ? encoders::BertForMaskedLM<float>(
                small_config(tokenizer.vocabulary().size(), cli.integer("hidden", 1),
                             cli.integer("layers", 1), cli.integer("heads", 1)),
                rng, seed)
          : encoders::load_bert_for_masked_lm<float>(model_dir, {.head_seed = seed,
                                                                 .dropout_seed = seed});

  const auto dir = examples::dataset_dir(cli.text("data"), "ml-100k");
  const data::MovieLens ml = data::load_movielens(dir, {data::UnknownIdPolicy::skip});
  std::vector<std::string> corpus;
  for (std::int32_t item = 0; item < ml.num_items(); ++item) corpus.push_back(ml.item_text(item));

  const train::MlmPretrainResult result =
      train::pretrain_masked_lm(model, tokenizer, corpus, options);

  const train::MlmEvaluation after =
      result.epochs.empty() ? result.initial_held_out : result.epochs.back().held_out;
  print_evaluation("before", result.initial_held_out);
  print_evaluation("after ", after);
  if (!cli.text("out").empty()) {
    encoders::MaskedLMSaveOptions save;
    save.tokenizer_source = vocab_dir;
    encoders::save_bert_for_masked_lm(model, cli.text("out"), save);
    std::printf("saved to %s\n", cli.text("out").c_str());
  }
  const encoders::BertConfig& c = model.config();
  std::printf(
      "{\"dataset\":\"ml-100k\",\"task\":\"masked_lm\",\"start\":\"%s\",\"hidden\":%lld,"
      "\"layers\":%lld,\"texts\":%zu,\"held_out_texts\":%zu,\"epochs\":%d,\"steps\":%lld,"
      "\"held_out_loss_before\":%.4f,\"held_out_loss_after\":%.4f,"
      "\"masked_accuracy_before\":%.4f,\"masked_accuracy_after\":%.4f,\"train_seconds\":%.2f}\n",
      from_scratch ? "scratch" : "checkpoint", static_cast<long long>(c.hidden_size),
      static_cast<long long>(c.num_hidden_layers), corpus.size(), result.held_out_texts,
      options.epochs, static_cast<long long>(result.steps), result.initial_held_out.loss,
      after.loss, result.initial_held_out.accuracy, after.accuracy, result.seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pretrain_mlm: %s\n", e.what());
    return 1;
  }
}
