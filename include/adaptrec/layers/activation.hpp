#pragma once
// Element-wise activations as parameter-free modules: ReLU, GELU (exact erf
// form), Tanh, Sigmoid chosen at compile time, and DynamicActivation when the
// choice comes from a configuration at run time (as in MLP).
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>

#include <string>

namespace adaptrec::layers {

namespace detail {

// Keeps the input and output of the last forward: the derivative of ReLU and
// GELU needs x, that of tanh and sigmoid is cheaper from y.
template <class T>
class ActivationCache {
 protected:
  Tensor<T> run_forward(backend::Activation kind, const Tensor<T>& x) {
    input_ = x;
    output_ = Tensor<T>(x.shape());
    backend::activation_forward(kind, x, output_);
    return output_;
  }

  Tensor<T> run_backward(backend::Activation kind, const Tensor<T>& dy) const {
    if (!(dy.shape() == input_.shape()))
      throw shape_error(std::string("adaptrec::layers::") + backend::to_string(kind) +
                        " backward: gradient of shape " + dy.shape().to_string() +
                        " does not match the forward input " + input_.shape().to_string());
    Tensor<T> dx(input_.shape());
    backend::activation_backward(kind, input_, output_, dy, dx);
    return dx;
  }

 private:
  Tensor<T> input_;
  Tensor<T> output_;
};

}  // namespace detail

template <class T, backend::Activation A>
class ActivationLayer : public TrainingMode, private detail::ActivationCache<T> {
 public:
  using scalar_type = T;
  using input_type = Tensor<T>;
  using output_type = Tensor<T>;
  static constexpr backend::Activation kind = A;

  Tensor<T> forward(const Tensor<T>& x) { return this->run_forward(A, x); }
  Tensor<T> backward(const Tensor<T>& dy) { return this->run_backward(A, dy); }

  template <class F>
  void visit_parameters(F&&, const std::string&) {}
};

template <class T = float>
using ReLU = ActivationLayer<T, backend::Activation::relu>;
template <class T = float>
using GELU = ActivationLayer<T, backend::Activation::gelu>;
template <class T = float>
using Tanh = ActivationLayer<T, backend::Activation::tanh>;
template <class T = float>
using Sigmoid = ActivationLayer<T, backend::Activation::sigmoid>;
template <class T = float>
using Identity = ActivationLayer<T, backend::Activation::identity>;

template <class T = float>
class DynamicActivation : public TrainingMode, private detail::ActivationCache<T> {
 public:
  using scalar_type = T;
  using input_type = Tensor<T>;
  using output_type = Tensor<T>;

  explicit DynamicActivation(backend::Activation kind) : kind_(kind) {}

  backend::Activation kind() const { return kind_; }
  Tensor<T> forward(const Tensor<T>& x) { return this->run_forward(kind_, x); }
  Tensor<T> backward(const Tensor<T>& dy) { return this->run_backward(kind_, dy); }

  template <class F>
  void visit_parameters(F&&, const std::string&) {}

 private:
  backend::Activation kind_;
};

}  // namespace adaptrec::layers
