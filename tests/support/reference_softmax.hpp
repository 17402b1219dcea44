#pragma once
// Textbook softmax in double, the reference the loss tests compare against.
#include <adaptrec/core/tensor.hpp>

#include <cmath>
#include <cstddef>
#include <vector>

namespace adaptrec_test {

// Row `row` of softmax(x / tau) for a [rows, classes] tensor, as exp / sum exp
// with no shifting: exact enough for moderate logits, and independent of the
// library's stable formulation.
inline std::vector<double> reference_softmax_row(const adaptrec::Tensor<double>& x,
                                                 adaptrec::index_t row, double tau = 1.0) {
  const adaptrec::index_t classes = x.dim(1);
  double z = 0;
  for (adaptrec::index_t c = 0; c < classes; ++c) z += std::exp(x(row, c) / tau);
  std::vector<double> p(static_cast<std::size_t>(classes));
  for (adaptrec::index_t c = 0; c < classes; ++c)
    p[static_cast<std::size_t>(c)] = std::exp(x(row, c) / tau) / z;
  return p;
}

}  // namespace adaptrec_test
