#include <adaptrec/text/wordpiece.hpp>

#include <support/expect_throw.hpp>

#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <vector>

using namespace adaptrec;

namespace {

std::shared_ptr<const text::Vocabulary> make_vocabulary() {
  return std::make_shared<const text::Vocabulary>(
      std::vector<std::string>{"[UNK]", "un", "##aff", "##able", "u", "##n", "a", "##a", "caf\xC3\xA9", "##\xC3\xA9",
                               "c", "##n"},
      "wordpiece-test");
}

std::vector<index_t> pieces(const text::WordPiece& wordpiece, std::u32string_view word) {
  return wordpiece.ids(word);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(text_wordpiece)

BOOST_AUTO_TEST_CASE(greedy_longest_match_first) {
  const text::WordPiece wordpiece(make_vocabulary(), 0);
  BOOST_TEST((pieces(wordpiece, U"unaffable") == std::vector<index_t>{1, 2, 3}));
  // "un" is matched before "u" + "##n"; a repeated "##n" has its later id.
  BOOST_TEST((pieces(wordpiece, U"unn") == std::vector<index_t>{1, 11}));
  BOOST_TEST((pieces(wordpiece, U"aaa") == std::vector<index_t>{6, 7, 7}));
  BOOST_TEST((pieces(wordpiece, U"caf\u00E9") == std::vector<index_t>{8}));
  BOOST_TEST((pieces(wordpiece, U"c\u00E9") == std::vector<index_t>{10, 9}));
  BOOST_TEST(pieces(wordpiece, U"").empty());
}

BOOST_AUTO_TEST_CASE(unmatchable_or_overlong_words_are_one_unknown) {
  const text::WordPiece wordpiece(make_vocabulary(), 0, 5);
  BOOST_TEST((pieces(wordpiece, U"unaffx") == std::vector<index_t>{0}));  // "x" matches nothing
  BOOST_TEST((pieces(wordpiece, U"b") == std::vector<index_t>{0}));
  BOOST_TEST((pieces(wordpiece, U"aaaaa") == std::vector<index_t>{6, 7, 7, 7, 7}));  // 5 code points: fine
  BOOST_TEST((pieces(wordpiece, U"aaaaaa") == std::vector<index_t>{0}));  // 6: over the limit
  // The limit counts code points, not bytes.
  BOOST_TEST((pieces(wordpiece, U"c\u00E9\u00E9\u00E9\u00E9") == std::vector<index_t>{10, 9, 9, 9, 9}));
}

BOOST_AUTO_TEST_CASE(scratch_reuse_appends_to_the_output) {
  const text::WordPiece wordpiece(make_vocabulary(), 0);
  text::WordPiece::Scratch scratch;
  std::vector<index_t> ids{42};
  wordpiece.append_ids(U"unaffable", scratch, ids);
  wordpiece.append_ids(U"zz", scratch, ids);
  wordpiece.append_ids(U"a", scratch, ids);
  BOOST_TEST((ids == std::vector<index_t>{42, 1, 2, 3, 0, 6}));
}

BOOST_AUTO_TEST_CASE(bad_arguments_throw) {
  adaptrec_test::require_throw_naming<index_error>([] { text::WordPiece(make_vocabulary(), 99); },
                                                   {"99", "wordpiece-test"});
  adaptrec_test::require_throw_naming<invalid_argument>([] { text::WordPiece(make_vocabulary(), 0, 0); },
                                                        {"max_input_chars_per_word"});
  adaptrec_test::require_throw_naming<invalid_argument>([] { text::WordPiece(nullptr, 0); }, {"vocabulary"});
}

BOOST_AUTO_TEST_SUITE_END()
