#pragma once
// Which parameters of a pretrained backbone train. Parameter-efficient
// methods freeze the whole backbone and train only their own tensors
// (freeze_backbone); the classic alternatives freeze part of the backbone and
// fine-tune the rest (FreezingPolicy), or train only its biases (BitFit,
// peft/bitfit.hpp).
#include <adaptrec/core/module.hpp>
#include <adaptrec/encoders/bert.hpp>

#include <cstddef>
#include <string>

namespace adaptrec::peft {

// Freezes every backbone parameter, then makes the method's own trainable.
// The method must already be attached, or its parameters would be missed by
// a model-wide optimizer.
template <class T, class Method>
void freeze_backbone(encoders::Bert<T>& backbone, Method& method) {
  set_trainable(backbone, false);
  set_trainable(method, true);
}

struct FreezingPolicy {
  enum class Kind {
    nothing,        // full fine-tuning
    all,            // the backbone is a fixed feature extractor
    embeddings,     // word, position and type embeddings
    bottom_layers,  // embeddings and the first `layers` Transformer layers
  };
  Kind kind = Kind::nothing;
  std::size_t layers = 0;

  static FreezingPolicy nothing() { return {Kind::nothing, 0}; }
  static FreezingPolicy all() { return {Kind::all, 0}; }
  static FreezingPolicy embeddings() { return {Kind::embeddings, 0}; }
  static FreezingPolicy bottom_layers(std::size_t n) { return {Kind::bottom_layers, n}; }

  // Sets every parameter's trainable flag: frozen as the policy says,
  // trainable otherwise (so policies do not accumulate).
  template <class T>
  void apply(encoders::Bert<T>& backbone) const {
    set_trainable(backbone, kind != Kind::all);
    switch (kind) {
      case Kind::nothing:
      case Kind::all:
        return;
      case Kind::embeddings:
        backbone.freeze_embeddings();
        return;
      case Kind::bottom_layers:
        backbone.freeze_bottom_layers(layers);
        return;
    }
  }

  std::string to_string() const {
    switch (kind) {
      case Kind::nothing: return "nothing";
      case Kind::all: return "all";
      case Kind::embeddings: return "embeddings";
      case Kind::bottom_layers: return "bottom_layers:" + std::to_string(layers);
    }
    return "?";
  }
};

}  // namespace adaptrec::peft
