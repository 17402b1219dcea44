#pragma once
// Field-level parsing shared by the MovieLens 100K and 1M loaders: raw-id to
// dense-index maps, titles with a "(year)" suffix, ratings and genders.
#include <adaptrec/data/movielens_dataset.hpp>
#include <adaptrec/data/text_parsing.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace adaptrec::data::detail {

// Both releases rate on a 1-5 star scale.
inline constexpr float min_movielens_rating = 1.0f;
inline constexpr float max_movielens_rating = 5.0f;

// Raw ids (as written in the files) to dense 0-based indices, in first-seen order.
class DenseIds {
 public:
  explicit DenseIds(const char* what) : what_(what) {}

  // Registers the next raw id; false if it was already registered.
  bool add(std::int32_t raw_id) {
    return index_.emplace(raw_id, static_cast<std::int32_t>(index_.size())).second;
  }
  // -1 when unknown.
  std::int32_t find(std::int32_t raw_id) const {
    const auto it = index_.find(raw_id);
    return it == index_.end() ? -1 : it->second;
  }
  const char* what() const { return what_; }

 private:
  const char* what_;
  std::unordered_map<std::int32_t, std::int32_t> index_;
};

struct LineContext {
  const std::filesystem::path& path;
  std::size_t line;
  [[noreturn]] void fail(const std::string& reason) const { throw parse_error(path, line, reason); }
};

inline void require_field_count(const LineContext& at, std::size_t got, std::size_t expected) {
  if (got != expected)
    at.fail("expected " + std::to_string(expected) + " fields, got " + std::to_string(got));
}

inline std::int32_t parse_raw_id(const LineContext& at, std::string_view field, const char* what) {
  std::int32_t id = 0;
  if (!parse_number(trim_spaces(field), id) || id < 0)
    at.fail(std::string("bad ") + what + " id " + quoted(field));
  return id;
}

inline std::int32_t parse_int_field(const LineContext& at, std::string_view field,
                                    const char* what) {
  std::int32_t value = 0;
  if (!parse_number(trim_spaces(field), value))
    at.fail(std::string("bad ") + what + " " + quoted(field));
  return value;
}

inline void register_id(const LineContext& at, DenseIds& ids, std::int32_t raw_id) {
  if (!ids.add(raw_id))
    at.fail(std::string("duplicate ") + ids.what() + " id " + std::to_string(raw_id));
}

inline float parse_rating(const LineContext& at, std::string_view field) {
  float rating = 0;
  if (!parse_number(trim_spaces(field), rating)) at.fail("bad rating " + quoted(field));
  if (!(rating >= min_movielens_rating && rating <= max_movielens_rating))
    at.fail("rating " + quoted(field) + " outside [1, 5]");
  return rating;
}

inline std::int64_t parse_timestamp(const LineContext& at, std::string_view field) {
  std::int64_t timestamp = 0;
  if (!parse_number(trim_spaces(field), timestamp)) at.fail("bad timestamp " + quoted(field));
  return timestamp;
}

inline char parse_gender(const LineContext& at, std::string_view field) {
  field = trim_spaces(field);
  if (field != "M" && field != "F") at.fail("gender " + quoted(field) + " is neither M nor F");
  return field.front();
}

// Parses a ratings file (`user sep item sep rating sep timestamp` per line,
// tab-separated in 100K, "::" in 1M) and appends the ratings. A rating whose
// user or item is unknown throws naming file:line, or under
// UnknownIdPolicy::skip is counted in data.skipped_ratings.
inline void parse_rating_lines(const std::filesystem::path& path, std::string_view text,
                               std::string_view separator, const DenseIds& user_ids,
                               const DenseIds& item_ids, UnknownIdPolicy unknown_ids,
                               MovieLens& data) {
  data.ratings.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  LineReader lines(text);
  std::vector<std::string_view> fields;
  std::string_view line;
  while (lines.next(line)) {
    const LineContext at{path, lines.line_number()};
    split_fields(line, separator, fields);
    require_field_count(at, fields.size(), 4);
    const std::int32_t raw_user = parse_raw_id(at, fields[0], "user");
    const std::int32_t raw_item = parse_raw_id(at, fields[1], "item");
    const float rating = parse_rating(at, fields[2]);
    const std::int64_t timestamp = parse_timestamp(at, fields[3]);
    const std::int32_t user = user_ids.find(raw_user);
    const std::int32_t item = item_ids.find(raw_item);
    if (user >= 0 && item >= 0) {
      data.ratings.push_back(Rating{user, item, rating, timestamp});
    } else if (unknown_ids == UnknownIdPolicy::skip) {
      ++data.skipped_ratings;
    } else if (user < 0) {
      at.fail("unknown user id " + std::to_string(raw_user));
    } else {
      at.fail("unknown item id " + std::to_string(raw_item));
    }
  }
}

struct TitleAndYear {
  std::string title;
  std::int32_t year;  // 0 when the title has no "(YYYY)" suffix
};

// "Toy Story (1995)" -> {"Toy Story", 1995}. Titles without the suffix (the 100K
// release has "... (1995) (V)" and "unknown") are kept whole with year 0.
inline TitleAndYear split_title_year(std::string_view raw_title) {
  std::string_view title = trim_spaces(raw_title);
  constexpr std::size_t suffix_length = 7;  // " (YYYY)"
  if (title.size() > suffix_length && title.back() == ')') {
    const std::string_view suffix = title.substr(title.size() - suffix_length);
    const std::string_view digits = suffix.substr(2, 4);
    std::int32_t year = 0;
    if (suffix[0] == ' ' && suffix[1] == '(' && digits.front() != '+' &&
        parse_number(digits, year) && year > 0) {
      return {text_to_utf8(trim_spaces(title.substr(0, title.size() - suffix_length))), year};
    }
  }
  return {text_to_utf8(title), 0};
}

}  // namespace adaptrec::data::detail
