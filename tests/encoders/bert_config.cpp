#include <adaptrec/encoders/bert_config.hpp>

#include <support/expect_throw.hpp>
#include <support/temp_dir.hpp>

#include <boost/test/unit_test.hpp>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;
using encoders::BertConfig;

namespace {

// MiniLM-L6's config.json, as transformers 4.8 wrote it.
const char* const minilm_config = R"({
  "_name_or_path": "nreimers/MiniLM-L6-H384-uncased",
  "architectures": ["BertModel"],
  "attention_probs_dropout_prob": 0.1,
  "gradient_checkpointing": false,
  "hidden_act": "gelu",
  "hidden_dropout_prob": 0.1,
  "hidden_size": 384,
  "initializer_range": 0.02,
  "intermediate_size": 1536,
  "layer_norm_eps": 1e-12,
  "max_position_embeddings": 512,
  "model_type": "bert",
  "num_attention_heads": 12,
  "num_hidden_layers": 6,
  "pad_token_id": 0,
  "position_embedding_type": "absolute",
  "transformers_version": "4.8.2",
  "type_vocab_size": 2,
  "use_cache": true,
  "vocab_size": 30522
})";

io::Json minilm_json() { return io::parse_json(minilm_config, "config.json"); }

}  // namespace

BOOST_AUTO_TEST_SUITE(encoders_bert_config)

BOOST_AUTO_TEST_CASE(reads_every_key_of_a_hugging_face_config) {
  const BertConfig c = BertConfig::from_json(minilm_json(), "config.json");
  BOOST_TEST(c.vocab_size == 30522);
  BOOST_TEST(c.hidden_size == 384);
  BOOST_TEST(c.num_hidden_layers == 6);
  BOOST_TEST(c.num_attention_heads == 12);
  BOOST_TEST(c.intermediate_size == 1536);
  BOOST_TEST(c.hidden_act == "gelu");
  BOOST_TEST((c.activation() == backend::Activation::gelu));
  BOOST_TEST(c.hidden_dropout_prob == 0.1);
  BOOST_TEST(c.attention_probs_dropout_prob == 0.1);
  BOOST_TEST(c.max_position_embeddings == 512);
  BOOST_TEST(c.type_vocab_size == 2);
  BOOST_TEST(c.layer_norm_eps == 1e-12);
  BOOST_TEST(c.initializer_range == 0.02);
  BOOST_TEST(c.pad_token_id.value() == 0);
  BOOST_TEST(!c.pre_layer_norm);
}

BOOST_AUTO_TEST_CASE(absent_optional_keys_take_transformers_defaults) {
  const BertConfig c = BertConfig::from_json(
      io::parse_json(R"({"vocab_size": 100, "hidden_size": 16, "num_hidden_layers": 2,
                         "num_attention_heads": 4, "intermediate_size": 32})"),
      "config.json");
  const BertConfig defaults;
  BOOST_TEST(c.hidden_act == "gelu");
  BOOST_TEST(c.max_position_embeddings == defaults.max_position_embeddings);
  BOOST_TEST(c.type_vocab_size == 2);
  BOOST_TEST(c.layer_norm_eps == 1e-12);
  BOOST_TEST(c.pad_token_id.value() == 0);
}

BOOST_AUTO_TEST_CASE(to_json_round_trips_and_writes_hugging_face_keys) {
  BertConfig c = BertConfig::from_json(minilm_json(), "config.json");
  c.hidden_act = "gelu_new";
  c.layer_norm_eps = 1e-5;
  c.pad_token_id = std::nullopt;
  const io::Json json = c.to_json();
  BOOST_TEST(json.at("model_type").as_string() == "bert");
  BOOST_TEST(json.at("architectures").at(std::size_t{0}).as_string() == "BertModel");
  BOOST_TEST(json.at("position_embedding_type").as_string() == "absolute");
  BOOST_TEST(json.at("pad_token_id").is_null());
  BOOST_TEST(!json.contains("pre_layer_norm"));
  // Through text, as a file would go.
  BOOST_TEST((BertConfig::from_json(io::parse_json(json.dump(2)), "x") == c));

  c.pre_layer_norm = true;
  BOOST_TEST((BertConfig::from_json(io::parse_json(c.to_json().dump()), "x") == c));
}

BOOST_AUTO_TEST_CASE(from_file_reads_a_folder_config) {
  adaptrec_test::TempDir dir("bert-config");
  const auto path = dir.write("config.json", minilm_config);
  BOOST_TEST(BertConfig::from_file(path).hidden_size == 384);
  require_throw_naming<io_error>([&] { BertConfig::from_file(dir / "absent.json"); },
                                 {"absent.json"});
}

BOOST_AUTO_TEST_CASE(missing_required_key_names_file_and_key) {
  io::Json json = minilm_json();
  io::Json::Object trimmed;
  for (const auto& [key, value] : json.as_object())
    if (key != "num_attention_heads") trimmed.set(key, value);
  require_throw_naming<io_error>(
      [&] { BertConfig::from_json(io::Json(trimmed), "models/x/config.json"); },
      {"models/x/config.json", "num_attention_heads", "missing"});
}

BOOST_AUTO_TEST_CASE(wrongly_typed_key_names_file_and_key) {
  io::Json json = minilm_json();
  json.set("hidden_size", "384");
  require_throw_naming<io_error>([&] { BertConfig::from_json(json, "cfg.json"); },
                                 {"cfg.json", "hidden_size", "string"});
  json = minilm_json();
  json.set("num_hidden_layers", 6.5);
  require_throw_naming<io_error>([&] { BertConfig::from_json(json, "cfg.json"); },
                                 {"cfg.json", "num_hidden_layers"});
}

BOOST_AUTO_TEST_CASE(unknown_activation_names_file_and_key) {
  io::Json json = minilm_json();
  json.set("hidden_act", "swishy");
  require_throw_naming<invalid_argument>([&] { BertConfig::from_json(json, "cfg.json"); },
                                         {"cfg.json", "hidden_act", "swishy"});
}

BOOST_AUTO_TEST_CASE(relative_position_embeddings_are_refused) {
  io::Json json = minilm_json();
  json.set("position_embedding_type", "relative_key");
  require_throw_naming<invalid_argument>([&] { BertConfig::from_json(json, "cfg.json"); },
                                         {"cfg.json", "position_embedding_type", "relative_key"});
}

BOOST_AUTO_TEST_CASE(other_model_types_are_refused) {
  io::Json json = minilm_json();
  json.set("model_type", "roberta");
  require_throw_naming<invalid_argument>([&] { BertConfig::from_json(json, "cfg.json"); },
                                         {"cfg.json", "model_type", "roberta"});
}

BOOST_AUTO_TEST_CASE(inconsistent_sizes_name_the_key) {
  io::Json json = minilm_json();
  json.set("num_attention_heads", 5);
  require_throw_naming<invalid_argument>([&] { BertConfig::from_json(json, "cfg.json"); },
                                         {"cfg.json", "hidden_size", "num_attention_heads"});
  json = minilm_json();
  json.set("hidden_dropout_prob", 1.5);
  require_throw_naming<invalid_argument>([&] { BertConfig::from_json(json, "cfg.json"); },
                                         {"cfg.json", "hidden_dropout_prob"});
  json = minilm_json();
  json.set("pad_token_id", 30522);
  require_throw_naming<invalid_argument>([&] { BertConfig::from_json(json, "cfg.json"); },
                                         {"cfg.json", "pad_token_id", "30522"});
  json = minilm_json();
  json.set("vocab_size", 0);
  require_throw_naming<invalid_argument>([&] { BertConfig::from_json(json, "cfg.json"); },
                                         {"cfg.json", "vocab_size"});
}

BOOST_AUTO_TEST_CASE(null_pad_token_means_none) {
  io::Json json = minilm_json();
  json.set("pad_token_id", nullptr);
  BOOST_TEST(!BertConfig::from_json(json, "cfg.json").pad_token_id.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
