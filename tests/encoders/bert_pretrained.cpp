#include <adaptrec/encoders/bert_pretrained.hpp>

#include <support/expect_throw.hpp>
#include <support/temp_dir.hpp>

#include <boost/test/unit_test.hpp>

#include <fstream>

using namespace adaptrec;
using adaptrec_test::contains;
using adaptrec_test::require_throw_naming;
using encoders::Bert;
using encoders::BertConfig;
using encoders::NamePrefix;

namespace {

BertConfig small_config() {
  BertConfig c;
  c.vocab_size = 17;
  c.hidden_size = 12;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 3;
  c.intermediate_size = 20;
  c.max_position_embeddings = 10;
  c.hidden_act = "gelu_new";
  c.layer_norm_eps = 1e-5;
  return c;
}

text::TokenBatch batch() {
  text::TokenBatch b;
  b.input_ids = Tensor<index_t>(Shape{2, 4}, {2, 9, 4, 3, 2, 16, 3, 0});
  b.token_type_ids = Tensor<index_t>(Shape{2, 4}, {0, 0, 1, 1, 0, 0, 0, 0});
  b.attention_mask = Tensor<index_t>(Shape{2, 4}, {1, 1, 1, 1, 1, 1, 1, 0});
  return b;
}

template <class T>
std::vector<std::vector<T>> values_of(Bert<T>& m) {
  std::vector<std::vector<T>> out;
  m.visit_parameters(
      [&](const std::string&, Parameter<T>& p) { out.push_back(p.value.to_vector()); }, "");
  return out;
}

// Rewrites dir/model.safetensors through `edit(name, tensor, writer)`, which
// adds what it wants to keep.
template <class Edit>
void rewrite_weights(const std::filesystem::path& dir, Edit&& edit) {
  const auto file = io::SafetensorsFile::open(dir / "model.safetensors");
  io::SafetensorsWriter writer;
  for (const std::string& name : file.names()) edit(name, file.tensor<float>(name), writer);
  writer.write(dir / "model.safetensors");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(encoders_bert_pretrained)

BOOST_AUTO_TEST_CASE(save_then_load_is_bit_exact_in_both_namings) {
  for (NamePrefix names : {NamePrefix::bare, NamePrefix::bert}) {
    BOOST_TEST_CONTEXT("prefix '" << encoders::name_prefix(names) << "'") {
      adaptrec_test::TempDir dir("bert-save");
      Rng rng(1);
      Bert<float> saved(small_config(), rng);
      encoders::save_bert(saved, dir.path(), names);
      const auto file = io::SafetensorsFile::open(dir / "model.safetensors");
      BOOST_TEST(file.contains(std::string(encoders::name_prefix(names)) +
                               "encoder.layer.1.attention.self.query.weight"));
      BOOST_TEST(file.metadata().at("format") == "pt");
      const io::Json config = io::read_json_file(dir / "config.json");
      BOOST_TEST(config.at("torch_dtype").as_string() == "float32");
      BOOST_TEST(config.at("model_type").as_string() == "bert");

      Bert<float> loaded = encoders::load_bert<float>(dir.path());
      BOOST_TEST((loaded.config() == saved.config()));
      BOOST_TEST(loaded.has_pooler());
      BOOST_TEST((values_of(loaded) == values_of(saved)));
      saved.eval();
      loaded.eval();
      BOOST_TEST(loaded.encode(batch(), encoders::Pooling::pooler).to_vector() ==
                 saved.encode(batch(), encoders::Pooling::pooler).to_vector());
    }
  }
}

BOOST_AUTO_TEST_CASE(double_models_round_trip_as_f64) {
  adaptrec_test::TempDir dir("bert-save");
  Rng rng(2);
  BertConfig c = small_config();
  c.pre_layer_norm = true;
  Bert<double> saved(c, rng, /*with_pooler=*/false);
  encoders::BertSaveOptions options;
  options.dtype = io::DType::f64;
  options.names = NamePrefix::bert;
  encoders::save_bert(saved, dir.path(), options);
  BOOST_TEST(io::read_json_file(dir / "config.json").at("torch_dtype").as_string() == "float64");
  Bert<double> loaded = encoders::load_bert<double>(dir.path());
  BOOST_TEST(!loaded.has_pooler());
  BOOST_TEST(loaded.config().pre_layer_norm);
  BOOST_TEST((values_of(loaded) == values_of(saved)));
}

BOOST_AUTO_TEST_CASE(tokenizer_files_are_copied_when_asked) {
  adaptrec_test::TempDir source("bert-tok"), dir("bert-save");
  source.write("vocab.txt", "[PAD]\n[UNK]\n");
  source.write("tokenizer_config.json", "{}");
  Rng rng(3);
  Bert<float> model(small_config(), rng);
  encoders::BertSaveOptions options;
  options.tokenizer_source = source.path();
  encoders::save_bert(model, dir.path(), options);
  BOOST_TEST(std::filesystem::exists(dir / "vocab.txt"));
  BOOST_TEST(std::filesystem::exists(dir / "tokenizer_config.json"));
  BOOST_TEST(!std::filesystem::exists(dir / "tokenizer.json"));
  // Saving over the folder the tokenizer came from leaves it in place.
  options.tokenizer_source = dir.path();
  encoders::save_bert(model, dir.path(), options);
  BOOST_TEST(std::filesystem::file_size(dir / "vocab.txt") == 12u);
}

BOOST_AUTO_TEST_CASE(task_heads_and_buffers_are_ignored_other_tensors_are_not) {
  adaptrec_test::TempDir dir("bert-load");
  Rng rng(4);
  Bert<float> model(small_config(), rng, /*with_pooler=*/false);
  encoders::save_bert(model, dir.path(), NamePrefix::bert);
  rewrite_weights(dir.path(),
                  [&](const std::string& name, const Tensor<float>& t, io::SafetensorsWriter& w) {
                    w.add(name, t);
                    if (name == "bert.embeddings.LayerNorm.bias") {
                      w.add("cls.predictions.bias", Tensor<float>(Shape{17}));
                      w.add("bert.embeddings.position_ids", Tensor<index_t>(Shape{1, 10}));
                    }
                  });
  BOOST_TEST(!encoders::load_bert<float>(dir.path()).has_pooler());

  rewrite_weights(dir.path(),
                  [&](const std::string& name, const Tensor<float>& t, io::SafetensorsWriter& w) {
                    if (name != "bert.embeddings.position_ids") w.add(name, t);
                    if (name == "cls.predictions.bias")
                      w.add("classifier.weight", Tensor<float>(Shape{2, 12}));
                  });
  require_throw_naming<io_error>([&] { encoders::load_bert<float>(dir.path()); },
                                 {"unexpected tensors (1)", "classifier.weight"});
  encoders::BertLoadOptions options;
  options.ignored_prefixes = {"cls.", "classifier."};
  BOOST_TEST(encoders::load_bert<float>(dir.path(), options).num_layers() == 2u);
}

BOOST_AUTO_TEST_CASE(missing_extra_and_misshaped_tensors_are_all_named) {
  adaptrec_test::TempDir dir("bert-load");
  Rng rng(5);
  Bert<float> model(small_config(), rng);
  encoders::save_bert(model, dir.path());
  rewrite_weights(dir.path(),
                  [](const std::string& name, const Tensor<float>& t, io::SafetensorsWriter& w) {
                    if (name == "encoder.layer.1.output.dense.bias") return;  // missing
                    if (name == "encoder.layer.0.attention.self.key.weight")
                      w.add(name, Tensor<float>(Shape{12, 11}));  // wrongly shaped
                    else
                      w.add(name, t);
                    if (name == "pooler.dense.bias")
                      w.add("encoder.layer.2.output.dense.bias", t);  // extra
                  });
  const std::string message =
      adaptrec_test::message_of<io_error>([&] { encoders::load_bert<float>(dir.path()); });
  for (const char* part :
       {"model.safetensors", "missing tensors (1)", "\"encoder.layer.1.output.dense.bias\"",
        "wrongly shaped tensors (1)",
        "\"encoder.layer.0.attention.self.key.weight\": expected [12, 12], found [12, 11]",
        "unexpected tensors (1)", "\"encoder.layer.2.output.dense.bias\""})
    BOOST_TEST(contains(message, part), "'" << message << "' lacks '" << part << "'");
}

BOOST_AUTO_TEST_CASE(asking_for_an_absent_pooler_names_it) {
  adaptrec_test::TempDir dir("bert-load");
  Rng rng(6);
  Bert<float> model(small_config(), rng, /*with_pooler=*/false);
  encoders::save_bert(model, dir.path());
  encoders::BertLoadOptions options;
  options.with_pooler = true;
  require_throw_naming<io_error>(
      [&] { encoders::load_bert<float>(dir.path(), options); },
      {"missing tensors (2)", "pooler.dense.weight", "pooler.dense.bias"});
}

BOOST_AUTO_TEST_CASE(a_pooler_can_be_left_out) {
  adaptrec_test::TempDir dir("bert-load");
  Rng rng(7);
  Bert<float> model(small_config(), rng);
  encoders::save_bert(model, dir.path());
  encoders::BertLoadOptions options;
  options.with_pooler = false;
  BOOST_TEST(!encoders::load_bert<float>(dir.path(), options).has_pooler());
}

BOOST_AUTO_TEST_CASE(missing_files_are_named) {
  adaptrec_test::TempDir dir("bert-load");
  require_throw_naming<io_error>([&] { encoders::load_bert<float>(dir.path()); }, {"config.json"});
  Rng rng(8);
  Bert<float> model(small_config(), rng);
  encoders::save_bert(model, dir.path());
  std::filesystem::rename(dir / "model.safetensors", dir / "pytorch_model.bin");
  require_throw_naming<io_error>([&] { encoders::load_bert<float>(dir.path()); },
                                 {"model.safetensors", "pytorch_model.bin", "safe_serialization"});
  std::filesystem::remove(dir / "pytorch_model.bin");
  require_throw_naming<io_error>([&] { encoders::load_bert<float>(dir.path()); },
                                 {"model.safetensors not found"});
}

BOOST_AUTO_TEST_SUITE_END()
