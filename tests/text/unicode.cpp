#include <adaptrec/text/unicode.hpp>

#include <boost/test/unit_test.hpp>

#include <iterator>
#include <string>

using namespace adaptrec;
using namespace adaptrec::text;
namespace tables = adaptrec::text::detail::unicode_tables;

BOOST_AUTO_TEST_SUITE(text_unicode)

BOOST_AUTO_TEST_CASE(tables_come_from_unicode_15) {
  BOOST_TEST(std::string(tables::unicode_version) == "15.0.0");
}

BOOST_AUTO_TEST_CASE(category_classes_of_known_code_points) {
  BOOST_TEST(is_nonspacing_mark(0x0301));   // combining acute accent
  BOOST_TEST(!is_nonspacing_mark(0x0903));  // Devanagari visarga: Mc
  BOOST_TEST(is_space_separator(0x00A0));
  BOOST_TEST(is_space_separator(0x3000));
  BOOST_TEST(!is_space_separator(U'\t'));
  BOOST_TEST(is_other_category(0x0007));   // Cc
  BOOST_TEST(is_other_category(0x00AD));   // soft hyphen: Cf
  BOOST_TEST(is_other_category(0xE000));   // private use: Co
  BOOST_TEST(is_other_category(0x0378));   // unassigned: Cn
  BOOST_TEST(is_other_category(0x10FFFF));
  BOOST_TEST(!is_other_category(U'a'));
  BOOST_TEST(is_punctuation_category(0x00BF));  // ¿
  BOOST_TEST(is_punctuation_category(0x300C));  // 「
  BOOST_TEST(!is_punctuation_category(U'$'));   // Sc, punctuation only to BERT
  BOOST_TEST(is_python_whitespace(0x2028));     // Zl: bidi WS
  BOOST_TEST(is_python_whitespace(0x001F));     // bidi S
  BOOST_TEST(!is_python_whitespace(0x200B));    // zero width space: Cf, bidi BN
  BOOST_TEST(canonical_combining_class(0x0301) == 230);
  BOOST_TEST(canonical_combining_class(0x0323) == 220);
  BOOST_TEST(canonical_combining_class(U'a') == 0);
}

BOOST_AUTO_TEST_CASE(lower_case_follows_python_str_lower) {
  BOOST_TEST((lowercase(U"ABC xyz") == U"abc xyz"));
  BOOST_TEST((lowercase(U"\u0130") == U"i\u0307"));  // SpecialCasing: İ
  BOOST_TEST((lowercase(U"\u03A3\u03A3") == U"\u03C3\u03C3"));  // per character: no final sigma
  BOOST_TEST((lowercase(U"\u2126\u212A\u212B") == U"\u03C9k\u00E5"));  // ohm, kelvin, angstrom signs
  BOOST_TEST((lowercase(U"\u01C5\u0100\u0101\u0178") == U"\u01C6\u0101\u0101\u00FF"));
  BOOST_TEST((lowercase(U"\u0401\u10A0\U00010400\U0001E900") == U"\u0451\u2D00\U00010428\U0001E922"));
  BOOST_TEST((lowercase(U"\u00DF\u1E9E") == U"\u00DF\u00DF"));
}

BOOST_AUTO_TEST_CASE(nfd_decomposes_fully_and_orders_marks) {
  BOOST_TEST((nfd(U"\u00E9") == U"e\u0301"));
  BOOST_TEST((nfd(U"\u01FA") == U"A\u030A\u0301"));  // recursive: Ǻ -> Å + acute -> A + ring + acute
  BOOST_TEST((nfd(U"\u212B") == U"A\u030A"));        // singleton
  BOOST_TEST((nfd(U"s\u0307\u0323") == U"s\u0323\u0307"));  // below (220) before above (230)
  BOOST_TEST((nfd(U"\u1E69") == U"s\u0323\u0307"));
  BOOST_TEST((nfd(U"\U0001D15E") == U"\U0001D157\U0001D165"));  // outside the BMP
}

BOOST_AUTO_TEST_CASE(hangul_syllables_decompose_and_compose_algorithmically) {
  BOOST_TEST((nfd(U"\uD55C") == U"\u1112\u1161\u11AB"));  // 한: L V T
  BOOST_TEST((nfd(U"\uAC00") == U"\u1100\u1161"));        // 가: L V
  BOOST_TEST((nfd(U"\uD7A3") == U"\u1112\u1175\u11C2"));  // the last syllable
  BOOST_TEST((nfc(U"\u1112\u1161\u11AB\u1100\u1161") == U"\uD55C\uAC00"));
  BOOST_TEST((nfc(U"\uAC00\u11A7") == U"\uAC00\u11A7"));  // U+11A7 is no trailing consonant
  for (char32_t s = 0xAC00; s <= 0xD7A3; ++s)
    BOOST_TEST_REQUIRE((nfc(nfd(std::u32string(1, s))) == std::u32string(1, s)));
}

BOOST_AUTO_TEST_CASE(nfc_composes_unless_blocked_or_excluded) {
  BOOST_TEST((nfc(U"e\u0301") == U"\u00E9"));
  BOOST_TEST((nfc(U"\u212B") == U"\u00C5"));
  BOOST_TEST((nfc(U"a\u0302\u0323") == U"\u1EAD"));  // reordered, then both marks compose
  BOOST_TEST((nfc(U"\u0958") == U"\u0915\u093C"));   // composition exclusion
  BOOST_TEST((nfc(U"\u0340") == U"\u0300"));         // singleton
  BOOST_TEST((nfc(U"e\u0301\u0301") == U"\u00E9\u0301"));  // the second acute is blocked
  BOOST_TEST((nfc(U"\u0301e") == U"\u0301e"));       // a mark before any starter stays
  BOOST_TEST((nfc(U"\u0B47\u0B3E") == U"\u0B4B"));    // two starters compose
}

BOOST_AUTO_TEST_CASE(strip_accents_drops_nonspacing_marks_after_nfd) {
  BOOST_TEST((strip_accents(U"Ångström café") == U"Angstrom cafe"));
  BOOST_TEST((strip_accents(U"\u0130") == U"I"));
  BOOST_TEST((strip_accents(U"\u0301\u0308") == U""));
  BOOST_TEST((strip_accents(U"\u0915\u0903") == U"\u0915\u0903"));  // Mc stays
}

// The fast paths in unicode.hpp skip text below these bounds; the tables must
// agree that nothing there decomposes, has a combining class, or composes.
BOOST_AUTO_TEST_CASE(fast_path_bounds_agree_with_the_tables) {
  BOOST_TEST((tables::decomposition_keys[0] >= detail::nfd_stable_below));
  for (std::size_t i = 0; i < std::size(tables::ccc_starts); ++i)
    if (tables::ccc_values[i] != 0) BOOST_TEST_REQUIRE((tables::ccc_starts[i] >= detail::nfc_stable_below));
  for (const std::uint64_t key : tables::composition_keys) {
    const auto first = static_cast<char32_t>(key >> 21), second = static_cast<char32_t>(key & 0x1FFFFF);
    BOOST_TEST_REQUIRE((first >= detail::nfc_stable_below || second >= detail::nfc_stable_below));
  }
  for (char32_t c = 0; c < detail::nfc_stable_below; ++c)
    BOOST_TEST_REQUIRE((nfc(nfd(std::u32string(1, c))) == std::u32string(1, c)));
}

BOOST_AUTO_TEST_SUITE_END()
