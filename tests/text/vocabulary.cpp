#include <adaptrec/text/vocabulary.hpp>

#include <support/expect_throw.hpp>
#include <support/temp_dir.hpp>

#include <boost/test/unit_test.hpp>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;

BOOST_AUTO_TEST_SUITE(text_vocabulary)

BOOST_AUTO_TEST_CASE(ids_are_line_numbers_under_every_line_ending) {
  adaptrec_test::TempDir dir("vocab");
  // \n, \r\n and a lone \r end lines (Python's universal newlines); spaces and
  // an empty line are tokens; the last line needs no newline.
  const auto path = dir.write("vocab.txt", "[PAD]\r\n[UNK]\ra b \n\n\xC3\xA9\n##x");
  const auto vocab = text::Vocabulary::load(path);
  BOOST_TEST(vocab.size() == 6);
  BOOST_TEST(vocab.id("[PAD]") == 0);
  BOOST_TEST(vocab.id("[UNK]") == 1);
  BOOST_TEST(vocab.id("a b ") == 2);
  BOOST_TEST(vocab.id("") == 3);
  BOOST_TEST(vocab.id("\xC3\xA9") == 4);
  BOOST_TEST(vocab.id("##x") == 5);
  BOOST_TEST(vocab.token(2) == "a b ");
  BOOST_TEST(!vocab.contains("[CLS]"));
  BOOST_TEST(!vocab.find("a b").has_value());
}

BOOST_AUTO_TEST_CASE(a_repeated_token_takes_the_later_id) {
  const text::Vocabulary vocab({"a", "b", "a"}, "dup.txt");
  BOOST_TEST(vocab.size() == 3);
  BOOST_TEST(vocab.id("a") == 2);
  BOOST_TEST(vocab.token(0) == "a");
}

BOOST_AUTO_TEST_CASE(errors_name_the_file_line_token_and_id) {
  adaptrec_test::TempDir dir("vocab-errors");
  const auto bad = dir.write("bad.txt", "ok\nfine\nbro\xE2\x82ken\n");
  require_throw_naming<invalid_argument>([&] { text::Vocabulary::load(bad); },
                                         {"bad.txt:3", "byte offset 3", "truncated"});
  require_throw_naming<io_error>([&] { text::Vocabulary::load(dir / "missing.txt"); }, {"missing.txt"});
  const text::Vocabulary vocab({"a"}, "small.txt");
  require_throw_naming<index_error>([&] { vocab.token(7); }, {"id 7", "small.txt"});
  require_throw_naming<index_error>([&] { vocab.token(-1); }, {"id -1"});
  require_throw_naming<index_error>([&] { vocab.id("zz"); }, {"\"zz\"", "small.txt"});
  require_throw_naming<io_error>([&] { vocab.required_id("[CLS]", "cls_token"); },
                                 {"small.txt", "[CLS]", "cls_token"});
}

BOOST_AUTO_TEST_SUITE_END()
