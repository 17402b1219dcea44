#pragma once
// Element-wise activations as parameter-free modules: ReLU, GELU (exact erf
// form), Tanh, Sigmoid chosen at compile time, and DynamicActivation when the
// choice comes from a configuration at run time (as in MLP).
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>

#include <string>
#include <utility>

namespace adaptrec::layers {

namespace detail {

// Keeps the one tensor backward needs: the derivatives of tanh and sigmoid
// come from y, those of GELU from x (ReLU's from either: x > 0 exactly where
// y > 0). The backend kernel reads only the argument its derivative uses, so
// the kept tensor is passed as both.
template <class T>
class ActivationCache {
 protected:
  // X is const Tensor<T>& (x is copied when kept) or Tensor<T> (moved in).
  template <class X>
  Tensor<T> run_forward(backend::Activation kind, X&& x) {
    auto y = Tensor<T>::uninitialized(x.shape());
    backend::activation_forward(kind, x, y);
    if (kind == backend::Activation::tanh || kind == backend::Activation::sigmoid)
      saved_ = y;
    else
      saved_ = std::forward<X>(x);
    return y;
  }

  Tensor<T> run_backward(backend::Activation kind, const Tensor<T>& dy) const {
    if (!(dy.shape() == saved_.shape()))
      throw shape_error(std::string("adaptrec::layers::") + backend::to_string(kind) +
                        " backward: gradient of shape " + dy.shape().to_string() +
                        " does not match the forward input " + saved_.shape().to_string());
    auto dx = Tensor<T>::uninitialized(saved_.shape());
    backend::activation_backward(kind, saved_, saved_, dy, dx);
    return dx;
  }

 private:
  Tensor<T> saved_;  // y for tanh and sigmoid, x otherwise
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
  Tensor<T> forward(Tensor<T>&& x) { return this->run_forward(A, std::move(x)); }
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
  Tensor<T> forward(Tensor<T>&& x) { return this->run_forward(kind_, std::move(x)); }
  Tensor<T> backward(const Tensor<T>& dy) { return this->run_backward(kind_, dy); }

  template <class F>
  void visit_parameters(F&&, const std::string&) {}

 private:
  backend::Activation kind_;
};

}  // namespace adaptrec::layers
