#pragma once
// Seeded draws that give the same numbers with every standard library:
// std::mt19937_64's output is fixed by the standard, but std::shuffle and the
// std::*_distribution classes are implementation-defined, so splits and epochs
// would otherwise differ between libstdc++ and libc++.
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/random.hpp>

#include <cstddef>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

namespace adaptrec::data {

// Uniform in [0, bound). Rejecting the lowest 2^64 mod bound raw values removes
// the modulo bias (the arc4random_uniform construction).
inline std::uint64_t uniform_below(Rng& rng, std::uint64_t bound) {
  if (bound == 0) throw invalid_argument("uniform_below: empty range");
  const std::uint64_t threshold = (0 - bound) % bound;
  while (true) {
    const std::uint64_t r = rng();
    if (r >= threshold) return r % bound;
  }
}

// Uniform in [0, 1) with 53 random bits, the precision of a double.
inline double uniform_unit(Rng& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

// A Fisher-Yates permutation of 0..n-1 (Knuth, TAOCP vol. 2, Algorithm 3.4.2P).
inline void shuffle_in_place(std::vector<std::size_t>& values, Rng& rng) {
  for (std::size_t i = values.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(uniform_below(rng, i));
    std::swap(values[i - 1], values[j]);
  }
}

inline std::vector<std::size_t> shuffled_indices(std::size_t n, std::uint64_t seed) {
  std::vector<std::size_t> indices(n);
  std::iota(indices.begin(), indices.end(), std::size_t{0});
  Rng rng(seed);
  shuffle_in_place(indices, rng);
  return indices;
}

}  // namespace adaptrec::data
