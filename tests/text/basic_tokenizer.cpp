#include <adaptrec/text/basic_tokenizer.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace adaptrec;
using namespace std::string_literals;
using Words = std::vector<std::u32string>;

namespace {

Words split(std::u32string_view text, text::BasicTokenizerOptions options = {}) {
  return text::BasicTokenizer(std::move(options)).split(text);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(text_basic_tokenizer)

BOOST_AUTO_TEST_CASE(splits_whitespace_and_every_punctuation_character) {
  BOOST_TEST((split(U"  Hello,  world!! ") == Words{U"hello", U",", U"world", U"!", U"!"}));
  BOOST_TEST((split(U"$5^x`y") == Words{U"$", U"5", U"^", U"x", U"`", U"y"}));  // ASCII symbols too
  BOOST_TEST((split(U"\u00BFqu\u00E9?") == Words{U"\u00BF", U"que", U"?"}));
  BOOST_TEST((split(U"a\u2028b\u2029c") == Words{U"a", U"b", U"c"}));  // Python's str.split() whitespace
  BOOST_TEST(split(U" \t\r\n ").empty());
}

BOOST_AUTO_TEST_CASE(cleans_control_and_invalid_characters) {
  // NUL, U+FFFD, Cc and Cf vanish (joining their neighbours); tab, newline,
  // carriage return and Zs become spaces.
  BOOST_TEST((split(U"a\u0000b\uFFFDc\u0007d\u200Be\u00ADf"s) == Words{U"abcdef"}));
  BOOST_TEST((split(U"a\tb\nc\rd\u00A0e\u3000f") == Words{U"a", U"b", U"c", U"d", U"e", U"f"}));
}

BOOST_AUTO_TEST_CASE(cjk_ideographs_stand_alone_but_kana_and_hangul_do_not) {
  BOOST_TEST((split(U"ab\u4E2D\u6587cd") == Words{U"ab", U"\u4E2D", U"\u6587", U"cd"}));
  BOOST_TEST((split(U"\u30AB\u30BF\u3072") == Words{U"\u30AB\u30BF\u3072"}));
  text::BasicTokenizerOptions no_cjk;
  no_cjk.tokenize_chinese_chars = false;
  BOOST_TEST((split(U"ab\u4E2D\u6587", no_cjk) == Words{U"ab\u4E2D\u6587"}));
  // Hangul syllables are decomposed into jamo by accent stripping's NFD.
  BOOST_TEST((split(U"\uD55C") == Words{U"\u1112\u1161\u11AB"}));
}

BOOST_AUTO_TEST_CASE(lower_casing_and_accent_stripping_options) {
  BOOST_TEST((split(U"Caf\u00E9 \u0130") == Words{U"cafe", U"i"}));
  text::BasicTokenizerOptions keep_accents;
  keep_accents.strip_accents = false;
  // Input is NFC-normalized first: "e" + U+0301 becomes "é".
  BOOST_TEST((split(U"Cafe\u0301 \u0130", keep_accents) == Words{U"caf\u00E9", U"i\u0307"}));
  text::BasicTokenizerOptions cased;
  cased.do_lower_case = false;
  BOOST_TEST((split(U"Cafe\u0301", cased) == Words{U"Caf\u00E9"}));
  cased.strip_accents = true;
  BOOST_TEST((split(U"Caf\u00E9", cased) == Words{U"Cafe"}));
}

BOOST_AUTO_TEST_CASE(never_split_words_pass_untouched) {
  text::BasicTokenizerOptions options;
  options.never_split = {U"[KEEP.ME]"};
  text::BasicTokenizer tokenizer(options);
  text::BasicTokenizer::Scratch scratch;
  std::vector<std::pair<std::u32string, bool>> seen;
  tokenizer.split(U"x [KEEP.ME] [keep.me]", scratch,
                  [&](std::u32string_view word, bool never_split) { seen.emplace_back(word, never_split); });
  const std::vector<std::pair<std::u32string, bool>> expected{
      {U"x", false}, {U"[KEEP.ME]", true}, {U"[", false}, {U"keep", false}, {U".", false}, {U"me", false},
      {U"]", false}};
  BOOST_TEST((seen == expected));
}

BOOST_AUTO_TEST_CASE(character_classes_follow_bert) {
  BOOST_TEST(text::is_bert_whitespace(U'\t'));
  BOOST_TEST(!text::is_bert_control(U'\n'));
  BOOST_TEST(text::is_bert_control(0x0085));
  BOOST_TEST(text::is_bert_punctuation(U'~'));
  BOOST_TEST(!text::is_bert_punctuation(0x00A8));  // diaeresis: Sk
  BOOST_TEST(text::is_bert_punctuation(0x00A7));   // section sign: Po
  BOOST_TEST(text::is_cjk_ideograph(0x2A700));
  BOOST_TEST(!text::is_cjk_ideograph(0x3040));
}

BOOST_AUTO_TEST_SUITE_END()
