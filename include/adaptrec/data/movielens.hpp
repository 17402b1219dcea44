#pragma once
// MovieLens loaders: load_movielens(dir) picks the 100K or 1M reader from the
// files present in `dir`.
#include <adaptrec/data/movielens_100k.hpp>
#include <adaptrec/data/movielens_1m.hpp>
#include <adaptrec/data/movielens_dataset.hpp>

#include <filesystem>

namespace adaptrec::data {

inline MovieLens load_movielens(const std::filesystem::path& dir,
                                const MovieLensOptions& options = {}) {
  if (std::filesystem::exists(dir / "u.data")) return load_movielens_100k(dir, options);
  if (std::filesystem::exists(dir / "ratings.dat")) return load_movielens_1m(dir, options);
  throw io_error("load_movielens: " + dir.string() +
                 " holds neither u.data (MovieLens 100K) nor ratings.dat (MovieLens 1M)");
}

}  // namespace adaptrec::data
