#pragma once
// How the MovieLens examples turn users and movies into categorical features.
// Both examples (and their benchmarks) share this so they see identical inputs.
#include <adaptrec/data/movielens.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace examples {

// The seven age groups of the MovieLens 1M release (under 18, 18-24, 25-34,
// 35-44, 45-49, 50-55, 56+), applied to 100K's exact ages too.
inline constexpr std::int64_t age_buckets = 7;
inline std::int64_t age_bucket(std::int32_t age) {
  const int bounds[] = {18, 25, 35, 45, 50, 56};
  std::int64_t b = 0;
  while (b < 6 && age >= bounds[b]) ++b;
  return b;
}

// Release year in five-year buckets from 1920 (bucket 1) to 2005+; 0 = unknown.
inline constexpr std::int64_t year_buckets = 19;
inline std::int64_t year_bucket(std::int32_t year) {
  if (year <= 0) return 0;
  return 1 + std::clamp<std::int64_t>((year - 1920) / 5, 0, year_buckets - 2);
}

inline std::int64_t gender_id(char gender) { return gender == 'F' ? 1 : 0; }

}  // namespace examples
