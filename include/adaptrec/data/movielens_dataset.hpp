#pragma once
// The in-memory form of a MovieLens release (100K or 1M), whatever its file
// layout. Users and items are dense 0-based indices in the order of the user and
// item files; raw ids stay on the User and Movie records.
#include <adaptrec/core/error.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace adaptrec::data {

struct Rating {
  std::int32_t user;  // dense index into MovieLens::users
  std::int32_t item;  // dense index into MovieLens::movies
  float rating;
  std::int64_t timestamp;  // seconds since the Unix epoch
};

struct Movie {
  std::int32_t raw_id;
  std::string title;  // UTF-8, without the trailing " (year)"
  std::int32_t year;  // 0 when unknown
  std::vector<std::int32_t> genres;  // indices into MovieLens::genre_names, ascending
};

struct User {
  std::int32_t raw_id;
  // 100K: the age in years. 1M: the release's age-group code (1 = under 18,
  // 18 = 18-24, 25, 35, 45, 50, 56 = 56+), each the group's lower bound.
  std::int32_t age;
  char gender;  // 'M' or 'F'
  std::int32_t occupation;  // index into MovieLens::occupations
  std::string zip;  // as written: not every zip code is numeric
};

// What a loader does with a rating whose user or item is missing from the user
// or item file: a corrupt or mismatched release is an error by default; `skip`
// serves item files filtered on purpose, and counts what it dropped.
enum class UnknownIdPolicy { error, skip };

struct MovieLensOptions {
  UnknownIdPolicy unknown_ids = UnknownIdPolicy::error;
};

struct MovieLens {
  std::vector<Rating> ratings;  // in file order
  std::size_t skipped_ratings = 0;  // dropped under UnknownIdPolicy::skip
  std::vector<Movie> movies;
  std::vector<User> users;
  std::vector<std::string> genre_names;
  std::vector<std::string> occupations;

  std::int32_t num_users() const { return static_cast<std::int32_t>(users.size()); }
  std::int32_t num_items() const { return static_cast<std::int32_t>(movies.size()); }

  // A one-line description for text encoders:
  // "Toy Story (1995) | Animation, Children's, Comedy".
  std::string item_text(std::int32_t item) const {
    if (item < 0 || item >= num_items())
      throw index_error("MovieLens::item_text: item " + std::to_string(item) +
                        " out of range [0, " + std::to_string(num_items()) + ")");
    const Movie& movie = movies[static_cast<std::size_t>(item)];
    std::string text = movie.title;
    if (movie.year != 0) text += " (" + std::to_string(movie.year) + ")";
    for (std::size_t g = 0; g < movie.genres.size(); ++g) {
      text += g == 0 ? " | " : ", ";
      text += genre_names.at(static_cast<std::size_t>(movie.genres[g]));
    }
    return text;
  }
};

}  // namespace adaptrec::data
