#include <adaptrec/text/utf8.hpp>

#include <adaptrec/io/detail/utf8.hpp>

#include <support/expect_throw.hpp>

#include <boost/test/unit_test.hpp>

#include <random>
#include <string>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;

BOOST_AUTO_TEST_SUITE(text_utf8)

BOOST_AUTO_TEST_CASE(decodes_every_sequence_length) {
  // "aé€😀": one to four bytes per code point.
  const std::u32string decoded = text::decode_utf8("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  BOOST_TEST((decoded == std::u32string{U'a', 0xE9, 0x20AC, 0x1F600}));
}

BOOST_AUTO_TEST_CASE(encoding_round_trips_at_every_length_boundary) {
  for (const char32_t c : {0x0u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xD7FFu, 0xE000u, 0xFFFDu, 0xFFFFu, 0x10000u,
                           0x10FFFFu}) {
    const std::string bytes = text::encode_utf8(std::u32string(1, c));
    BOOST_TEST(bytes.size() == (c < 0x80 ? 1u : c < 0x800 ? 2u : c < 0x10000 ? 3u : 4u));
    BOOST_TEST((text::decode_utf8(bytes) == std::u32string(1, c)));
  }
}

BOOST_AUTO_TEST_CASE(ill_formed_sequences_name_offset_and_reason) {
  const auto check = [](std::string bytes, const char* offset, const char* reason) {
    require_throw_naming<invalid_argument>([&] { text::decode_utf8(bytes); }, {offset, reason});
  };
  check("ab\xC0\x80", "byte offset 2", "overlong");
  check("\xE0\x80\x80", "byte offset 0", "overlong");
  check("x\xF0\x80\x80\x80", "byte offset 1", "overlong");
  check("\xED\xA0\x80", "byte offset 0", "surrogate");
  check("\xF4\x90\x80\x80", "byte offset 0", "beyond U+10FFFF");
  check("\xF5\x80\x80\x80", "byte offset 0", "beyond U+10FFFF");
  check("abc\x80", "byte offset 3", "continuation byte");
  check("\xE2\x82", "byte offset 0", "truncated by the end");
  check("\xE2\x82z", "byte offset 0", "non-continuation");
  check("ok\xFF", "0xFF", "never valid");
}

BOOST_AUTO_TEST_CASE(messages_name_the_source_and_line) {
  require_throw_naming<invalid_argument>(
      [] { text::decode_utf8("\xC3", text::TextSource{"vocab.txt", 17}); }, {"vocab.txt:17", "byte offset 0"});
  require_throw_naming<invalid_argument>([] { text::decode_utf8("\xC3", text::TextSource{{}, 4}); }, {"line 4"});
}

BOOST_AUTO_TEST_CASE(encoding_rejects_what_has_no_utf8_form) {
  std::string out;
  require_throw_naming<invalid_argument>([&] { text::append_utf8(out, char32_t{0xD800}); }, {"U+D800"});
  require_throw_naming<invalid_argument>([&] { text::append_utf8(out, char32_t{0x110000}); }, {"U+110000"});
  BOOST_TEST(text::code_point_name(0xE9) == "U+00E9");
  BOOST_TEST(text::code_point_name(0x1F600) == "U+1F600");
}

// Random bytes either decode and re-encode to themselves, or fail at exactly
// the offset an independent validator (the JSON reader's) finds.
BOOST_AUTO_TEST_CASE(random_bytes_decode_or_fail_at_the_first_bad_offset) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> length(0, 24), byte(0, 255), ascii(0, 1);
  int failures = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    std::string bytes;
    const int n = length(rng);
    for (int i = 0; i < n; ++i) bytes.push_back(static_cast<char>(ascii(rng) ? byte(rng) & 0x7F : byte(rng)));
    const std::size_t bad = io::detail::find_invalid_utf8(bytes);
    try {
      const std::u32string decoded = text::decode_utf8(bytes);
      BOOST_TEST(bad == std::string::npos);
      BOOST_TEST(text::encode_utf8(decoded) == bytes);
    } catch (const invalid_argument& e) {
      ++failures;
      BOOST_TEST(adaptrec_test::contains(e.what(), "byte offset " + std::to_string(bad) + " "), e.what());
    }
  }
  BOOST_TEST(failures > 1000);
}

BOOST_AUTO_TEST_SUITE_END()
