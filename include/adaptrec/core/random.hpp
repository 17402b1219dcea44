#pragma once
// Seeded randomness. Modules never own a hidden global generator: initialisers
// take an Rng&, and stochastic layers (Dropout) own one seeded by the user.
#include <adaptrec/core/tensor.hpp>

#include <cstdint>
#include <random>

namespace adaptrec {

using Rng = std::mt19937_64;

template <class T>
void fill_uniform(Tensor<T>& t, T low, T high, Rng& rng) {
  std::uniform_real_distribution<double> dist(static_cast<double>(low), static_cast<double>(high));
  for (T& v : t) v = static_cast<T>(dist(rng));
}

template <class T>
void fill_normal(Tensor<T>& t, T mean, T stddev, Rng& rng) {
  std::normal_distribution<double> dist(static_cast<double>(mean), static_cast<double>(stddev));
  for (T& v : t) v = static_cast<T>(dist(rng));
}

}  // namespace adaptrec
