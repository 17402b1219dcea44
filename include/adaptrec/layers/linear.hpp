#pragma once
// Fully connected layer y = x W^T + b, with W stored [out, in] as in PyTorch
// and Hugging Face checkpoints (names `weight`, `bias`).
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>

#include <cmath>
#include <string>

namespace adaptrec::layers {

template <class T = float>
class Linear : public TrainingMode {
 public:
  using scalar_type = T;
  using input_type = Tensor<T>;
  using output_type = Tensor<T>;

  // Weights and bias uniform in +-1/sqrt(in), PyTorch's default for nn.Linear.
  Linear(index_t in_features, index_t out_features, Rng& rng, bool with_bias = true)
      : weight_(Shape{out_features, in_features}), has_bias_(with_bias) {
    const T bound = T(1) / std::sqrt(T(in_features > 0 ? in_features : 1));
    fill_uniform(weight_.value, -bound, bound, rng);
    if (has_bias_) {
      bias_ = Parameter<T>(Shape{out_features});
      fill_uniform(bias_.value, -bound, bound, rng);
    }
  }

  index_t in_features() const { return weight_.shape()[1]; }
  index_t out_features() const { return weight_.shape()[0]; }
  bool has_bias() const { return has_bias_; }
  Parameter<T>& weight() { return weight_; }
  Parameter<T>& bias() { return bias_; }

  // x: [..., in] -> [..., out]
  Tensor<T> forward(const Tensor<T>& x) {
    if (x.rank() < 1 || x.cols() != in_features())
      throw shape_error("adaptrec::layers::Linear: input of shape " + x.shape().to_string() +
                        " does not end in in_features=" + std::to_string(in_features()));
    input_ = x;
    Shape out_shape = x.shape();
    out_shape[out_shape.rank() - 1] = out_features();
    Tensor<T> y(out_shape);
    backend::gemm(x, backend::Trans::no, weight_.value, backend::Trans::yes, y);
    if (has_bias_) backend::add_row_vector(y, bias_.value);
    return y;
  }

  // dy: [..., out] -> dx: [..., in]; dW += dy^T x, db += column sums of dy.
  Tensor<T> backward(const Tensor<T>& dy) {
    if (dy.rows() != input_.rows() || dy.cols() != out_features())
      throw shape_error("adaptrec::layers::Linear::backward: gradient of shape " +
                        dy.shape().to_string() + " does not match the forward output");
    if (weight_.trainable)
      backend::gemm(dy, backend::Trans::yes, input_, backend::Trans::no, weight_.grad, T(1), T(1));
    if (has_bias_ && bias_.trainable) backend::accumulate_column_sums(dy, bias_.grad);
    Tensor<T> dx(input_.shape());
    backend::gemm(dy, backend::Trans::no, weight_.value, backend::Trans::no, dx);
    return dx;
  }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    f(join_name(prefix, "weight"), weight_);
    if (has_bias_) f(join_name(prefix, "bias"), bias_);
  }

 private:
  Parameter<T> weight_;
  Parameter<T> bias_;
  bool has_bias_;
  Tensor<T> input_;
};

}  // namespace adaptrec::layers
