#include <adaptrec/train/mlm_pretraining.hpp>

#include <support/expect_throw.hpp>
#include <support/thread_count.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;

namespace {

const std::vector<std::string> things = {"sky", "grass", "apple", "sea", "snow", "coal"};
const std::vector<std::string> colours = {"blue", "green", "red", "blue", "white", "black"};

text::BertTokenizer tiny_tokenizer() {
  std::vector<std::string> tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
                                     "the",   "is",    "very",  "."};
  for (const auto& t : things) tokens.push_back(t);
  for (const auto& c : colours)
    if (std::find(tokens.begin(), tokens.end(), c) == tokens.end()) tokens.push_back(c);
  return text::BertTokenizer(text::Vocabulary(tokens, "tiny vocab"));
}

// "the sky is blue ." and "the sky is very blue .": each colour follows from
// its thing and back, and "the", "is", "." from their places.
std::vector<std::string> repetitive_corpus(std::size_t n) {
  std::vector<std::string> corpus;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t k = (i * 7) % things.size();
    corpus.push_back("the " + things[k] + " is " + (i % 3 == 0 ? "very " : "") + colours[k] + " .");
  }
  return corpus;
}

encoders::BertConfig small_config(index_t vocab_size) {
  encoders::BertConfig c;
  c.vocab_size = vocab_size;
  c.hidden_size = 32;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.intermediate_size = 64;
  c.max_position_embeddings = 16;
  c.hidden_dropout_prob = 0.0;
  c.attention_probs_dropout_prob = 0.0;
  return c;
}

train::MlmPretrainOptions fast_options() {
  train::MlmPretrainOptions o;
  o.epochs = 25;
  o.batch_size = 16;
  o.max_length = 12;
  o.learning_rate = 2e-3;
  o.warmup_fraction = 0.05;
  o.held_out_fraction = 0.2;
  o.seed = 7;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(train_mlm_pretraining)

BOOST_AUTO_TEST_CASE(from_scratch_training_lowers_the_held_out_loss_clearly) {
  // Matrices of a few dozen rows: worker threads would only add waiting, which
  // on a busy machine costs more than the whole run.
  adaptrec_test::ThreadCount serial(1);
  const text::BertTokenizer tokenizer = tiny_tokenizer();
  Rng rng(1);
  encoders::BertForMaskedLM<float> model(small_config(tokenizer.vocabulary().size()), rng);
  const train::MlmPretrainResult result =
      train::pretrain_masked_lm(model, tokenizer, repetitive_corpus(240), fast_options());

  BOOST_TEST(result.train_texts == 192u);
  BOOST_TEST(result.held_out_texts == 48u);
  BOOST_TEST(result.epochs.size() == 25u);
  BOOST_TEST(result.steps == 25 * 12 - result.skipped_batches);
  const auto& first = result.initial_held_out;
  const auto& last = result.epochs.back().held_out;
  BOOST_TEST(first.masked_tokens > 20);
  BOOST_TEST(last.masked_tokens == first.masked_tokens);  // the same fixed masks
  BOOST_TEST_MESSAGE("held-out loss " << first.loss << " -> " << last.loss << ", accuracy "
                                      << first.accuracy << " -> " << last.accuracy << " in "
                                      << result.seconds << " s");
  // Chance is ln(V) = ln 20 = 3.0; the corpus is nearly deterministic.
  BOOST_TEST(first.loss > 2.0);
  BOOST_TEST(last.loss < 0.5 * first.loss);
  BOOST_TEST(last.accuracy > 0.7);
  BOOST_TEST(result.epochs.back().train_loss < result.epochs.front().train_loss);
}

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_run) {
  const text::BertTokenizer tokenizer = tiny_tokenizer();
  auto options = fast_options();
  options.epochs = 2;
  auto run = [&] {
    Rng rng(2);
    encoders::BertForMaskedLM<double> model(small_config(tokenizer.vocabulary().size()), rng);
    return train::pretrain_masked_lm(model, tokenizer, repetitive_corpus(60), options);
  };
  const auto a = run(), b = run();
  BOOST_TEST(a.initial_held_out.loss == b.initial_held_out.loss);
  for (std::size_t e = 0; e < a.epochs.size(); ++e) {
    BOOST_TEST(a.epochs[e].train_loss == b.epochs[e].train_loss);
    BOOST_TEST(a.epochs[e].held_out.loss == b.epochs[e].held_out.loss);
  }
}

BOOST_AUTO_TEST_CASE(zero_epochs_only_evaluate_and_no_held_out_set_is_allowed) {
  const text::BertTokenizer tokenizer = tiny_tokenizer();
  Rng rng(3);
  encoders::BertForMaskedLM<float> model(small_config(tokenizer.vocabulary().size()), rng);
  const std::vector<float> before = model.word_embeddings().value.to_vector();
  auto options = fast_options();
  options.epochs = 0;
  const auto evaluated = train::pretrain_masked_lm(model, tokenizer, repetitive_corpus(40), options);
  BOOST_TEST(evaluated.steps == 0);
  BOOST_TEST(evaluated.initial_held_out.masked_tokens > 0);
  BOOST_TEST(model.word_embeddings().value.to_vector() == before);

  options.epochs = 1;
  options.held_out_fraction = 0;
  const auto trained = train::pretrain_masked_lm(model, tokenizer, repetitive_corpus(40), options);
  BOOST_TEST(trained.held_out_texts == 0u);
  BOOST_TEST(trained.epochs.at(0).held_out.masked_tokens == 0);
  BOOST_TEST(trained.steps > 0);
}

BOOST_AUTO_TEST_CASE(weight_decay_skips_biases_and_layer_norm_weights) {
  BOOST_TEST(train::detail::decays("bert.encoder.layer.0.attention.self.query.weight"));
  BOOST_TEST(train::detail::decays("bert.embeddings.word_embeddings.weight"));
  BOOST_TEST(train::detail::decays("cls.predictions.transform.dense.weight"));
  BOOST_TEST(!train::detail::decays("bert.encoder.layer.0.output.dense.bias"));
  BOOST_TEST(!train::detail::decays("bert.embeddings.LayerNorm.weight"));
  BOOST_TEST(!train::detail::decays("cls.predictions.transform.LayerNorm.weight"));
  BOOST_TEST(!train::detail::decays("cls.predictions.bias"));
}

BOOST_AUTO_TEST_CASE(bad_options_and_mismatches_are_named) {
  const text::BertTokenizer tokenizer = tiny_tokenizer();
  Rng rng(4);
  encoders::BertForMaskedLM<float> model(small_config(tokenizer.vocabulary().size()), rng);
  const auto corpus = repetitive_corpus(20);
  auto with = [&](auto change) {
    auto options = fast_options();
    change(options);
    return [&, options] { train::pretrain_masked_lm(model, tokenizer, corpus, options); };
  };
  require_throw_naming<invalid_argument>(with([](auto& o) { o.batch_size = 0; }), {"batch_size"});
  require_throw_naming<invalid_argument>(with([](auto& o) { o.learning_rate = -1; }),
                                         {"learning_rate"});
  require_throw_naming<invalid_argument>(with([](auto& o) { o.held_out_fraction = 1; }),
                                         {"held_out_fraction"});
  require_throw_naming<invalid_argument>(with([](auto& o) { o.masking.mask_probability = 2; }),
                                         {"masking", "mask_probability"});
  require_throw_naming<invalid_argument>(with([](auto& o) { o.max_length = 17; }),
                                         {"max_length 17", "16 positions"});
  require_throw_naming<invalid_argument>(
      [&] { train::pretrain_masked_lm(model, tokenizer, {}, fast_options()); },
      {"no training text"});

  encoders::BertForMaskedLM<float> small(small_config(10), rng);
  require_throw_naming<invalid_argument>(
      [&] { train::pretrain_masked_lm(small, tokenizer, corpus, fast_options()); },
      {"tiny vocab", "20 tokens", "vocab_size is 10"});
}

BOOST_AUTO_TEST_SUITE_END()
