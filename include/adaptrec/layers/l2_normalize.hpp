#pragma once
// Row-wise L2 normalisation y = x / max(||x||, eps): the cosine geometry that
// temperature-scaled sampled-softmax retrieval models train in.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>

#include <string>

namespace adaptrec::layers {

template <class T = float>
class L2Normalize : public TrainingMode {
 public:
  using scalar_type = T;
  using input_type = Tensor<T>;
  using output_type = Tensor<T>;

  explicit L2Normalize(T eps = T(1e-12)) : eps_(eps) {}

  Tensor<T> forward(const Tensor<T>& x) {
    y_ = Tensor<T>(x.shape());
    norms_ = Tensor<T>(Shape{x.rows()});
    backend::l2_normalize(x, eps_, y_, norms_);
    return y_;
  }

  Tensor<T> backward(const Tensor<T>& dy) {
    Tensor<T> dx(dy.shape());
    backend::l2_normalize_backward(y_, norms_, dy, eps_, dx);
    return dx;
  }

  template <class F>
  void visit_parameters(F&&, const std::string&) {}

 private:
  T eps_;
  Tensor<T> y_;
  Tensor<T> norms_;
};

}  // namespace adaptrec::layers
