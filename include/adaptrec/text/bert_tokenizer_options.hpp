#pragma once
// The options of a BERT tokenizer, named as in Hugging Face's
// tokenizer_config.json, with BertTokenizer's defaults when a key or the whole
// file is absent.
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/shape.hpp>
#include <adaptrec/io/json.hpp>
#include <adaptrec/text/wordpiece.hpp>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace adaptrec::text {

// An entry of tokenizer_config.json's "added_tokens_decoder": a string the
// tokenizer cuts out of the text before anything else and maps to `id`.
struct AddedTokenOption {
  std::string content;
  index_t id = 0;
  bool special = false;
  // Hugging Face lower-cases added tokens that are not special and not normalized.
  bool normalized = true;
};

struct BertTokenizerOptions {
  bool do_lower_case = true;
  // Unset (null): strip accents exactly when lower-casing.
  std::optional<bool> strip_accents;
  bool tokenize_chinese_chars = true;
  // False: no cleaning, CJK or punctuation splitting, only whitespace splitting
  // before WordPiece.
  bool do_basic_tokenize = true;
  std::vector<std::string> never_split;
  // The longest input the model takes; unset when the config gives none (or
  // Hugging Face's "unlimited" 1e30).
  std::optional<index_t> model_max_length;
  bool clean_up_tokenization_spaces = true;
  index_t max_input_chars_per_word = WordPiece::default_max_input_chars_per_word;
  std::string unk_token = "[UNK]";
  std::string sep_token = "[SEP]";
  std::string pad_token = "[PAD]";
  std::string cls_token = "[CLS]";
  std::string mask_token = "[MASK]";
  std::vector<std::string> additional_special_tokens;
  std::vector<AddedTokenOption> added_tokens;

  // In Hugging Face's all_special_tokens order.
  std::vector<std::string> special_tokens() const {
    std::vector<std::string> tokens{unk_token, sep_token, pad_token, cls_token, mask_token};
    tokens.insert(tokens.end(), additional_special_tokens.begin(), additional_special_tokens.end());
    return tokens;
  }

  // Overrides the options that `config` (a tokenizer_config.json or
  // special_tokens_map.json object) sets. Throws io_error naming `source` and
  // the key for a value of the wrong kind, and invalid_argument for added
  // tokens with lstrip, rstrip or single_word, which this tokenizer does not do.
  void update(const io::Json& config, const std::string& source) {
    if (!config.is_object()) throw io_error(source + ": expected a JSON object at the top level");
    const auto read = [&](std::string_view key, auto&& apply) {
      const io::Json* value = config.find(key);
      if (!value) return;
      try {
        apply(*value);
      } catch (const io_error& e) {
        throw io_error(source + ": key \"" + std::string(key) + "\": " + e.what());
      }
    };
    read("do_lower_case", [&](const io::Json& v) { do_lower_case = v.as_bool(); });
    read("strip_accents", [&](const io::Json& v) {
      strip_accents = v.is_null() ? std::nullopt : std::optional<bool>(v.as_bool());
    });
    read("tokenize_chinese_chars", [&](const io::Json& v) { tokenize_chinese_chars = v.as_bool(); });
    read("do_basic_tokenize", [&](const io::Json& v) { do_basic_tokenize = v.as_bool(); });
    read("clean_up_tokenization_spaces", [&](const io::Json& v) { clean_up_tokenization_spaces = v.as_bool(); });
    read("never_split", [&](const io::Json& v) {
      never_split.clear();
      if (!v.is_null())
        for (const io::Json& token : v.as_array()) never_split.push_back(token.as_string());
    });
    read("model_max_length", [&](const io::Json& v) {
      model_max_length = v.is_int() && v.as_int() > 0 ? std::optional<index_t>(v.as_int()) : std::nullopt;
      if (!v.is_number() && !v.is_null()) v.as_int();  // reports the wrong kind
    });
    read("unk_token", [&](const io::Json& v) { unk_token = token_content(v); });
    read("sep_token", [&](const io::Json& v) { sep_token = token_content(v); });
    read("pad_token", [&](const io::Json& v) { pad_token = token_content(v); });
    read("cls_token", [&](const io::Json& v) { cls_token = token_content(v); });
    read("mask_token", [&](const io::Json& v) { mask_token = token_content(v); });
    read("additional_special_tokens", [&](const io::Json& v) {
      additional_special_tokens.clear();
      for (const io::Json& token : v.as_array()) additional_special_tokens.push_back(token_content(token));
    });
    read("added_tokens_decoder", [&](const io::Json& v) {
      added_tokens.clear();
      for (const auto& [key, entry] : v.as_object()) {
        AddedTokenOption token;
        token.id = parse_id(key, source);
        token.content = entry.at("content").as_string();
        if (const io::Json* special = entry.find("special")) token.special = special->as_bool();
        if (const io::Json* normalized = entry.find("normalized")) token.normalized = normalized->as_bool();
        for (const char* flag : {"lstrip", "rstrip", "single_word"})
          if (const io::Json* set = entry.find(flag); set && set->as_bool())
            throw invalid_argument(source + ": added token \"" + token.content + "\" (id " + key + ") sets " +
                                   flag + ", which adaptrec's BertTokenizer does not implement");
        added_tokens.push_back(std::move(token));
      }
    });
  }

  static BertTokenizerOptions load(const std::filesystem::path& tokenizer_config) {
    BertTokenizerOptions options;
    options.update(io::read_json_file(tokenizer_config), tokenizer_config.string());
    return options;
  }

  // tokenizer_config.json, then special_tokens_map.json (which Hugging Face
  // lets override the special tokens), each only when present.
  static BertTokenizerOptions load_pretrained(const std::filesystem::path& dir) {
    BertTokenizerOptions options;
    for (const char* name : {"tokenizer_config.json", "special_tokens_map.json"}) {
      const std::filesystem::path path = dir / name;
      if (std::filesystem::exists(path)) options.update(io::read_json_file(path), path.string());
    }
    return options;
  }

 private:
  // A token is written either as a string or as an AddedToken object.
  static std::string token_content(const io::Json& value) {
    return value.is_object() ? value.at("content").as_string() : value.as_string();
  }

  static index_t parse_id(const std::string& key, const std::string& source) {
    const bool digits = !key.empty() && key.size() <= 18 &&
                        std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) throw io_error(source + ": added_tokens_decoder key \"" + key + "\" is not a token id");
    index_t id = 0;
    for (const char c : key) id = id * 10 + (c - '0');
    return id;
  }
};

}  // namespace adaptrec::text
