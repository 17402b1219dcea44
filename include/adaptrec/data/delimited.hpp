#pragma once
// A loader for users' own interaction logs: delimited text (CSV, TSV, ...) read
// into typed columns.
//
// Quoting follows RFC 4180: a field in double quotes may hold the delimiter,
// line breaks and doubled quotes ("say ""hi"""). Spaces around a quoted field
// are tolerated, CRLF line ends and a UTF-8 byte-order mark are accepted, and
// blank lines are skipped. Errors name file:line:column.
#include <adaptrec/core/error.hpp>
#include <adaptrec/data/delimited_reader.hpp>
#include <adaptrec/data/text_parsing.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace adaptrec::data {

enum class ColumnType { int64, float64, string };

inline const char* to_string(ColumnType type) {
  switch (type) {
    case ColumnType::int64: return "int64";
    case ColumnType::float64: return "float64";
    case ColumnType::string: return "string";
  }
  return "unknown";
}

struct ColumnSpec {
  std::string name;
  ColumnType type;
};

struct DelimitedOptions {
  char delimiter = ',';
  // With a header, `columns` are looked up by name and other columns are
  // ignored; without one, columns[i] is the file's i-th field.
  bool header = true;
  std::vector<ColumnSpec> columns;
};

class Table;
namespace detail {
inline Table parse_delimited(const std::filesystem::path& path, std::string_view text,
                             const DelimitedOptions& options);
}  // namespace detail

class Table {
 public:
  std::size_t rows() const { return rows_; }
  std::vector<ColumnSpec> columns() const {
    std::vector<ColumnSpec> specs;
    for (const Column& c : columns_) specs.push_back(c.spec);
    return specs;
  }
  bool has_column(std::string_view name) const { return find(name) != nullptr; }

  const std::vector<std::int64_t>& int64_column(std::string_view name) const {
    return typed<std::vector<std::int64_t>>(name, ColumnType::int64);
  }
  const std::vector<double>& float64_column(std::string_view name) const {
    return typed<std::vector<double>>(name, ColumnType::float64);
  }
  const std::vector<std::string>& string_column(std::string_view name) const {
    return typed<std::vector<std::string>>(name, ColumnType::string);
  }

 private:
  friend Table detail::parse_delimited(const std::filesystem::path&, std::string_view,
                                       const DelimitedOptions&);
  using Values =
      std::variant<std::vector<std::int64_t>, std::vector<double>, std::vector<std::string>>;
  struct Column {
    ColumnSpec spec;
    Values values;
  };

  const Column* find(std::string_view name) const {
    const auto it = std::find_if(columns_.begin(), columns_.end(),
                                 [&](const Column& c) { return c.spec.name == name; });
    return it == columns_.end() ? nullptr : &*it;
  }
  template <class Vector>
  const Vector& typed(std::string_view name, ColumnType requested) const {
    const Column* column = find(name);
    if (!column) throw invalid_argument("Table: no column '" + std::string(name) + "'");
    if (column->spec.type != requested)
      throw invalid_argument("Table: column '" + std::string(name) + "' is " +
                             to_string(column->spec.type) + ", not " + to_string(requested));
    return std::get<Vector>(column->values);
  }

  std::vector<Column> columns_;
  std::size_t rows_ = 0;
};

namespace detail {

inline void validate_delimited_options(const DelimitedOptions& options) {
  const char d = options.delimiter;
  if (d == '"' || d == '\n' || d == '\r')
    throw invalid_argument("read_delimited: the delimiter cannot be a quote or a line break");
  if (options.columns.empty()) throw invalid_argument("read_delimited: no columns requested");
  for (std::size_t i = 0; i < options.columns.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (options.columns[i].name == options.columns[j].name)
        throw invalid_argument("read_delimited: column '" + options.columns[i].name +
                               "' requested twice");
}

// For each requested column, its field position in the file.
inline std::vector<std::size_t> locate_columns(const std::filesystem::path& path,
                                               const DelimitedOptions& options,
                                               const std::vector<std::string_view>& header,
                                               std::size_t header_line) {
  std::vector<std::size_t> positions;
  for (const ColumnSpec& spec : options.columns) {
    const auto first = std::find(header.begin(), header.end(), spec.name);
    if (first == header.end()) {
      std::string names;
      for (const std::string_view h : header) names += (names.empty() ? "" : ", ") + quoted(h);
      throw parse_error(path, header_line,
                        "no column '" + spec.name + "' in the header (it has " + names + ")");
    }
    if (std::find(first + 1, header.end(), spec.name) != header.end())
      throw parse_error(path, header_line, "column '" + spec.name + "' appears twice in the header");
    positions.push_back(static_cast<std::size_t>(first - header.begin()));
  }
  return positions;
}

// Parses `text`; `path` only names the file in error messages.
inline Table parse_delimited(const std::filesystem::path& path, std::string_view text,
                             const DelimitedOptions& options) {
  validate_delimited_options(options);
  DelimitedReader reader(text, options.delimiter);
  std::vector<std::string_view> fields;

  Table table;
  for (const ColumnSpec& spec : options.columns) {
    Table::Column column{spec, {}};
    if (spec.type == ColumnType::float64) column.values = std::vector<double>{};
    if (spec.type == ColumnType::string) column.values = std::vector<std::string>{};
    table.columns_.push_back(std::move(column));
  }

  std::vector<std::size_t> positions;
  std::size_t expected_fields = 0;
  if (!reader.next(fields, path)) {
    if (options.header) throw io_error(path.string() + ": empty file, expected a header");
    return table;
  }
  if (options.header) {
    positions = locate_columns(path, options, fields, reader.record_line());
    expected_fields = fields.size();
    if (!reader.next(fields, path)) return table;
  } else {
    for (std::size_t i = 0; i < options.columns.size(); ++i) positions.push_back(i);
    expected_fields = fields.size();
    if (expected_fields < options.columns.size())
      throw parse_error(path, reader.record_line(),
                                std::to_string(options.columns.size()) +
                                    " columns requested, but the first row has " +
                                    std::to_string(expected_fields) + " fields");
  }

  do {
    if (fields.size() != expected_fields)
      throw parse_error(path, reader.record_line(),
                                "expected " + std::to_string(expected_fields) + " fields, got " +
                                    std::to_string(fields.size()));
    for (std::size_t c = 0; c < positions.size(); ++c) {
      const std::string_view field = fields[positions[c]];
      Table::Column& column = table.columns_[c];
      const auto fail = [&](const char* what) {
        const auto [line, col] = reader.field_position(positions[c]);
        throw io_error(path.string() + ":" + std::to_string(line) + ":" + std::to_string(col) +
                       ": column '" + column.spec.name + "': cannot parse " +
                       quoted(field) + " as " + what);
      };
      std::visit(
          [&](auto& values) {
            using Value = typename std::decay_t<decltype(values)>::value_type;
            if constexpr (std::is_same_v<Value, std::string>) {
              values.emplace_back(field);
            } else {
              Value value{};
              if (!parse_number(trim_spaces(field), value))
                fail(to_string(column.spec.type));
              values.push_back(value);
            }
          },
          column.values);
    }
    ++table.rows_;
  } while (reader.next(fields, path));
  return table;
}

}  // namespace detail

inline Table read_delimited(const std::filesystem::path& path, const DelimitedOptions& options) {
  detail::validate_delimited_options(options);
  return detail::parse_delimited(path, detail::read_whole_file(path), options);
}

}  // namespace adaptrec::data
