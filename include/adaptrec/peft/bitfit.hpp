#pragma once
// BitFit (Ben Zaken, Ravfogel & Goldberg, "BitFit: Simple Parameter-efficient
// Fine-tuning for Transformer-based Masked Language-models", ACL 2022, sec.
// 2): freeze every weight of the backbone and train only its bias terms,
// those of the attention projections, the feed-forward layers and the layer
// norms (the layer norms' scales stay frozen). About 0.1% of BERT's
// parameters.
#include <adaptrec/core/module.hpp>
#include <adaptrec/encoders/bert.hpp>

#include <string>

namespace adaptrec::peft {

struct BitFitOptions {
  bool layer_norm_biases = true;
  bool pooler_bias = false;  // the pooler is often not used by a recommender
};

// Freezes everything but the chosen biases; returns how many tensors train.
template <class T>
std::size_t apply_bitfit(encoders::Bert<T>& backbone, const BitFitOptions& options = {}) {
  std::size_t trainable = 0;
  backbone.visit_parameters(
      [&](const std::string& name, Parameter<T>& p) {
        const bool bias = name.ends_with(".bias");
        const bool layer_norm = name.find("LayerNorm") != std::string::npos ||
                                name.find("layer_norm") != std::string::npos;
        const bool pooler = name.starts_with("pooler.");
        p.trainable = bias && (!layer_norm || options.layer_norm_biases) &&
                      (!pooler || options.pooler_bias);
        trainable += p.trainable;
      },
      std::string{});
  return trainable;
}

}  // namespace adaptrec::peft
