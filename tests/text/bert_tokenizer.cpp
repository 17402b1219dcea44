#include <adaptrec/text/bert_tokenizer.hpp>

#include <support/expect_throw.hpp>
#include <support/temp_dir.hpp>

#include <boost/test/unit_test.hpp>

#include <random>
#include <string>
#include <vector>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;
using Ids = std::vector<index_t>;

namespace {

// ids:                  0       1       2       3       4        5     6      7       8        9        10
const char* const tiny_vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n,\n!\nun\n##aff\n"
                               // 11      12   13   14   15   16     17       18
                               "##able\na\nb\nc\nd\ncafe\nHello\ncaf\xC3\xA9\n";

text::BertTokenizer tiny(text::BertTokenizerOptions options = {}) {
  std::vector<std::string> tokens;
  std::string all = tiny_vocab;
  for (std::size_t at = 0, end; at < all.size(); at = end + 1) {
    end = all.find('\n', at);
    tokens.push_back(all.substr(at, end - at));
  }
  return text::BertTokenizer(text::Vocabulary(tokens, "tiny"), std::move(options));
}

std::string letters(int count) {
  std::string text;
  for (int i = 0; i < count; ++i) text += i ? " a" : "a";
  return text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(text_bert_tokenizer)

BOOST_AUTO_TEST_CASE(single_texts_and_pairs_get_special_tokens_and_types) {
  const auto tokenizer = tiny();
  BOOST_TEST((tokenizer.tokenize("Hello, WORLD! unaffable") ==
              std::vector<std::string>{"hello", ",", "world", "!", "un", "##aff", "##able"}));
  BOOST_TEST((tokenizer.encode("Hello world") == Ids{2, 5, 6, 3}));
  BOOST_TEST((tokenizer.encode("") == Ids{2, 3}));
  const auto pair = tokenizer.encode_with_types("hello", "a b zzz");
  BOOST_TEST((pair.ids == Ids{2, 5, 3, 12, 13, 1, 3}));
  BOOST_TEST((pair.token_type_ids == Ids{0, 0, 0, 1, 1, 1, 1}));
  BOOST_TEST((tokenizer.tokenize_to_ids("Caf\xC3\xA9") == Ids{16}));
}

BOOST_AUTO_TEST_CASE(special_tokens_in_text_are_kept_and_not_lower_cased) {
  const auto tokenizer = tiny();
  BOOST_TEST((tokenizer.tokenize("a[MASK]b [SEP] [mask]") ==
              std::vector<std::string>{"a", "[MASK]", "b", "[SEP]", "[UNK]", "[UNK]", "[UNK]"}));
  BOOST_TEST((tokenizer.tokenize_to_ids("[CLS][CLS]") == Ids{2, 2}));
}

BOOST_AUTO_TEST_CASE(cased_options_keep_case_and_accents) {
  text::BertTokenizerOptions cased;
  cased.do_lower_case = false;
  const auto tokenizer = tiny(cased);
  BOOST_TEST((tokenizer.tokenize_to_ids("Hello hello Cafe\xCC\x81") == Ids{17, 5, 1}));
  BOOST_TEST((tokenizer.tokenize_to_ids("caf\xC3\xA9") == Ids{18}));
  text::BertTokenizerOptions keep_accents;
  keep_accents.strip_accents = false;
  BOOST_TEST((tiny(keep_accents).tokenize_to_ids("CAF\xC3\x89") == Ids{18}));
}

BOOST_AUTO_TEST_CASE(never_split_words_keep_their_text_and_map_to_unknown_when_absent) {
  text::BertTokenizerOptions options;
  options.never_split = {"B.C", "d"};
  // Pre-lower-casing happens first, so an upper-case never_split entry can
  // never match an input word: Hugging Face's behaviour.
  const auto tokenizer = tiny(options);
  BOOST_TEST((tokenizer.tokenize("b.c D") == std::vector<std::string>{"b", "[UNK]", "c", "d"}));
  options.never_split = {"b.c"};
  BOOST_TEST((tiny(options).tokenize("B.C") == std::vector<std::string>{"b.c"}));
  BOOST_TEST((tiny(options).tokenize_to_ids("B.C") == Ids{1}));
}

// Hugging Face's truncate_sequences, "longest_first": even out the lengths
// first, then split the rest with the second sequence losing the odd piece.
BOOST_AUTO_TEST_CASE(longest_first_truncation_matches_hugging_face) {
  const auto tokenizer = tiny();
  const auto lengths = [&](int a, int b, index_t max_length) {
    const auto e = tokenizer.encode_with_types(letters(a), letters(b), max_length);
    const auto second = std::count(e.token_type_ids.begin(), e.token_type_ids.end(), 1);
    return std::pair<index_t, index_t>(static_cast<index_t>(e.ids.size()) - second - 2, second - 1);
  };
  BOOST_TEST((lengths(5, 2, 6) == std::pair<index_t, index_t>{2, 1}));  // remove 4: 3 from a, then 1 from b
  BOOST_TEST((lengths(2, 5, 6) == std::pair<index_t, index_t>{2, 1}));  // 3 from b, then b the odd one
  BOOST_TEST((lengths(3, 3, 7) == std::pair<index_t, index_t>{2, 2}));
  BOOST_TEST((lengths(3, 3, 6) == std::pair<index_t, index_t>{2, 1}));  // odd piece from b
  BOOST_TEST((lengths(4, 3, 6) == std::pair<index_t, index_t>{2, 1}));
  BOOST_TEST((lengths(4, 1, 3) == std::pair<index_t, index_t>{0, 0}));
  BOOST_TEST((lengths(2, 2, 100) == std::pair<index_t, index_t>{2, 2}));
  BOOST_TEST((tokenizer.encode(letters(5), {}, 4) == Ids{2, 12, 12, 3}));
  BOOST_TEST((tokenizer.encode("", {}, 2) == Ids{2, 3}));
}

BOOST_AUTO_TEST_CASE(max_length_too_short_for_special_tokens_throws) {
  const auto tokenizer = tiny();
  require_throw_naming<invalid_argument>([&] { tokenizer.encode("a", {}, 1); }, {"max_length 1"});
  require_throw_naming<invalid_argument>([&] { tokenizer.encode("a", "b", 2); }, {"max_length 2", "pair"});
  require_throw_naming<invalid_argument>([&] { tokenizer.encode("a b", {}, 2); }, {"max_length 2", "2 pieces"});
}

BOOST_AUTO_TEST_CASE(batches_pad_to_the_longest_row_or_max_length) {
  const auto tokenizer = tiny();
  const auto batch = tokenizer.encode_batch({"a b c", "hello", letters(9)}, 6);
  batch.validate("test");
  BOOST_TEST(batch.input_ids.shape() == (Shape{3, 6}));
  const Ids ids(batch.input_ids.begin(), batch.input_ids.end());
  const Ids mask(batch.attention_mask.begin(), batch.attention_mask.end());
  BOOST_TEST((ids == Ids{2, 12, 13, 14, 3, 0, 2, 5, 3, 0, 0, 0, 2, 12, 12, 12, 12, 3}));
  BOOST_TEST((mask == Ids{1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1}));

  const auto fixed = tokenizer.encode_batch({"a", "b"}, {"c d", "d"}, 8, text::Padding::max_length);
  BOOST_TEST(fixed.input_ids.shape() == (Shape{2, 8}));
  const Ids types(fixed.token_type_ids.begin(), fixed.token_type_ids.end());
  BOOST_TEST((types == Ids{0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0}));

  BOOST_TEST(tokenizer.encode_batch({}, 8).batch_size() == 0);
}

BOOST_AUTO_TEST_CASE(batch_errors_name_the_text) {
  const auto tokenizer = tiny();
  require_throw_naming<invalid_argument>([&] { tokenizer.encode_batch({"ok", "bad\xFF"}, 8); },
                                         {"text 1", "byte offset 3"});
  require_throw_naming<invalid_argument>([&] { tokenizer.encode_batch({"a"}, {"b", "c"}, 8); },
                                         {"1 texts", "2 pair texts"});
}

BOOST_AUTO_TEST_CASE(ids_back_to_tokens_and_text) {
  const auto tokenizer = tiny();
  const Ids ids = tokenizer.encode("Hello, world! unaffable a");
  BOOST_TEST((tokenizer.convert_ids_to_tokens(Ids{2, 9, 10, 3}) ==
              std::vector<std::string>{"[CLS]", "un", "##aff", "[SEP]"}));
  BOOST_TEST(tokenizer.decode(ids) == "[CLS] hello, world! unaffable a [SEP]");
  BOOST_TEST(tokenizer.decode(ids, true) == "hello, world! unaffable a");
  require_throw_naming<index_error>([&] { tokenizer.token(19); }, {"id 19", "tiny"});
}

BOOST_AUTO_TEST_CASE(missing_special_tokens_are_reported_with_the_file) {
  require_throw_naming<io_error>(
      [] { text::BertTokenizer(text::Vocabulary({"[PAD]", "[UNK]", "[SEP]", "[MASK]"}, "no-cls.txt")); },
      {"no-cls.txt", "[CLS]", "cls_token"});
}

BOOST_AUTO_TEST_CASE(from_pretrained_reads_the_config_when_present) {
  adaptrec_test::TempDir dir("bert-tokenizer");
  dir.write("vocab.txt", std::string(tiny_vocab) + "<s>\n");
  BOOST_TEST(text::BertTokenizer::from_pretrained(dir.path()).options().do_lower_case);
  BOOST_TEST((text::BertTokenizer::from_pretrained(dir.path()).tokenize_to_ids("Hello") == Ids{5}));

  dir.write("tokenizer_config.json",
            R"({"do_lower_case": false, "strip_accents": null,
                "model_max_length": 1000000000000000019884624838656, "never_split": null,
                "cls_token": {"content": "<s>", "lstrip": false}, "tokenizer_class": "BertTokenizer"})");
  const auto cased = text::BertTokenizer::from_pretrained(dir.path());
  BOOST_TEST(!cased.options().do_lower_case);
  BOOST_TEST(!cased.options().model_max_length.has_value());
  BOOST_TEST(cased.classifier_id() == 19);
  BOOST_TEST((cased.encode("Hello") == Ids{19, 17, 3}));

  dir.write("tokenizer_config.json", R"({"do_lower_case": "yes"})");
  require_throw_naming<io_error>([&] { text::BertTokenizer::from_pretrained(dir.path()); },
                                 {"tokenizer_config.json", "do_lower_case", "boolean"});
  dir.write("tokenizer_config.json",
            R"({"added_tokens_decoder": {"4": {"content": "[MASK]", "lstrip": true, "special": true}}})");
  require_throw_naming<invalid_argument>([&] { text::BertTokenizer::from_pretrained(dir.path()); },
                                         {"tokenizer_config.json", "[MASK]", "lstrip"});
}

BOOST_AUTO_TEST_CASE(added_tokens_from_the_config_are_cut_out_first) {
  text::BertTokenizerOptions options;
  options.added_tokens = {{"<ITEM>", 12, false, true}, {"keep", 13, false, false}};
  const auto tokenizer = tiny(options);
  // "<ITEM>" is normalized, so protected from lower-casing; "keep" is not, so
  // the text's "KEEP" is lower-cased into it before the split.
  BOOST_TEST((tokenizer.tokenize_to_ids("x<ITEM>hello KEEP <item>") == Ids{1, 12, 5, 13, 1, 1, 1}));
}

// Fuzz: arbitrary bytes and every truncation of valid multi-byte text either
// tokenize or throw an adaptrec::error naming the byte offset.
BOOST_AUTO_TEST_CASE(random_and_truncated_input_tokenizes_or_throws_with_offset) {
  const auto tokenizer = tiny();
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> length(0, 40), byte(0, 255);
  const std::string alphabet[] = {"a", " ", "[MASK]", "\xC3\xA9", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "\xCC\x81",
                                  "!", "\t", "\xEA\xB0\x80", "\xC4\xB0", "\x7F"};
  int thrown = 0;
  for (int trial = 0; trial < 5000; ++trial) {
    std::string text;
    const int n = length(rng);
    for (int i = 0; i < n; ++i)
      text += trial % 2 ? std::string(1, static_cast<char>(byte(rng))) : alphabet[byte(rng) % std::size(alphabet)];
    for (const std::string& input : {text, text.substr(0, text.size() / 2 + 1)}) {
      try {
        const Ids ids = tokenizer.encode(input);
        BOOST_TEST_REQUIRE(ids.size() >= 2u);
        for (const index_t id : ids) BOOST_TEST_REQUIRE((id >= 0 && id < tokenizer.vocabulary().size()));
      } catch (const adaptrec::error& e) {
        ++thrown;
        BOOST_TEST_REQUIRE(adaptrec_test::contains(e.what(), "byte offset"), e.what());
      }
    }
  }
  BOOST_TEST(thrown > 100);
}

BOOST_AUTO_TEST_SUITE_END()
