#pragma once
// Hand-built double parameters for optimizer tests.
#include <adaptrec/core/parameter.hpp>

#include <vector>

namespace adaptrec_test {

// A parameter of `shape` holding `values`, with a zero gradient.
inline adaptrec::Parameter<double> make_parameter(const adaptrec::Shape& shape,
                                                  const std::vector<double>& values) {
  adaptrec::Parameter<double> p(shape);
  p.value = adaptrec::Tensor<double>(shape, values);
  return p;
}

// A parameter of `shape` with zero values and gradient `grad`.
inline adaptrec::Parameter<double> make_gradient(const adaptrec::Shape& shape,
                                                 const std::vector<double>& grad) {
  adaptrec::Parameter<double> p(shape);
  p.grad = adaptrec::Tensor<double>(shape, grad);
  return p;
}

// Overwrites the gradient of `p`, keeping its shape.
inline void set_grad(adaptrec::Parameter<double>& p, const std::vector<double>& grad) {
  p.grad = adaptrec::Tensor<double>(p.shape(), grad);
}

}  // namespace adaptrec_test
