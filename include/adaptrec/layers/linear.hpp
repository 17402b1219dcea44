#pragma once
// Fully connected layer y = x W^T + b, with W stored [out, in] as in PyTorch
// and Hugging Face checkpoints (names `weight`, `bias`). A LinearHook (LoRA,
// an adapter) may be attached to adapt the output of a frozen layer.
//
// set_precision(bf16 or int8, or fp32 on oneDNN's reordered layout) packs the
// weight once (backend/packed_weight.hpp); forward then multiplies the packed
// copy whenever the weight cannot change under it: while the weight is
// frozen, or in eval mode. The copy is remade on set_precision, merge_hook,
// unmerge_hook and on entering eval mode; change `weight().value` by hand
// only before set_precision (or call it again). Backward always uses the
// float weight.
//
// In a bf16 backend::ComputePrecisionScope (mixed-precision training, or
// bf16 for one call), the forward and backward GEMMs round their inputs to
// bfloat16; the weight, its gradient and the optimizer's state stay float32.
// A weight that cannot change (frozen, or eval mode) is rounded once and the
// copy kept, under the same rule as set_precision's.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/layers/linear_hook.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
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

  // The attached hook, or null. The layer does not own it.
  LinearHook<T>* hook() const { return hook_; }
  void attach_hook(LinearHook<T>* hook) {
    if (hook_ && hook && hook_ != hook)
      throw invalid_argument(
          "adaptrec::layers::Linear::attach_hook: a hook is already attached; detach it first");
    hook_ = hook;
    if (hook_) hook_->train(is_training());
  }
  void detach_hook() { hook_ = nullptr; }

  // Packs the weight for `precision` (see the top of this file). For int8
  // with calibrated activations and no range given, the range observed
  // since observe_input_range(true) is used.
  void set_precision(backend::Precision precision, backend::Int8Options int8 = {},
                     const std::string& name = "Linear") {
    if (precision == backend::Precision::int8 &&
        int8.activations == backend::ActivationScaling::calibrated &&
        !int8.calibrated_input_range) {
      if (!observed_input_range_)
        throw invalid_argument("adaptrec::layers::Linear::set_precision: " + name +
                               ": calibrated int8 needs an input range; run forwards with "
                               "observe_input_range(true) first, or give one");
      int8.calibrated_input_range = observed_input_range_;
    }
    packed_ = backend::PackedWeight<T>(weight_.value, precision, int8, name);
    scoped_bf16_ = backend::PackedWeight<T>();
    packed_name_ = name;
    int8_options_ = int8;
  }
  // Back to the float training path.
  void clear_precision() {
    packed_ = backend::PackedWeight<T>();
    scoped_bf16_ = backend::PackedWeight<T>();
  }
  bool has_packed_weight() const { return !packed_.empty(); }
  backend::Precision precision() const {
    return packed_.empty() ? backend::Precision::fp32 : packed_.precision();
  }
  const backend::PackedWeight<T>& packed_weight() const { return packed_; }

  // While on, forward records the range of its inputs, for calibrated int8.
  void observe_input_range(bool on) {
    observing_ = on;
    if (on) observed_input_range_.reset();
  }
  // Empty until a forward observed an input.
  const std::optional<backend::InputRange>& observed_input_range() const {
    return observed_input_range_;
  }

  // Folds a mergeable hook (LoRA) into the weight; forward then runs the plain
  // layer. unmerge_hook restores the weight.
  void merge_hook() {
    if (!hook_ || !hook_->mergeable())
      throw invalid_argument("adaptrec::layers::Linear::merge_hook: no mergeable hook attached");
    if (!hook_->merged()) hook_->merge_into(weight_.value);
    repack();
  }
  void unmerge_hook() {
    if (hook_ && hook_->merged()) {
      hook_->unmerge_from(weight_.value);
      repack();
    }
  }

  // x: [..., in] -> [..., out]. A residual (shaped like the output) is added
  // after the hook, in the GEMM's epilogue when no hook is attached; its
  // gradient is the caller's (dy itself).
  Tensor<T> forward(const Tensor<T>& x, const Tensor<T>* residual = nullptr) {
    auto y = Tensor<T>::uninitialized(begin_forward(x));
    // Only dW needs x; a frozen layer keeps its shape alone.
    if (weight_.trainable) input_ = x;
    if (observing_) observe(x);
    const Tensor<T>* bias = has_bias_ ? &bias_.value : nullptr;
    const Tensor<T>* fused_residual = hook_ ? nullptr : residual;
    if (const auto* packed = packed_for_call())
      backend::packed_linear(x, *packed, y, {.bias = bias, .residual = fused_residual});
    else
      backend::gemm(x, backend::Trans::no, weight_.value, backend::Trans::yes, y,
                    {.bias = bias, .residual = fused_residual});
    if (hook_) hook_->forward(x, y);
    if (residual && !fused_residual) backend::axpy(T(1), *residual, y);
    return y;
  }

  // Inference only: activation(x W^T + b) + residual in one pass where the
  // kernel can fuse it (no hook attached), else in steps.
  Tensor<T> forward_fused(const Tensor<T>& x, backend::Activation activation,
                          const Tensor<T>* residual = nullptr) {
    if (is_training())
      throw error("adaptrec::layers::Linear::forward_fused: inference only; use forward in training");
    if (hook_ || observing_) {
      Tensor<T> y = forward(x);
      if (activation != backend::Activation::identity) backend::activation_forward(activation, y, y);
      if (residual) backend::axpy(T(1), *residual, y);
      return y;
    }
    auto y = Tensor<T>::uninitialized(begin_forward(x));
    const Tensor<T>* bias = has_bias_ ? &bias_.value : nullptr;
    if (const auto* packed = packed_for_call())
      backend::packed_linear(x, *packed, y,
                             {.bias = bias, .activation = activation, .residual = residual});
    else
      backend::gemm(x, backend::Trans::no, weight_.value, backend::Trans::yes, y,
                    {.bias = bias, .activation = activation, .residual = residual});
    return y;
  }

  // dy: [..., out] -> dx: [..., in]; dW += dy^T x, db += column sums of dy.
  // With InputGradient::skipped, dx is neither computed nor returned.
  Tensor<T> backward(const Tensor<T>& dy, InputGradient input_gradient = InputGradient::needed) {
    LinearHookGradient<T> hooked = parameter_backward(dy);
    if (input_gradient == InputGradient::skipped) return Tensor<T>{};
    auto dx = Tensor<T>::uninitialized(input_shape_);
    input_backward(hooked.d_base_output.empty() ? dy : hooked.d_base_output, T(0), dx);
    if (!hooked.d_input.empty()) backend::axpy(T(1), hooked.d_input, dx);
    return dx;
  }

  // The same gradients, with dx added to `dx_sum` (of the input's shape)
  // instead of returned: where several branches meet (a residual
  // connection, query/key/value reading one input), the GEMM sums into the
  // running total and no separate dx is made. dx_sum may be dy itself (a
  // square layer); dy is then copied first, as the GEMM may not read what it
  // writes.
  void backward_accumulate(const Tensor<T>& dy, Tensor<T>& dx_sum) {
    require_shape(dx_sum, input_shape_, "adaptrec::layers::Linear::backward_accumulate (dx_sum)");
    LinearHookGradient<T> hooked = parameter_backward(dy);
    if (!hooked.d_base_output.empty()) {
      input_backward(hooked.d_base_output, T(1), dx_sum);
    } else if (&dy == &dx_sum) {
      const Tensor<T> d_base = dy;  // the GEMM must not read what it writes
      input_backward(d_base, T(1), dx_sum);
    } else {
      input_backward(dy, T(1), dx_sum);
    }
    if (!hooked.d_input.empty()) backend::axpy(T(1), hooked.d_input, dx_sum);
  }

  // A hook's parameters follow the layer's own, under the layer's name.
  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    f(join_name(prefix, "weight"), weight_);
    if (has_bias_) f(join_name(prefix, "bias"), bias_);
    if (hook_)
      hook_->visit_parameters(
          [&f](const std::string& name, Parameter<T>& p) { f(name, p); }, prefix);
  }

  void train(bool on = true) {
    // Training may have moved the weight: serve what it is now.
    if (!on && training_ && weight_.trainable) repack();
    training_ = on;
    if (hook_) hook_->train(on);
  }
  void eval() { train(false); }

 private:
  // Checks x, forgets the last call's input and returns the output's shape.
  Shape begin_forward(const Tensor<T>& x) {
    if (x.rank() < 1 || x.cols() != in_features())
      throw shape_error("adaptrec::layers::Linear: input of shape " + x.shape().to_string() +
                        " does not end in in_features=" + std::to_string(in_features()));
    input_shape_ = x.shape();
    input_rows_ = x.rows();
    input_ = Tensor<T>{};
    Shape out_shape = x.shape();
    out_shape[out_shape.rank() - 1] = out_features();
    return out_shape;
  }

  // The hook's backward, then dW and db (when trainable) from the gradient
  // of the base output x W^T + b. Returns the hook's gradients.
  LinearHookGradient<T> parameter_backward(const Tensor<T>& dy) {
    if (dy.rows() != input_rows_ || dy.cols() != out_features())
      throw shape_error("adaptrec::layers::Linear::backward: gradient of shape " +
                        dy.shape().to_string() + " does not match the forward output");
    LinearHookGradient<T> hooked;
    if (hook_) hooked = hook_->backward(dy);
    const Tensor<T>& d_base = hooked.d_base_output.empty() ? dy : hooked.d_base_output;
    if (weight_.trainable) {
      if (input_.empty())
        throw error("adaptrec::layers::Linear::backward: the weight was frozen during forward "
                    "and trainable now; run forward again after changing trainable");
      backend::gemm(d_base, backend::Trans::yes, input_, backend::Trans::no, weight_.grad, T(1),
                    T(1));
    }
    if (has_bias_ && bias_.trainable) backend::accumulate_column_sums(d_base, bias_.grad);
    return hooked;
  }

  // dx = d_base W + beta dx.
  void input_backward(const Tensor<T>& d_base, T beta, Tensor<T>& dx) const {
    backend::gemm(d_base, backend::Trans::no, weight_.value, backend::Trans::no, dx, T(1), beta);
  }

  void observe(const Tensor<T>& x) {
    const auto [low, high] = backend::finite_range(x.data(), x.size(), "the input of " + packed_name_);
    backend::InputRange r = observed_input_range_.value_or(backend::InputRange{});
    r.low = std::min(r.low, static_cast<double>(low));
    r.high = std::max(r.high, static_cast<double>(high));
    observed_input_range_ = r;
  }

  // The packed copy this call multiplies with, or null for the float path.
  // Only while the weight cannot change under it (frozen, or eval mode): the
  // copy set_precision made, or, in a bf16 ComputePrecisionScope without a
  // lower-precision one, a bf16 copy made on first use and kept (the weight
  // converted once, not per call). A forward with the weight trainable in
  // training drops that copy, so one made after later updates is fresh.
  const backend::PackedWeight<T>* packed_for_call() {
    if (weight_.trainable && is_training()) {
      scoped_bf16_ = backend::PackedWeight<T>();
      return nullptr;
    }
    const bool lower = !packed_.empty() && packed_.precision() != backend::Precision::fp32;
    if (lower || backend::compute_precision() != backend::Precision::bf16)
      return packed_.empty() ? nullptr : &packed_;
    if (scoped_bf16_.empty())
      scoped_bf16_ = backend::PackedWeight<T>(weight_.value, backend::Precision::bf16, {},
                                              packed_name_);
    return &scoped_bf16_;
  }
  void repack() {
    scoped_bf16_ = backend::PackedWeight<T>();
    if (!packed_.empty())
      packed_ = backend::PackedWeight<T>(weight_.value, packed_.precision(), int8_options_,
                                         packed_name_);
  }

  Parameter<T> weight_;
  Parameter<T> bias_;
  bool has_bias_;
  LinearHook<T>* hook_ = nullptr;
  Tensor<T> input_;  // empty while the weight is frozen
  Shape input_shape_;
  index_t input_rows_ = -1;  // -1 until the first forward
  backend::PackedWeight<T> packed_;  // empty: the float path
  backend::PackedWeight<T> scoped_bf16_;  // made under a bf16 ComputePrecisionScope
  backend::Int8Options int8_options_;
  std::string packed_name_ = "Linear";
  bool observing_ = false;
  std::optional<backend::InputRange> observed_input_range_;
};

}  // namespace adaptrec::layers
