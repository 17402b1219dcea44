#include <adaptrec/io/json.hpp>

#include <support/expect_throw.hpp>
#include <support/temp_dir.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

using namespace adaptrec;
using io::Json;
using io::parse_json;
using adaptrec_test::contains;
using adaptrec_test::message_of;
using adaptrec_test::TempDir;

BOOST_AUTO_TEST_SUITE(io_json)

BOOST_AUTO_TEST_CASE(scalars_keep_their_kind) {
  BOOST_TEST(parse_json("null").is_null());
  BOOST_TEST(parse_json("true").as_bool());
  BOOST_TEST(!parse_json(" false ").as_bool());
  BOOST_TEST(parse_json("0").as_int() == 0);
  BOOST_TEST(parse_json("-17").as_int() == -17);
  BOOST_TEST(parse_json("9223372036854775807").as_int() == std::numeric_limits<std::int64_t>::max());
  BOOST_TEST(parse_json("-9223372036854775808").as_int() == std::numeric_limits<std::int64_t>::min());
  BOOST_TEST(parse_json("1.5").as_double() == 1.5);
  BOOST_TEST(parse_json("-2.5e-3").as_double() == -2.5e-3);
  BOOST_TEST(parse_json("1E2").is_double());
  BOOST_TEST(parse_json("1E2").as_double() == 100.0);
  BOOST_TEST(parse_json("1e-12").as_double() == 1e-12);
  BOOST_TEST(parse_json("12").as_double() == 12.0);  // integers read as doubles
  // Past int64 an integer literal becomes the nearest double.
  const Json big = parse_json("9223372036854775808");
  BOOST_TEST(big.is_double());
  BOOST_TEST(big.as_double() == 9223372036854775808.0);
  // Underflow rounds to a signed zero; overflow is an error.
  BOOST_TEST(parse_json("1e-400").as_double() == 0.0);
  BOOST_TEST(std::signbit(parse_json("-0.0001e-400").as_double()));
  BOOST_TEST(contains(message_of<io_error>([] { parse_json("1e400"); }), "out of the range"));
  BOOST_TEST(contains(message_of<io_error>([] { parse_json("-123456789e999"); }), "out of the range"));
}

BOOST_AUTO_TEST_CASE(kind_mismatches_name_both_kinds) {
  const std::string m = message_of<io_error>([] { parse_json("1.5").as_int(); });
  BOOST_TEST(contains(m, "expected an integer"));
  BOOST_TEST(contains(m, "non-integer number"));
  BOOST_TEST(contains(message_of<io_error>([] { parse_json("\"x\"").as_array(); }), "got a string"));
  BOOST_TEST(contains(message_of<io_error>([] { parse_json("null").as_double(); }),
                      "expected a number, got null"));
  BOOST_TEST(contains(message_of<io_error>([] { parse_json("[1]").at("k"); }), "got an array"));
  BOOST_TEST(contains(message_of<io_error>([] { parse_json("[1]").at(std::size_t{1}); }),
                      "index 1 out of range"));
}

BOOST_AUTO_TEST_CASE(string_escapes_and_surrogate_pairs) {
  BOOST_TEST(parse_json(R"("\"\\\/\b\f\n\r\t")").as_string() == "\"\\/\b\f\n\r\t");
  BOOST_TEST(parse_json(R"("\u0041\u00e9\u20AC")").as_string() == "A\xC3\xA9\xE2\x82\xAC");
  // U+1F600 as the surrogate pair D83D DE00, and U+10FFFF, the last code point.
  BOOST_TEST(parse_json(R"("\ud83d\ude00")").as_string() == "\xF0\x9F\x98\x80");
  BOOST_TEST(parse_json(R"("\uDBFF\uDFFF")").as_string() == "\xF4\x8F\xBF\xBF");
  const std::string with_nul = parse_json(R"("a\u0000b")").as_string();
  BOOST_TEST(with_nul.size() == 3u);
  BOOST_TEST(with_nul[1] == '\0');
  // Raw UTF-8 passes through unchanged.
  BOOST_TEST(parse_json("\"\xE5\xB5\x8C\xF0\x9F\x98\x80\"").as_string() ==
             "\xE5\xB5\x8C\xF0\x9F\x98\x80");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_rejected) {
  for (const std::string bad : {"\"\xC0\x80\"", "\"\xED\xA0\x80\"", "\"\x80\"", "\"\xE2\x82\"",
                                "\"\xF5\x80\x80\x80\"", "\"\xF4\x90\x80\x80\"", "\"\xE0\x80\xAF\""}) {
    const std::string m = message_of<io_error>([&] { parse_json(bad, "doc"); });
    BOOST_TEST(contains(m, "invalid UTF-8"));
    BOOST_TEST(contains(m, "(byte offset 1)"));
  }
}

BOOST_AUTO_TEST_CASE(errors_name_source_line_column_and_offset) {
  struct Case {
    std::string text;
    std::string reason;
    std::size_t offset;
  };
  const Case cases[] = {
      {"", "unexpected end of input", 0},
      {"[1,]", "expected a value", 3},
      {"{\"a\":1,}", "expected a string key", 7},
      {"[1 2]", "expected ','", 3},
      {"{\"a\" 1}", "expected ':'", 5},
      {"01", "leading zeros", 1},
      {"-", "expected a digit", 1},
      {"1.", "after the decimal point", 2},
      {"1e+", "in the exponent", 3},
      {"+1", "unexpected '+'", 0},
      {".5", "unexpected '.'", 0},
      {"tru", "expected 'true'", 0},
      {"NaN", "unexpected 'N'", 0},
      {"\"abc", "unterminated string", 0},
      {"[\"a\nb\"]", "unescaped control character 0x0A", 3},
      {"\"\\x\"", "invalid escape", 1},
      {"\"\\u12\"", "four hex digits", 1},
      {"\"\\ud83d\"", "not followed by a low surrogate", 1},
      {"\"\\ud83d\\u0041\"", "not followed by a low surrogate", 1},
      {"\"\\ude00\"", "low surrogate without", 1},
      {"1 2", "after the JSON value", 2},
      {"[", "unexpected end of input", 1},
      {"{\"k\":1,\"j\":2,\"k\":3}", "duplicate key \"k\"", 13},
      {"[1]\x01", "unexpected byte 0x01", 3},
      {"//comment\n1", "unexpected '/'", 0},
  };
  for (const Case& c : cases) {
    const std::string m = message_of<io_error>([&] { parse_json(c.text, "case.json"); });
    BOOST_TEST_CONTEXT("input " << c.text) {
      BOOST_TEST(m.starts_with("case.json:"));
      BOOST_TEST(contains(m, c.reason), m);
      BOOST_TEST(contains(m, "(byte offset " + std::to_string(c.offset) + ")"), m);
    }
  }
  const std::string m = message_of<io_error>([] { parse_json("{\n  \"a\": x}", "config.json"); });
  BOOST_TEST(m.starts_with("config.json:2:8: "), m);
}

BOOST_AUTO_TEST_CASE(nesting_up_to_the_limit) {
  constexpr int limit = io::detail::JsonParser::max_depth;
  const auto nested = [](int depth) {
    return std::string(static_cast<std::size_t>(depth), '[') + "7" +
           std::string(static_cast<std::size_t>(depth), ']');
  };
  Json deep = parse_json(nested(limit));
  const Json* inner = &deep;
  for (int i = 0; i < limit; ++i) inner = &inner->at(std::size_t{0});
  BOOST_TEST(inner->as_int() == 7);
  BOOST_TEST(contains(message_of<io_error>([&] { parse_json(nested(limit + 1)); }),
                      "nesting deeper than"));
  // Far past the limit fails the same way instead of exhausting the stack.
  BOOST_TEST(contains(message_of<io_error>([] { parse_json(std::string(1'000'000, '[')); }),
                      "nesting deeper than"));
  BOOST_TEST(contains(message_of<io_error>([] {
                        std::string objects;
                        for (int i = 0; i < 200; ++i) objects += "{\"a\":";
                        parse_json(objects);
                      }),
                      "nesting deeper than"));
}

BOOST_AUTO_TEST_CASE(objects_keep_file_order_and_find_by_key) {
  const Json doc = parse_json(R"({"zeta": 1, "alpha": [true, null], "mid": {"x": "y"}})");
  std::vector<std::string> keys;
  for (const auto& [key, value] : doc.as_object()) keys.push_back(key);
  BOOST_TEST(keys == (std::vector<std::string>{"zeta", "alpha", "mid"}), boost::test_tools::per_element());
  BOOST_TEST(doc.size() == 3u);
  BOOST_TEST(doc.at("zeta").as_int() == 1);
  BOOST_TEST(doc.at("alpha").size() == 2u);
  BOOST_TEST(doc.at("alpha").at(std::size_t{1}).is_null());
  BOOST_TEST(doc.at("mid").at("x").as_string() == "y");
  BOOST_TEST(doc.find("missing") == nullptr);
  BOOST_TEST(!doc.contains("missing"));
  BOOST_TEST(contains(message_of<io_error>([&] { doc.at("hidden_size"); }), "\"hidden_size\""));
  BOOST_TEST(parse_json("{}").as_object().empty());
  BOOST_TEST(parse_json("[]").as_array().empty());
}

BOOST_AUTO_TEST_CASE(large_objects_are_indexed) {
  std::string text = "{";
  constexpr int members = 50'000;
  for (int i = members - 1; i >= 0; --i) {
    text += "\"token" + std::to_string(i) + "\":" + std::to_string(i);
    if (i) text += ",";
  }
  text += "}";
  const Json vocab = parse_json(text);
  BOOST_TEST(vocab.size() == static_cast<std::size_t>(members));
  BOOST_TEST(vocab.as_object().begin()->first == "token49999");
  for (int i = 0; i < members; i += 997) BOOST_TEST(vocab.at("token" + std::to_string(i)).as_int() == i);
}

BOOST_AUTO_TEST_CASE(building_and_comparing_values) {
  Json doc = Json::object();
  doc.set("b", 1);
  doc.set("a", Json::array({1, 2.5, "three", true, nullptr}));
  doc.set("b", "replaced");  // keeps its place
  doc.at("a").push_back(Json::object());
  BOOST_TEST(doc.dump() == R"({"b":"replaced","a":[1,2.5,"three",true,null,{}]})");
  // Object equality ignores member order; numbers compare by kind and value.
  BOOST_TEST(parse_json(R"({"x":1,"y":[2]})") == parse_json(R"({"y":[2],"x":1})"));
  BOOST_TEST(!(parse_json(R"({"x":1})") == parse_json(R"({"x":1.0})")));
  BOOST_TEST(!(parse_json(R"({"x":1})") == parse_json(R"({"x":1,"y":2})")));
  BOOST_CHECK_THROW(Json(std::numeric_limits<std::uint64_t>::max()), invalid_argument);
  BOOST_CHECK_THROW(doc.push_back(1), io_error);  // not an array
}

BOOST_AUTO_TEST_CASE(dump_escapes_and_round_trips) {
  Json doc = Json::object();
  doc.set("text", std::string("quote\" back\\ nl\n tab\t ctl\x01\x1f del\x7f \xC3\xA9 \xF0\x9F\x98\x80"));
  doc.set("ints", Json::array({0, -1, std::numeric_limits<std::int64_t>::min()}));
  doc.set("doubles", Json::array({1.0, -0.5, 1e300, 5e-324, 0.1}));
  doc.set("nested", Json::array({Json::array({}), Json::object(), nullptr, false}));
  const std::string compact = doc.dump();
  BOOST_TEST(contains(compact, R"("quote\" back\\ nl\n tab\t ctl\u0001\u001f del)"));
  BOOST_TEST(contains(compact, "[1.0,-0.5,1e+300,5e-324,0.1]"));
  BOOST_TEST(parse_json(compact) == doc);
  BOOST_TEST(parse_json(doc.dump(2)) == doc);
  BOOST_TEST(parse_json(doc.dump(0)) == doc);
  BOOST_TEST(Json::array({1, Json::object()}).dump(2) == "[\n  1,\n  {}\n]");
  const Json small = parse_json(R"({"a":[1,{"b":null}]})");
  BOOST_TEST(small.dump(2) == "{\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    }\n  ]\n}");
  BOOST_CHECK_THROW(Json(std::nan("")).dump(), invalid_argument);
  BOOST_CHECK_THROW(Json(std::numeric_limits<double>::infinity()).dump(), invalid_argument);
  BOOST_CHECK_THROW(Json(std::string("\xFF")).dump(), invalid_argument);
}

BOOST_AUTO_TEST_CASE(byte_order_mark_and_whitespace) {
  BOOST_TEST(parse_json("\xEF\xBB\xBF {\"a\": 1}\r\n\t").at("a").as_int() == 1);
  BOOST_CHECK_THROW(parse_json("\xEF\xBB"), io_error);
  BOOST_CHECK_THROW(parse_json("\f1"), io_error);  // form feed is not JSON whitespace
}

BOOST_AUTO_TEST_CASE(reads_files_and_names_them) {
  const TempDir dir("adaptrec-io-json");
  const auto path = dir / "config.json";
  std::ofstream(path) << R"({"hidden_size": 768, "layer_norm_eps": 1e-12, "architectures": ["BertModel"]})";
  const Json config = io::read_json_file(path);
  BOOST_TEST(config.at("hidden_size").as_int() == 768);
  BOOST_TEST(config.at("layer_norm_eps").as_double() == 1e-12);
  BOOST_TEST(config.at("architectures").at(std::size_t{0}).as_string() == "BertModel");

  std::ofstream(path) << "{\"hidden_size\": }";
  BOOST_TEST(contains(message_of<io_error>([&] { io::read_json_file(path); }),
                      path.string() + ":1:17"));
  BOOST_TEST(contains(message_of<io_error>([&] { io::read_json_file(dir / "absent.json"); }),
                      "absent.json"));
  BOOST_TEST(contains(message_of<io_error>([&] { io::read_json_file(dir.path()); }), "directory"));
}

BOOST_AUTO_TEST_SUITE_END()
