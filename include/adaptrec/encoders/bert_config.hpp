#pragma once
// The hyper-parameters of a BERT-family encoder (Devlin et al., 2019), read
// from and written to a Hugging Face `config.json` with transformers'
// BertConfig keys, so a folder saved here loads in Hugging Face and back.
//
// The five size keys are required; the others default to BertConfig's
// defaults in transformers, which is what Hugging Face itself assumes when a
// key is absent.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/shape.hpp>
#include <adaptrec/io/json.hpp>

#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace adaptrec::encoders {

struct BertConfig {
  index_t vocab_size = 30522;
  index_t hidden_size = 768;
  index_t num_hidden_layers = 12;
  index_t num_attention_heads = 12;
  index_t intermediate_size = 3072;
  std::string hidden_act = "gelu";  // a transformers ACT2FN name
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  index_t max_position_embeddings = 512;
  index_t type_vocab_size = 2;
  double layer_norm_eps = 1e-12;
  double initializer_range = 0.02;
  // The word-embedding row that receives no gradient (nn.Embedding's
  // padding_idx in Hugging Face's BertEmbeddings); none when null in the file.
  std::optional<index_t> pad_token_id = 0;
  // adaptrec's own key: layer norm before each sub-layer (Xiong et al., 2020)
  // and one final layer norm; Hugging Face BERT is post-LN (false).
  bool pre_layer_norm = false;

  backend::Activation activation() const { return backend::activation_from_name(hidden_act); }

  // Throws invalid_argument naming `source` and the offending key.
  void validate(const std::string& source = "adaptrec::encoders::BertConfig") const {
    auto fail = [&](std::string_view key, const std::string& why) {
      throw invalid_argument(source + ": \"" + std::string(key) + "\" " + why);
    };
    auto positive = [&](std::string_view key, index_t value) {
      if (value <= 0) fail(key, "must be positive, got " + std::to_string(value));
    };
    auto probability = [&](std::string_view key, double p) {
      if (!(p >= 0.0 && p < 1.0)) fail(key, "must be in [0, 1), got " + std::to_string(p));
    };
    positive("vocab_size", vocab_size);
    positive("hidden_size", hidden_size);
    positive("num_hidden_layers", num_hidden_layers);
    positive("num_attention_heads", num_attention_heads);
    positive("intermediate_size", intermediate_size);
    positive("max_position_embeddings", max_position_embeddings);
    positive("type_vocab_size", type_vocab_size);
    if (hidden_size % num_attention_heads != 0)
      fail("hidden_size", "= " + std::to_string(hidden_size) +
                              " is not a multiple of num_attention_heads = " +
                              std::to_string(num_attention_heads));
    probability("hidden_dropout_prob", hidden_dropout_prob);
    probability("attention_probs_dropout_prob", attention_probs_dropout_prob);
    if (!(layer_norm_eps >= 0.0) || std::isinf(layer_norm_eps))
      fail("layer_norm_eps", "must be finite and >= 0, got " + std::to_string(layer_norm_eps));
    if (!(initializer_range >= 0.0) || std::isinf(initializer_range))
      fail("initializer_range",
           "must be finite and >= 0, got " + std::to_string(initializer_range));
    if (pad_token_id && (*pad_token_id < 0 || *pad_token_id >= vocab_size))
      fail("pad_token_id", "= " + std::to_string(*pad_token_id) +
                               " is outside [0, vocab_size = " + std::to_string(vocab_size) + ")");
    try {
      (void)activation();
    } catch (const invalid_argument& e) {
      fail("hidden_act", "is not supported: " + std::string(e.what()));
    }
  }

  // `source` (usually the file name) prefixes every error message.
  static BertConfig from_json(const io::Json& json, const std::string& source) {
    if (!json.is_object())
      throw io_error(source + ": a BERT config must be a JSON object, got " +
                     io::Json::kind_name(json.kind()));
    auto where = [&](std::string_view key) { return source + ": \"" + std::string(key) + "\""; };
    // Json's own type errors do not know the key; add it.
    auto read = [&](std::string_view key, auto&& convert) {
      try {
        return convert(json.at(key));
      } catch (const io_error& e) {
        throw io_error(where(key) + ": " + e.what());
      }
    };
    auto required_int = [&](std::string_view key) {
      if (!json.contains(key)) throw io_error(where(key) + " is missing (a required key)");
      return read(key, [](const io::Json& v) { return static_cast<index_t>(v.as_int()); });
    };
    auto optional_int = [&](std::string_view key, index_t fallback) {
      if (!json.contains(key)) return fallback;
      return read(key, [](const io::Json& v) { return static_cast<index_t>(v.as_int()); });
    };
    auto optional_double = [&](std::string_view key, double fallback) {
      if (!json.contains(key)) return fallback;
      return read(key, [](const io::Json& v) { return v.as_double(); });
    };
    auto optional_string = [&](std::string_view key) -> std::optional<std::string> {
      if (!json.contains(key)) return std::nullopt;
      return read(key, [](const io::Json& v) { return v.as_string(); });
    };

    // Another model type under BERT's keys (RoBERTa offsets its positions,
    // DistilBERT names its tensors differently) would load and compute wrong.
    if (const auto type = optional_string("model_type"); type && *type != "bert")
      throw invalid_argument(where("model_type") + " is \"" + *type +
                             "\"; only \"bert\" checkpoints are supported");
    if (const auto positions = optional_string("position_embedding_type");
        positions && *positions != "absolute")
      throw invalid_argument(where("position_embedding_type") + " is \"" + *positions +
                             "\"; only \"absolute\" position embeddings are supported");

    BertConfig c;
    c.vocab_size = required_int("vocab_size");
    c.hidden_size = required_int("hidden_size");
    c.num_hidden_layers = required_int("num_hidden_layers");
    c.num_attention_heads = required_int("num_attention_heads");
    c.intermediate_size = required_int("intermediate_size");
    if (auto act = optional_string("hidden_act")) c.hidden_act = std::move(*act);
    c.hidden_dropout_prob = optional_double("hidden_dropout_prob", c.hidden_dropout_prob);
    c.attention_probs_dropout_prob =
        optional_double("attention_probs_dropout_prob", c.attention_probs_dropout_prob);
    c.max_position_embeddings = optional_int("max_position_embeddings", c.max_position_embeddings);
    c.type_vocab_size = optional_int("type_vocab_size", c.type_vocab_size);
    c.layer_norm_eps = optional_double("layer_norm_eps", c.layer_norm_eps);
    c.initializer_range = optional_double("initializer_range", c.initializer_range);
    if (const io::Json* pad = json.find("pad_token_id"))
      c.pad_token_id =
          pad->is_null() ? std::nullopt : std::optional<index_t>(optional_int("pad_token_id", 0));
    if (json.contains("pre_layer_norm"))
      c.pre_layer_norm = read("pre_layer_norm", [](const io::Json& v) { return v.as_bool(); });
    c.validate(source);
    return c;
  }

  static BertConfig from_file(const std::filesystem::path& path) {
    return from_json(io::read_json_file(path), path.string());
  }

  // The keys transformers' BertConfig writes, plus `pre_layer_norm` when set
  // (Hugging Face keeps unknown keys as attributes and ignores them).
  io::Json to_json() const {
    io::Json json = io::Json::object();
    json.set("architectures", io::Json::array({"BertModel"}));
    json.set("model_type", "bert");
    json.set("attention_probs_dropout_prob", attention_probs_dropout_prob);
    json.set("hidden_act", hidden_act);
    json.set("hidden_dropout_prob", hidden_dropout_prob);
    json.set("hidden_size", hidden_size);
    json.set("initializer_range", initializer_range);
    json.set("intermediate_size", intermediate_size);
    json.set("layer_norm_eps", layer_norm_eps);
    json.set("max_position_embeddings", max_position_embeddings);
    json.set("num_attention_heads", num_attention_heads);
    json.set("num_hidden_layers", num_hidden_layers);
    json.set("pad_token_id", pad_token_id ? io::Json(*pad_token_id) : io::Json(nullptr));
    json.set("position_embedding_type", "absolute");
    json.set("type_vocab_size", type_vocab_size);
    json.set("vocab_size", vocab_size);
    if (pre_layer_norm) json.set("pre_layer_norm", true);
    return json;
  }

  friend bool operator==(const BertConfig&, const BertConfig&) = default;
};

}  // namespace adaptrec::encoders
