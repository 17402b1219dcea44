#pragma once
// Checks a BertTokenizer against a tokenizer_*.json file of
// tests/reference/vectors/ (made by tests/reference/make_vectors.py with
// Hugging Face's slow BertTokenizer): every single text's tokens and ids,
// every pair's and truncated case's ids and token types, and the padded batch.
#include <adaptrec/io/json.hpp>
#include <adaptrec/text/bert_tokenizer.hpp>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace adaptrec_test {

inline std::vector<adaptrec::index_t> json_ids(const adaptrec::io::Json& values) {
  std::vector<adaptrec::index_t> ids;
  for (const auto& v : values.as_array()) ids.push_back(v.as_int());
  return ids;
}

inline std::vector<std::string> json_strings(const adaptrec::io::Json& values) {
  std::vector<std::string> out;
  for (const auto& v : values.as_array()) out.push_back(v.as_string());
  return out;
}

inline adaptrec::text::BertTokenizerOptions vector_options(const adaptrec::io::Json& vectors) {
  adaptrec::text::BertTokenizerOptions options;
  options.update(vectors.at("options"), "vector options");
  return options;
}

inline std::vector<adaptrec::index_t> row_of(const adaptrec::Tensor<adaptrec::index_t>& t, adaptrec::index_t row) {
  const adaptrec::index_t width = t.dim(1);
  return {t.data() + row * width, t.data() + (row + 1) * width};
}

inline void check_against_vectors(const adaptrec::text::BertTokenizer& tokenizer, const adaptrec::io::Json& vectors) {
  using adaptrec::index_t;
  for (const auto& c : vectors.at("single").as_array()) {
    const std::string& text = c.at("text").as_string();
    BOOST_TEST_CONTEXT("single text: " << text) {
      std::vector<std::string> tokens = tokenizer.tokenize(text);
      tokens.insert(tokens.begin(), tokenizer.options().cls_token);
      tokens.push_back(tokenizer.options().sep_token);
      BOOST_TEST(tokens == json_strings(c.at("tokens")), boost::test_tools::per_element());
      BOOST_TEST(tokenizer.encode(text) == json_ids(c.at("ids")), boost::test_tools::per_element());
    }
  }
  for (const auto& c : vectors.at("pairs").as_array()) {
    const std::string& a = c.at("text_a").as_string();
    const std::string& b = c.at("text_b").as_string();
    BOOST_TEST_CONTEXT("pair: " << a << " ||| " << b) {
      const auto encoding = tokenizer.encode_with_types(a, b);
      BOOST_TEST(encoding.ids == json_ids(c.at("ids")), boost::test_tools::per_element());
      BOOST_TEST(encoding.token_type_ids == json_ids(c.at("token_type_ids")), boost::test_tools::per_element());
    }
  }
  for (const auto& c : vectors.at("truncated").as_array()) {
    const std::string& a = c.at("text").as_string();
    std::optional<std::string_view> b;
    if (!c.at("text_b").is_null()) b = c.at("text_b").as_string();
    const index_t max_length = c.at("max_length").as_int();
    BOOST_TEST_CONTEXT("truncated to " << max_length << ": " << a << " ||| " << b.value_or("<none>")) {
      const auto encoding = tokenizer.encode_with_types(a, b, max_length);
      BOOST_TEST(encoding.ids == json_ids(c.at("ids")), boost::test_tools::per_element());
      BOOST_TEST(encoding.token_type_ids == json_ids(c.at("token_type_ids")), boost::test_tools::per_element());
    }
  }
  const auto& batch = vectors.at("batch");
  const auto texts = json_strings(batch.at("texts"));
  const auto encoded = tokenizer.encode_batch(texts, batch.at("max_length").as_int());
  encoded.validate("reference batch");
  const auto& input_ids = batch.at("input_ids").as_array();
  BOOST_TEST_REQUIRE(encoded.batch_size() == static_cast<index_t>(input_ids.size()));
  for (index_t row = 0; row < encoded.batch_size(); ++row) {
    const auto r = static_cast<std::size_t>(row);
    BOOST_TEST_CONTEXT("batch row " << row << ": " << texts[r]) {
      BOOST_TEST(row_of(encoded.input_ids, row) == json_ids(input_ids[r]), boost::test_tools::per_element());
      BOOST_TEST(row_of(encoded.token_type_ids, row) == json_ids(batch.at("token_type_ids").at(r)),
                 boost::test_tools::per_element());
      BOOST_TEST(row_of(encoded.attention_mask, row) == json_ids(batch.at("attention_mask").at(r)),
                 boost::test_tools::per_element());
    }
  }
}

}  // namespace adaptrec_test
