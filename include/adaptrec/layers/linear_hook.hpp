#pragma once
// The point where parameter-efficient methods plug into a Linear layer.
//
// A hook sees the layer's input x and its output y = x W^T + b, and changes y:
// LoRA adds a low-rank term computed from x, a bottleneck adapter adds a small
// network of y. The frozen layer neither knows nor cares which; the hook's
// parameters are visited under the layer's name (`query.lora_A.weight`), so
// optimizers, counts and checkpoints see them like any other parameter.
//
// Hooks are owned by the method that made them (peft/); the layer keeps a
// plain pointer, so a hook must outlive its attachment (peft::Adapted owns
// the backbone and the method together for that reason).
#include <adaptrec/core/parameter.hpp>

#include <functional>
#include <string>

namespace adaptrec::layers {

template <class T>
using ParameterVisitor = std::function<void(const std::string&, Parameter<T>&)>;

template <class T>
struct LinearHookGradient {
  // Gradient with respect to the frozen layer's own output (x W^T + b); empty
  // when it equals the gradient of the adapted output (additive hooks of x).
  Tensor<T> d_base_output;
  // The hook's contribution to the gradient of x; empty when there is none.
  Tensor<T> d_input;
};

template <class T>
class LinearHook {
 public:
  virtual ~LinearHook() = default;

  // x: [..., in], y: [..., out] holding x W^T + b on entry, adapted on exit.
  virtual void forward(const Tensor<T>& x, Tensor<T>& y) = 0;
  // dy: gradient of the adapted output; accumulates the hook's parameter
  // gradients (when trainable).
  virtual LinearHookGradient<T> backward(const Tensor<T>& dy) = 0;

  virtual void visit_parameters(const ParameterVisitor<T>& visit, const std::string& prefix) = 0;
  virtual void train(bool on) = 0;

  // Methods whose update is linear in W (LoRA, AdaLoRA) can fold it into the
  // weight for serving at no extra cost; forward then adds nothing.
  virtual bool mergeable() const { return false; }
  virtual void merge_into(Tensor<T>& /*weight*/) {}
  virtual void unmerge_from(Tensor<T>& /*weight*/) {}
  virtual bool merged() const { return false; }
};

}  // namespace adaptrec::layers
