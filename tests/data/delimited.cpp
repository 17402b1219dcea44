#include <adaptrec/data/delimited.hpp>

#include "fixture_files.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>
#include <string>

using namespace adaptrec;
using namespace adaptrec::data;
using adaptrec_test::contains;
using adaptrec_test::message_of;
using adaptrec_test::TempDir;

namespace {

DelimitedOptions log_options() {
  DelimitedOptions options;
  options.columns = {{"user", ColumnType::int64},
                     {"rating", ColumnType::float64},
                     {"title", ColumnType::string}};
  return options;
}

Table read_text(const std::string& text, const DelimitedOptions& options) {
  TempDir dir;
  return read_delimited(dir.write("log.csv", text), options);
}

std::string read_error(const std::string& text, const DelimitedOptions& options) {
  TempDir dir;
  const auto path = dir.write("log.csv", text);
  return message_of<io_error>([&] { read_delimited(path, options); });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(data_delimited)

BOOST_AUTO_TEST_CASE(columns_by_header_name_extra_columns_ignored) {
  const Table table = read_text(
      "timestamp,title,user,rating\n"
      "100,Heat,7,4.5\n"
      "200,Casino,-3,1e0\n",
      log_options());
  BOOST_TEST(table.rows() == 2u);
  BOOST_TEST(table.int64_column("user") == (std::vector<std::int64_t>{7, -3}));
  BOOST_TEST(table.float64_column("rating") == (std::vector<double>{4.5, 1.0}));
  BOOST_TEST(table.string_column("title") == (std::vector<std::string>{"Heat", "Casino"}));
  BOOST_TEST(!table.has_column("timestamp"));
}

BOOST_AUTO_TEST_CASE(quoting_follows_rfc4180) {
  const Table table = read_text(
      "user,title,rating\n"
      "1,\"Good, the Bad and the Ugly, The\",5\n"
      "2,\"Say \"\"Hi\"\"\",3\n"
      "3,\"Two\nlines\",2\n"
      "4,\"\",1\n"
      "5, \"spaced\" ,4\n",
      log_options());
  const auto& titles = table.string_column("title");
  BOOST_REQUIRE(titles.size() == 5u);
  BOOST_TEST(titles[0] == "Good, the Bad and the Ugly, The");
  BOOST_TEST(titles[1] == "Say \"Hi\"");
  BOOST_TEST(titles[2] == "Two\nlines");
  BOOST_TEST(titles[3] == "");
  BOOST_TEST(titles[4] == "spaced");
  BOOST_TEST(table.int64_column("user")[4] == 5);
}

BOOST_AUTO_TEST_CASE(crlf_bom_blank_lines_and_missing_final_newline) {
  const Table table = read_text("\xEF\xBB\xBFuser,rating,title\r\n1,2.5,a\r\n\r\n2,3,b", log_options());
  BOOST_TEST(table.rows() == 2u);
  BOOST_TEST(table.string_column("title") == (std::vector<std::string>{"a", "b"}));
  BOOST_TEST(table.float64_column("rating")[1] == 3.0);
}

BOOST_AUTO_TEST_CASE(without_header_columns_are_positional) {
  DelimitedOptions options = log_options();
  options.header = false;
  options.delimiter = '\t';
  const Table table = read_text("1\t4\tHeat\textra\n2\t5\tCasino\textra\n", options);
  BOOST_TEST(table.rows() == 2u);
  BOOST_TEST(table.int64_column("user")[1] == 2);
  BOOST_TEST(table.string_column("title")[0] == "Heat");
}

BOOST_AUTO_TEST_CASE(errors_name_file_line_and_column) {
  std::string message = read_error("user,rating,title\n1,4,a\n2,x4,b\n", log_options());
  BOOST_TEST(contains(message, "log.csv:3:3"), message);
  BOOST_TEST(contains(message, "column 'rating'"), message);
  BOOST_TEST(contains(message, "'x4' as float64"), message);

  message = read_error("user,rating,title\n1.5,4,a\n", log_options());
  BOOST_TEST(contains(message, "log.csv:2:1"), message);
  BOOST_TEST(contains(message, "as int64"), message);

  // The line count includes the line break inside the quoted title.
  message = read_error("title,user,rating\n\"a\nb\",1,2\nc,1,two\n", log_options());
  BOOST_TEST(contains(message, "log.csv:4:5"), message);

  message = read_error("user,rating,title\n1,4\n", log_options());
  BOOST_TEST(contains(message, "log.csv:2"), message);
  BOOST_TEST(contains(message, "expected 3 fields, got 2"), message);

  message = read_error("user,rating,title\n1,4,\"open\n", log_options());
  BOOST_TEST(contains(message, "log.csv:2:5"), message);
  BOOST_TEST(contains(message, "unterminated"), message);

  message = read_error("user,rating,title\n1,4,\"a\"b\n", log_options());
  BOOST_TEST(contains(message, "log.csv:2:8"), message);

  message = read_error("user,score,title\n", log_options());
  BOOST_TEST(contains(message, "log.csv:1"), message);
  BOOST_TEST(contains(message, "no column 'rating'"), message);

  message = read_error("", log_options());
  BOOST_TEST(contains(message, "empty"), message);
}

BOOST_AUTO_TEST_CASE(table_access_checks_name_and_type) {
  const Table table = read_text("user,rating,title\n1,2,a\n", log_options());
  std::string message =
      message_of<invalid_argument>([&] { (void)table.float64_column("user"); });
  BOOST_TEST(contains(message, "'user' is int64, not float64"), message);
  message = message_of<invalid_argument>([&] { (void)table.int64_column("item"); });
  BOOST_TEST(contains(message, "no column 'item'"), message);
}

BOOST_AUTO_TEST_CASE(bad_options_are_invalid_arguments) {
  TempDir dir;
  const auto path = dir.write("log.csv", "a\n1\n");
  DelimitedOptions options;
  BOOST_CHECK_THROW(read_delimited(path, options), invalid_argument);  // no columns
  options.columns = {{"a", ColumnType::int64}, {"a", ColumnType::string}};
  BOOST_CHECK_THROW(read_delimited(path, options), invalid_argument);
  options.columns = {{"a", ColumnType::int64}};
  options.delimiter = '"';
  BOOST_CHECK_THROW(read_delimited(path, options), invalid_argument);
}

BOOST_AUTO_TEST_CASE(every_truncation_parses_or_throws) {
  const std::string valid =
      "user,title,rating\r\n1,\"Good, \"\"Bad\"\"\",5\r\n2,\"Two\nlines\",3.5\r\n3,plain,1\r\n";
  for (std::size_t length = 0; length <= valid.size(); ++length)
    adaptrec_test::expect_parses_or_throws_adaptrec_error(
        [&] { detail::parse_delimited("fuzz.csv", valid.substr(0, length), log_options()); },
        "truncated to " + std::to_string(length));
}

BOOST_AUTO_TEST_CASE(random_and_mutated_inputs_parse_or_throw) {
  const std::string valid =
      "user,title,rating\n1,\"Good, \"\"Bad\"\"\",5\n2,\"Two\nlines\",3.5\n3,plain,1\n";
  std::mt19937_64 rng(4180);
  DelimitedOptions headerless = log_options();
  headerless.header = false;
  for (int trial = 0; trial < 2000; ++trial) {
    const std::string input = trial % 4 == 0 ? adaptrec_test::random_bytes(rng, 200)
                                             : adaptrec_test::mutate(rng, valid);
    const DelimitedOptions options = trial % 3 == 0 ? headerless : log_options();
    adaptrec_test::expect_parses_or_throws_adaptrec_error(
        [&] { detail::parse_delimited("fuzz.csv", input, options); },
        "trial " + std::to_string(trial));
  }
}

BOOST_AUTO_TEST_SUITE_END()
