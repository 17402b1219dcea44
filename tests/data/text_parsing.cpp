#include <adaptrec/data/text_parsing.hpp>

#include "fixture_files.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace adaptrec;
using namespace adaptrec::data::detail;

BOOST_AUTO_TEST_SUITE(data_text_parsing)

BOOST_AUTO_TEST_CASE(latin1_maps_each_high_byte_to_two_utf8_bytes) {
  BOOST_TEST(latin1_to_utf8("abc") == "abc");
  BOOST_TEST(latin1_to_utf8("Mis\xE9rables") == "Mis\xC3\xA9rables");
  BOOST_TEST(latin1_to_utf8("\xC1 k\xF6ldum") == "\xC3\x81 k\xC3\xB6ldum");
  BOOST_TEST(latin1_to_utf8("\xFF\x80") == "\xC3\xBF\xC2\x80");
}

BOOST_AUTO_TEST_CASE(utf8_validation) {
  BOOST_TEST(is_valid_utf8("plain ascii"));
  BOOST_TEST(is_valid_utf8("Mis\xC3\xA9rables"));
  BOOST_TEST(is_valid_utf8("\xE2\x82\xAC"));      // euro sign
  BOOST_TEST(is_valid_utf8("\xF0\x9F\x8E\xAC"));  // clapper board
  BOOST_TEST(!is_valid_utf8("Mis\xE9rables"));    // Latin-1
  BOOST_TEST(!is_valid_utf8("\xC0\xAF"));         // overlong '/'
  BOOST_TEST(!is_valid_utf8("\xED\xA0\x80"));     // surrogate
  BOOST_TEST(!is_valid_utf8("\xE2\x82"));         // truncated
  // Already-UTF-8 text is not converted twice.
  BOOST_TEST(text_to_utf8("Mis\xC3\xA9rables") == "Mis\xC3\xA9rables");
  BOOST_TEST(text_to_utf8("Mis\xE9rables") == "Mis\xC3\xA9rables");
}

BOOST_AUTO_TEST_CASE(line_reader_handles_crlf_blank_lines_and_missing_final_newline) {
  LineReader lines("a\r\n\nb\n\n\nc");
  std::vector<std::string> seen;
  std::vector<std::size_t> numbers;
  std::string_view line;
  while (lines.next(line)) {
    seen.emplace_back(line);
    numbers.push_back(lines.line_number());
  }
  BOOST_TEST(seen == (std::vector<std::string>{"a", "b", "c"}));
  BOOST_TEST(numbers == (std::vector<std::size_t>{1, 3, 6}));
}

BOOST_AUTO_TEST_CASE(split_fields_keeps_empty_fields) {
  std::vector<std::string_view> fields;
  split_fields("1||x|", "|", fields);
  BOOST_TEST(fields.size() == 4u);
  BOOST_TEST(fields[1].empty());
  BOOST_TEST(fields[3].empty());
  split_fields("1::Title: a (1999)::Drama", "::", fields);
  BOOST_TEST(fields.size() == 3u);
  BOOST_TEST(fields[1] == "Title: a (1999)");
}

BOOST_AUTO_TEST_CASE(numbers_must_fill_the_whole_field) {
  std::int32_t i = 0;
  BOOST_TEST(parse_number("42", i));
  BOOST_TEST(i == 42);
  BOOST_TEST(parse_number("+7", i));
  BOOST_TEST(i == 7);
  BOOST_TEST(!parse_number("42x", i));
  BOOST_TEST(!parse_number("", i));
  BOOST_TEST(!parse_number("+", i));
  BOOST_TEST(!parse_number("99999999999", i));  // overflows int32
  double d = 0;
  BOOST_TEST(parse_number("-2.5e3", d));
  BOOST_TEST(d == -2500.0);
  BOOST_TEST(!parse_number("1.5.", d));
}

BOOST_AUTO_TEST_CASE(missing_file_is_an_io_error) {
  adaptrec_test::TempDir dir;
  const std::string message = adaptrec_test::message_of<io_error>(
      [&] { read_whole_file(dir / "absent.txt"); });
  BOOST_TEST(adaptrec_test::contains(message, "absent.txt"), message);
}

BOOST_AUTO_TEST_SUITE_END()
