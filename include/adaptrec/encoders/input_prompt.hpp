#pragma once
// The point where prompt tuning (Lester et al., "The Power of Scale for
// Parameter-Efficient Prompt Tuning", EMNLP 2021, sec. 2) plugs into a frozen
// encoder: n trainable soft tokens [n, hidden] in front of every sequence.
//
// encoders::Bert inserts them after its embedding layer (after the embedding
// LayerNorm and dropout), as the first n rows of the first layer's input,
// always attended to; the encoder's output drops them again, so it stays
// aligned with the real tokens and pooling is unchanged. The soft tokens act
// on the tokens only through attention. peft/prompt_tuning.hpp says why there
// rather than among the word embeddings, where Hugging Face PEFT puts them.
//
// A prompt is owned by the method that made it; the model keeps a plain
// pointer and visits the prompt's parameters at its root.
#include <adaptrec/core/tensor.hpp>
#include <adaptrec/layers/linear_hook.hpp>

#include <string>

namespace adaptrec::encoders {

template <class T>
class InputPrompt {
 public:
  virtual ~InputPrompt() = default;

  // The soft tokens [n, hidden] for the forward about to run.
  virtual const Tensor<T>& forward() = 0;
  // Their gradient, summed over the batch; accumulates it (when trainable).
  virtual void backward(const Tensor<T>& d_rows) = 0;
  // Whether a backward pass must reach the first layer for the prompt's sake.
  virtual bool trainable() const = 0;
  virtual void visit_parameters(const layers::ParameterVisitor<T>& visit,
                                const std::string& prefix) = 0;
};

}  // namespace adaptrec::encoders
