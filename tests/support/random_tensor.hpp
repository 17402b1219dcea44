#pragma once
// Tensors filled uniformly at random, for kernel and layer tests.
#include <adaptrec/core/random.hpp>
#include <adaptrec/core/tensor.hpp>

namespace adaptrec_test {

// A tensor of `shape` with elements uniform in [low, high).
template <class T>
adaptrec::Tensor<T> random_tensor(const adaptrec::Shape& shape, adaptrec::Rng& rng,
                                  T low = T(-1), T high = T(1)) {
  adaptrec::Tensor<T> t(shape);
  adaptrec::fill_uniform(t, low, high, rng);
  return t;
}

}  // namespace adaptrec_test
