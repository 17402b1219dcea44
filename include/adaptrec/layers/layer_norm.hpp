#pragma once
// Layer normalisation over the last dimension (Ba, Kiros & Hinton, 2016):
// y = (x - mean) / sqrt(var + eps) * weight + bias, with the biased variance
// and PyTorch's parameter names (`weight` = gamma, `bias` = beta).
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>

#include <cmath>
#include <string>
#include <utility>

namespace adaptrec::layers {

template <class T = float>
class LayerNorm : public TrainingMode {
 public:
  using scalar_type = T;
  using input_type = Tensor<T>;
  using output_type = Tensor<T>;

  explicit LayerNorm(index_t dim, T eps = T(1e-5)) : eps_(eps) {
    if (dim <= 0)
      throw invalid_argument("adaptrec::layers::LayerNorm: dim must be positive, got " +
                             std::to_string(dim));
    if (!(eps >= T(0)) || std::isinf(eps))
      throw invalid_argument("adaptrec::layers::LayerNorm: eps must be finite and >= 0, got " +
                             std::to_string(eps));
    weight_ = Parameter<T>(Shape{dim});
    weight_.value.fill(T(1));
    bias_ = Parameter<T>(Shape{dim});
  }

  index_t dim() const { return weight_.shape()[0]; }
  T eps() const { return eps_; }
  Parameter<T>& weight() { return weight_; }
  Parameter<T>& bias() { return bias_; }

  // x: [..., dim] -> [..., dim]
  // Backward needs x: it is copied, or moved in when given as an rvalue.
  Tensor<T> forward(const Tensor<T>& x) { return forward(Tensor<T>(x)); }
  Tensor<T> forward(Tensor<T>&& x) {
    if (x.rank() < 1 || x.cols() != dim())
      throw shape_error("adaptrec::layers::LayerNorm: input of shape " + x.shape().to_string() +
                        " does not end in dim=" + std::to_string(dim()));
    input_ = std::move(x);
    mean_ = Tensor<T>::uninitialized(Shape{input_.rows()});
    rstd_ = Tensor<T>::uninitialized(Shape{input_.rows()});
    auto y = Tensor<T>::uninitialized(input_.shape());
    backend::layer_norm_forward(input_, weight_.value, bias_.value, eps_, y, mean_, rstd_);
    return y;
  }

  // dy: [..., dim] -> dx; weight.grad and bias.grad accumulate when trainable.
  Tensor<T> backward(const Tensor<T>& dy) {
    require_shape(dy, input_.shape(), "adaptrec::layers::LayerNorm::backward");
    auto dx = Tensor<T>::uninitialized(input_.shape());
    // The backend always accumulates both parameter gradients; frozen ones go
    // to scratch so their .grad stays untouched.
    Tensor<T> scratch_weight, scratch_bias;
    if (!weight_.trainable) scratch_weight = Tensor<T>(weight_.shape());
    if (!bias_.trainable) scratch_bias = Tensor<T>(bias_.shape());
    backend::layer_norm_backward(input_, weight_.value, mean_, rstd_, dy, dx,
                                 weight_.trainable ? weight_.grad : scratch_weight,
                                 bias_.trainable ? bias_.grad : scratch_bias);
    return dx;
  }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    f(join_name(prefix, "weight"), weight_);
    f(join_name(prefix, "bias"), bias_);
  }

 private:
  Parameter<T> weight_;
  Parameter<T> bias_;
  T eps_;
  Tensor<T> input_;
  Tensor<T> mean_;
  Tensor<T> rstd_;
};

}  // namespace adaptrec::layers
