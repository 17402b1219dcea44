#pragma once
// MovieLens 100K (GroupLens, 1998): the '|'- and tab-separated u.* files.
//   u.genre       name|index
//   u.occupation  one name per line
//   u.item        id|title (year)|release date|video release date|IMDb URL|19 genre flags
//   u.user        id|age|gender|occupation name|zip code
//   u.data        user id \t item id \t rating \t timestamp
// u.item is ISO-8859-1; its titles are converted to UTF-8.
#include <adaptrec/data/movielens_dataset.hpp>
#include <adaptrec/data/movielens_fields.hpp>
#include <adaptrec/data/text_parsing.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace adaptrec::data {

namespace detail {

inline std::vector<std::string> parse_100k_genres(const std::filesystem::path& path,
                                                  std::string_view text) {
  LineReader lines(text);
  std::vector<std::string_view> fields;
  std::vector<std::string> names;
  std::vector<bool> seen;
  std::string_view line;
  while (lines.next(line)) {
    const LineContext at{path, lines.line_number()};
    split_fields(line, "|", fields);
    require_field_count(at, fields.size(), 2);
    const std::int32_t index = parse_int_field(at, fields[1], "genre index");
    // The release has 19 genres; a four-digit bound keeps a corrupt index from
    // sizing a huge vector.
    if (index < 0 || index >= 1000) at.fail("genre index " + std::to_string(index) + " out of range");
    const auto slot = static_cast<std::size_t>(index);
    if (slot >= names.size()) {
      names.resize(slot + 1);
      seen.resize(slot + 1, false);
    }
    if (seen[slot]) at.fail("duplicate genre index " + std::to_string(index));
    seen[slot] = true;
    names[slot] = text_to_utf8(fields[0]);
  }
  const auto missing = std::find(seen.begin(), seen.end(), false);
  if (missing != seen.end())
    throw io_error(path.string() + ": genre index " +
                   std::to_string(missing - seen.begin()) + " is missing");
  if (names.empty()) throw io_error(path.string() + ": no genres");
  return names;
}

inline std::vector<std::string> parse_100k_occupations(const std::filesystem::path& path,
                                                       std::string_view text) {
  LineReader lines(text);
  std::vector<std::string> names;
  std::string_view line;
  while (lines.next(line)) {
    const std::string_view name = trim_spaces(line);
    if (std::find(names.begin(), names.end(), name) != names.end())
      throw parse_error(path, lines.line_number(), "duplicate occupation " + quoted(name));
    names.emplace_back(name);
  }
  if (names.empty()) throw io_error(path.string() + ": no occupations");
  return names;
}

// The year of a release date "01-Jan-1995" (or "01-01-1995"); 0 when empty.
inline std::int32_t release_date_year(const LineContext& at, std::string_view date) {
  date = trim_spaces(date);
  if (date.empty()) return 0;
  const std::size_t dash = date.rfind('-');
  std::int32_t year = 0;
  if (dash == std::string_view::npos || !parse_number(date.substr(dash + 1), year) || year <= 0)
    at.fail("bad release date " + quoted(date));
  return year;
}

inline void parse_100k_items(const std::filesystem::path& path, std::string_view text,
                             std::size_t num_genres, std::vector<Movie>& movies, DenseIds& ids) {
  constexpr std::size_t fixed_fields = 5;
  LineReader lines(text);
  std::vector<std::string_view> fields;
  std::string_view line;
  while (lines.next(line)) {
    const LineContext at{path, lines.line_number()};
    split_fields(line, "|", fields);
    require_field_count(at, fields.size(), fixed_fields + num_genres);
    Movie movie;
    movie.raw_id = parse_raw_id(at, fields[0], "item");
    register_id(at, ids, movie.raw_id);
    auto [title, year] = split_title_year(fields[1]);
    movie.title = std::move(title);
    const std::int32_t release_year = release_date_year(at, fields[2]);
    movie.year = year != 0 ? year : release_year;
    for (std::size_t g = 0; g < num_genres; ++g) {
      const std::string_view flag = fields[fixed_fields + g];
      if (flag == "1")
        movie.genres.push_back(static_cast<std::int32_t>(g));
      else if (flag != "0")
        at.fail("genre flag " + std::to_string(g) + " is " + quoted(flag) + ", not 0 or 1");
    }
    movies.push_back(std::move(movie));
  }
}

inline void parse_100k_users(const std::filesystem::path& path, std::string_view text,
                             const std::vector<std::string>& occupations, std::vector<User>& users,
                             DenseIds& ids) {
  LineReader lines(text);
  std::vector<std::string_view> fields;
  std::string_view line;
  while (lines.next(line)) {
    const LineContext at{path, lines.line_number()};
    split_fields(line, "|", fields);
    require_field_count(at, fields.size(), 5);
    User user;
    user.raw_id = parse_raw_id(at, fields[0], "user");
    register_id(at, ids, user.raw_id);
    user.age = parse_int_field(at, fields[1], "age");
    if (user.age < 0) at.fail("negative age " + std::to_string(user.age));
    user.gender = parse_gender(at, fields[2]);
    const std::string_view occupation = trim_spaces(fields[3]);
    const auto it = std::find(occupations.begin(), occupations.end(), occupation);
    if (it == occupations.end()) at.fail("unknown occupation " + quoted(occupation));
    user.occupation = static_cast<std::int32_t>(it - occupations.begin());
    user.zip = std::string(trim_spaces(fields[4]));
    users.push_back(std::move(user));
  }
}

// The contents of the five files; `dir` only names them in error messages.
struct MovieLens100kText {
  std::string genres, occupations, items, users, ratings;
};

inline MovieLens parse_movielens_100k(const std::filesystem::path& dir,
                                      const MovieLens100kText& text,
                                      const MovieLensOptions& options = {}) {
  MovieLens data;
  data.genre_names = parse_100k_genres(dir / "u.genre", text.genres);
  data.occupations = parse_100k_occupations(dir / "u.occupation", text.occupations);
  DenseIds item_ids("item");
  DenseIds user_ids("user");
  parse_100k_items(dir / "u.item", text.items, data.genre_names.size(), data.movies, item_ids);
  parse_100k_users(dir / "u.user", text.users, data.occupations, data.users, user_ids);
  parse_rating_lines(dir / "u.data", text.ratings, "\t", user_ids, item_ids, options.unknown_ids,
                     data);
  return data;
}

}  // namespace detail

// Loads the MovieLens 100K release from `dir` (the unpacked ml-100k folder).
// Throws io_error naming file:line for a malformed line, and for a rating whose
// user or item is not in u.user / u.item unless options.unknown_ids is skip.
inline MovieLens load_movielens_100k(const std::filesystem::path& dir,
                                     const MovieLensOptions& options = {}) {
  using detail::read_whole_file;
  return detail::parse_movielens_100k(
      dir, {read_whole_file(dir / "u.genre"), read_whole_file(dir / "u.occupation"),
            read_whole_file(dir / "u.item"), read_whole_file(dir / "u.user"),
            read_whole_file(dir / "u.data")},
      options);
}

}  // namespace adaptrec::data
