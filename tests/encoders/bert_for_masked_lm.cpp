#include <adaptrec/encoders/bert_for_masked_lm.hpp>

#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>
#include <support/temp_dir.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;

namespace {

encoders::BertConfig tiny_config() {
  encoders::BertConfig c;
  c.vocab_size = 17;
  c.hidden_size = 8;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 2;
  c.intermediate_size = 12;
  c.max_position_embeddings = 8;
  c.hidden_act = "gelu";
  c.layer_norm_eps = 1e-12;
  c.initializer_range = 0.3;
  c.hidden_dropout_prob = 0.1;
  c.attention_probs_dropout_prob = 0.1;
  return c;
}

// Two rows, the second padded; ids 0..4 play [PAD] [UNK] [CLS] [SEP] [MASK].
text::TokenBatch tiny_batch() {
  return {Tensor<index_t>(Shape{2, 6}, {2, 4, 9, 4, 12, 3, 2, 7, 4, 3, 0, 0}),
          Tensor<index_t>(Shape{2, 6}, {0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0}),
          Tensor<index_t>(Shape{2, 6}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0})};
}

Tensor<index_t> tiny_labels() {
  return Tensor<index_t>(Shape{2, 6}, {-100, 6, -100, 11, 12, -100, -100, -100, 15, -100, -100, -100});
}

// Biases and layer norms away from 0 / 1, so that every parameter matters.
void perturb(encoders::BertForMaskedLM<double>& model, Rng& rng) {
  model.visit_parameters(
      [&](const std::string&, Parameter<double>& p) {
        if (p.shape().rank() == 1) {
          Tensor<double> noise(p.shape());
          fill_uniform(noise, -0.3, 0.3, rng);
          backend::axpy(1.0, noise, p.value);
        }
      },
      "");
}

std::map<std::string, Tensor<double>> values_of(encoders::BertForMaskedLM<double>& model) {
  std::map<std::string, Tensor<double>> out;
  model.visit_parameters(
      [&](const std::string& name, Parameter<double>& p) { out.emplace(name, p.value); }, "");
  return out;
}

void check_loss_gradients(encoders::BertForMaskedLM<double>& model, bool with_dropout) {
  const text::TokenBatch batch = tiny_batch();
  const Tensor<index_t> labels = tiny_labels();
  auto loss = [&] {
    if (with_dropout) model.reseed_dropout(99);
    return model.forward(batch, labels);
  };
  zero_grad(model);
  loss();
  model.backward();
  model.visit_parameters(
      [&](const std::string& name, Parameter<double>& p) {
        const Tensor<double> analytic = p.grad;
        const Tensor<double> numeric = adaptrec_test::numeric_gradient(p.value, loss);
        adaptrec_test::compare(analytic, numeric, name);
      },
      "");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(encoders_bert_for_masked_lm)

BOOST_AUTO_TEST_CASE(loss_gradients_match_finite_differences_for_every_parameter) {
  Rng rng(1);
  encoders::BertForMaskedLM<double> model(tiny_config(), rng);
  perturb(model, rng);
  model.eval();
  check_loss_gradients(model, false);
}

BOOST_AUTO_TEST_CASE(loss_gradients_with_dropout_match_finite_differences) {
  Rng rng(2);
  encoders::BertForMaskedLM<double> model(tiny_config(), rng, /*dropout_seed=*/5);
  perturb(model, rng);
  model.train();
  check_loss_gradients(model, true);
}

BOOST_AUTO_TEST_CASE(loss_is_the_mean_cross_entropy_of_the_full_logits_at_labelled_positions) {
  Rng rng(3);
  encoders::BertForMaskedLM<double> model(tiny_config(), rng);
  perturb(model, rng);
  model.eval();
  const text::TokenBatch batch = tiny_batch();
  const Tensor<index_t> labels = tiny_labels();
  const Tensor<double> full = model.logits(batch);
  BOOST_REQUIRE(full.shape() == (Shape{2, 6, 17}));
  double expected = 0;
  index_t count = 0, correct = 0;
  for (index_t i = 0; i < labels.size(); ++i) {
    if (labels[i] == text::ignored_label) continue;
    const double* row = full.data() + i * 17;
    double max = row[0];
    index_t best = 0;
    for (index_t v = 1; v < 17; ++v)
      if (row[v] > max) max = row[best = v];
    double sum = 0;
    for (index_t v = 0; v < 17; ++v) sum += std::exp(row[v] - max);
    expected += max + std::log(sum) - row[labels[i]];
    correct += best == labels[i];
    ++count;
  }
  const double loss = model.forward(batch, labels);
  BOOST_TEST(loss == expected / static_cast<double>(count), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(model.masked_logits().shape() == (Shape{count, 17}));
  BOOST_TEST(model.masked_positions().to_vector() == (std::vector<index_t>{1, 3, 4, 8}),
             boost::test_tools::per_element());
  BOOST_TEST(model.masked_labels().to_vector() == (std::vector<index_t>{6, 11, 12, 15}),
             boost::test_tools::per_element());
  BOOST_TEST(model.correct_predictions() == correct);
}

BOOST_AUTO_TEST_CASE(names_are_hugging_face_bert_for_masked_lm) {
  Rng rng(4);
  encoders::BertForMaskedLM<float> model(tiny_config(), rng);
  std::vector<std::string> names;
  model.visit_parameters([&](const std::string& n, Parameter<float>&) { names.push_back(n); }, "");
  BOOST_TEST(names.front() == "bert.embeddings.word_embeddings.weight");
  BOOST_TEST(names.back() == "cls.predictions.bias");
  const std::set<std::string> set(names.begin(), names.end());
  BOOST_TEST(set.count("bert.encoder.layer.1.output.LayerNorm.weight") == 1u);
  BOOST_TEST(set.count("cls.predictions.transform.dense.weight") == 1u);
  BOOST_TEST(set.count("cls.predictions.transform.LayerNorm.bias") == 1u);
  for (const std::string& n : names) BOOST_TEST(n.find("pooler") == std::string::npos, n);
}

BOOST_AUTO_TEST_CASE(bad_labels_are_named) {
  Rng rng(5);
  encoders::BertForMaskedLM<double> model(tiny_config(), rng);
  const text::TokenBatch batch = tiny_batch();
  require_throw_naming<invalid_argument>(
      [&] { model.forward(batch, Tensor<index_t>::full(Shape{2, 6}, -100)); },
      {"BertForMaskedLM", "no position", "[2, 6]"});
  require_throw_naming<shape_error>([&] { model.forward(batch, Tensor<index_t>(Shape{2, 5})); },
                                    {"labels", "[2, 5]", "[2, 6]"});
  Tensor<index_t> labels = tiny_labels();
  labels(1, 2) = 17;
  require_throw_naming<index_error>([&] { model.forward(batch, labels); },
                                    {"labels[1, 2] = 17", "[0, 17)"});
  labels(1, 2) = -1;
  require_throw_naming<index_error>([&] { model.forward(batch, labels); }, {"labels[1, 2] = -1"});
}

BOOST_AUTO_TEST_CASE(save_and_load_round_trip_in_the_hugging_face_layout) {
  Rng rng(6);
  encoders::BertForMaskedLM<double> model(tiny_config(), rng);
  perturb(model, rng);
  model.eval();
  adaptrec_test::TempDir dir("mlm-round-trip");
  adaptrec_test::TempDir tokenizer("mlm-tokenizer");
  tokenizer.write("vocab.txt", "[PAD]\n[UNK]\n");
  encoders::MaskedLMSaveOptions options;
  options.dtype = io::DType::f64;
  options.tokenizer_source = tokenizer.path();
  encoders::save_bert_for_masked_lm(model, dir.path(), options);

  const io::Json config = io::read_json_file(dir / "config.json");
  BOOST_TEST(config.at("architectures").at(0).as_string() == "BertForMaskedLM");
  BOOST_TEST((encoders::BertConfig::from_json(config, "config.json") == tiny_config()));
  BOOST_TEST(std::filesystem::exists(dir / "vocab.txt"));
  const auto file = io::SafetensorsFile::open(dir / "model.safetensors");
  const auto saved = values_of(model);
  BOOST_TEST(file.size() == saved.size());
  for (const auto& [name, value] : saved) BOOST_TEST(file.contains(name), name);

  auto loaded = encoders::load_bert_for_masked_lm<double>(dir.path());
  for (const auto& [name, value] : values_of(loaded))
    BOOST_TEST(value.to_vector() == saved.at(name).to_vector(), name);
  loaded.eval();
  BOOST_TEST(loaded.forward(tiny_batch(), tiny_labels()) ==
             model.forward(tiny_batch(), tiny_labels()));
}

BOOST_AUTO_TEST_CASE(a_bare_encoder_checkpoint_gets_a_freshly_initialised_head) {
  Rng rng(7);
  encoders::Bert<double> encoder(tiny_config(), rng, /*with_pooler=*/true);
  adaptrec_test::TempDir dir("mlm-bare");
  encoders::BertSaveOptions save;
  save.dtype = io::DType::f64;
  encoders::save_bert(encoder, dir.path(), save);

  encoders::MaskedLMLoadOptions load;
  load.head_seed = 3;
  auto model = encoders::load_bert_for_masked_lm<double>(dir.path(), load);
  std::map<std::string, Tensor<double>> encoder_values;
  encoder.visit_parameters(
      [&](const std::string& n, Parameter<double>& p) { encoder_values.emplace(n, p.value); }, "");
  model.bert().visit_parameters(
      [&](const std::string& n, Parameter<double>& p) {
        BOOST_TEST(p.value.to_vector() == encoder_values.at(n).to_vector(), n);
      },
      "");
  auto& head = model.head();
  for (double g : head.layer_norm().weight().value) BOOST_TEST(g == 1.0);
  for (double b : head.bias().value) BOOST_TEST(b == 0.0);
  for (double b : head.dense().bias().value) BOOST_TEST(b == 0.0);
  double squares = 0;
  for (double w : head.dense().weight().value) squares += w * w;
  BOOST_TEST(squares > 0.0);

  // The same seed gives the same head.
  auto again = encoders::load_bert_for_masked_lm<double>(dir.path(), load);
  BOOST_TEST(again.head().dense().weight().value.to_vector() ==
             head.dense().weight().value.to_vector());
}

BOOST_AUTO_TEST_CASE(an_untied_decoder_or_foreign_tensor_is_refused) {
  Rng rng(8);
  encoders::BertForMaskedLM<double> model(tiny_config(), rng);
  adaptrec_test::TempDir dir("mlm-untied");
  encoders::MaskedLMSaveOptions options;
  options.dtype = io::DType::f64;
  encoders::save_bert_for_masked_lm(model, dir.path(), options);
  const auto path = dir / "model.safetensors";

  auto rewrite_with = [&](const std::string& extra_name, const Tensor<double>& extra) {
    const auto file = io::SafetensorsFile::open(path);
    io::SafetensorsWriter writer;
    for (const std::string& name : file.names())
      if (name != extra_name) writer.add(name, file.tensor<double>(name));
    writer.add(extra_name, extra);
    writer.write(path);
  };

  // A stored decoder equal to the embeddings is fine (older transformers saved it).
  rewrite_with("cls.predictions.decoder.weight", model.word_embeddings().value);
  BOOST_CHECK_NO_THROW(encoders::load_bert_for_masked_lm<double>(dir.path()));

  Tensor<double> untied = model.word_embeddings().value;
  untied[5] += 1;
  rewrite_with("cls.predictions.decoder.weight", untied);
  require_throw_naming<io_error>([&] { encoders::load_bert_for_masked_lm<double>(dir.path()); },
                                 {"model.safetensors", "cls.predictions.decoder.weight", "tied"});

  rewrite_with("cls.predictions.decoder.weight", model.word_embeddings().value);
  rewrite_with("classifier.weight", Tensor<double>(Shape{2, 8}));
  require_throw_naming<io_error>([&] { encoders::load_bert_for_masked_lm<double>(dir.path()); },
                                 {"classifier.weight", "unexpected"});
}

BOOST_AUTO_TEST_SUITE_END()
