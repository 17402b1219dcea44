#pragma once
// MovieLens 1M (GroupLens, 2003): the '::'-separated .dat files.
//   movies.dat   MovieID::Title (year)::Genre|Genre|...
//   users.dat    UserID::Gender::Age::Occupation::Zip-code   (age and occupation are codes)
//   ratings.dat  UserID::MovieID::Rating::Timestamp
// movies.dat is ISO-8859-1; its titles are converted to UTF-8. The genre and
// occupation names, and the age codes, are those of the release's README.
#include <adaptrec/data/movielens_dataset.hpp>
#include <adaptrec/data/movielens_fields.hpp>
#include <adaptrec/data/text_parsing.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace adaptrec::data {

namespace detail {

inline const std::vector<std::string>& movielens_1m_genres() {
  static const std::vector<std::string> names = {
      "Action", "Adventure", "Animation", "Children's", "Comedy",   "Crime",
      "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical",
      "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western"};
  return names;
}

// Indexed by the occupation code 0-20 of users.dat.
inline const std::vector<std::string>& movielens_1m_occupations() {
  static const std::vector<std::string> names = {
      "other", "academic/educator", "artist", "clerical/admin", "college/grad student",
      "customer service", "doctor/health care", "executive/managerial", "farmer", "homemaker",
      "K-12 student", "lawyer", "programmer", "retired", "sales/marketing", "scientist",
      "self-employed", "technician/engineer", "tradesman/craftsman", "unemployed", "writer"};
  return names;
}

// Age groups are coded by their lower bound: 1 = "Under 18", 56 = "56+".
inline constexpr std::array<std::int32_t, 7> movielens_1m_age_codes = {1, 18, 25, 35, 45, 50, 56};

inline void parse_1m_movies(const std::filesystem::path& path, std::string_view text,
                            std::vector<Movie>& movies, DenseIds& ids) {
  const std::vector<std::string>& genre_names = movielens_1m_genres();
  LineReader lines(text);
  std::vector<std::string_view> fields;
  std::vector<std::string_view> genres;
  std::string_view line;
  while (lines.next(line)) {
    const LineContext at{path, lines.line_number()};
    split_fields(line, "::", fields);
    require_field_count(at, fields.size(), 3);
    Movie movie;
    movie.raw_id = parse_raw_id(at, fields[0], "item");
    register_id(at, ids, movie.raw_id);
    auto [title, year] = split_title_year(fields[1]);
    movie.title = std::move(title);
    movie.year = year;
    const std::string_view genre_field = trim_spaces(fields[2]);
    // Later MovieLens releases spell an empty genre list "(no genres listed)".
    if (!genre_field.empty() && genre_field != "(no genres listed)") {
      split_fields(genre_field, "|", genres);
      for (const std::string_view name : genres) {
        const auto it = std::find(genre_names.begin(), genre_names.end(), name);
        if (it == genre_names.end()) at.fail("unknown genre " + quoted(name));
        movie.genres.push_back(static_cast<std::int32_t>(it - genre_names.begin()));
      }
      std::sort(movie.genres.begin(), movie.genres.end());
      movie.genres.erase(std::unique(movie.genres.begin(), movie.genres.end()), movie.genres.end());
    }
    movies.push_back(std::move(movie));
  }
}

inline void parse_1m_users(const std::filesystem::path& path, std::string_view text,
                           std::vector<User>& users, DenseIds& ids) {
  const auto num_occupations = static_cast<std::int32_t>(movielens_1m_occupations().size());
  LineReader lines(text);
  std::vector<std::string_view> fields;
  std::string_view line;
  while (lines.next(line)) {
    const LineContext at{path, lines.line_number()};
    split_fields(line, "::", fields);
    require_field_count(at, fields.size(), 5);
    User user;
    user.raw_id = parse_raw_id(at, fields[0], "user");
    register_id(at, ids, user.raw_id);
    user.gender = parse_gender(at, fields[1]);
    user.age = parse_int_field(at, fields[2], "age code");
    if (std::find(movielens_1m_age_codes.begin(), movielens_1m_age_codes.end(), user.age) ==
        movielens_1m_age_codes.end())
      at.fail("age code " + std::to_string(user.age) + " is not one of 1, 18, 25, 35, 45, 50, 56");
    user.occupation = parse_int_field(at, fields[3], "occupation code");
    if (user.occupation < 0 || user.occupation >= num_occupations)
      at.fail("occupation code " + std::to_string(user.occupation) + " outside [0, 20]");
    user.zip = std::string(trim_spaces(fields[4]));
    users.push_back(std::move(user));
  }
}

// The contents of the three files; `dir` only names them in error messages.
struct MovieLens1mText {
  std::string movies, users, ratings;
};

inline MovieLens parse_movielens_1m(const std::filesystem::path& dir, const MovieLens1mText& text,
                                    const MovieLensOptions& options = {}) {
  MovieLens data;
  data.genre_names = movielens_1m_genres();
  data.occupations = movielens_1m_occupations();
  DenseIds item_ids("item");
  DenseIds user_ids("user");
  parse_1m_movies(dir / "movies.dat", text.movies, data.movies, item_ids);
  parse_1m_users(dir / "users.dat", text.users, data.users, user_ids);
  parse_rating_lines(dir / "ratings.dat", text.ratings, "::",
                     user_ids, item_ids, options.unknown_ids, data);
  return data;
}

}  // namespace detail

// Loads the MovieLens 1M release from `dir` (the unpacked ml-1m folder).
// Throws io_error naming file:line for a malformed line, and for a rating whose
// user or item is not in users.dat / movies.dat unless options.unknown_ids is skip.
inline MovieLens load_movielens_1m(const std::filesystem::path& dir,
                                   const MovieLensOptions& options = {}) {
  using detail::read_whole_file;
  return detail::parse_movielens_1m(dir, {read_whole_file(dir / "movies.dat"),
                                          read_whole_file(dir / "users.dat"),
                                          read_whole_file(dir / "ratings.dat")},
                                    options);
}

}  // namespace adaptrec::data
