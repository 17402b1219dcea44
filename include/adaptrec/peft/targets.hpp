#pragma once
// Which linear layers of a Transformer backbone a method adapts, named as
// Hugging Face PEFT's `target_modules` name them for BERT.
#include <adaptrec/core/error.hpp>
#include <adaptrec/encoders/bert.hpp>
#include <adaptrec/layers/linear.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace adaptrec::peft {

enum class LinearTarget { query, key, value, attention_output, intermediate, output };

inline constexpr LinearTarget all_linear_targets[] = {
    LinearTarget::query,        LinearTarget::key,          LinearTarget::value,
    LinearTarget::attention_output, LinearTarget::intermediate, LinearTarget::output};

// The layer's parameter path below `encoder.layer.N`, as in the checkpoint.
inline std::string_view target_path(LinearTarget target) {
  switch (target) {
    case LinearTarget::query: return "attention.self.query";
    case LinearTarget::key: return "attention.self.key";
    case LinearTarget::value: return "attention.self.value";
    case LinearTarget::attention_output: return "attention.output.dense";
    case LinearTarget::intermediate: return "intermediate.dense";
    case LinearTarget::output: return "output.dense";
  }
  throw invalid_argument("adaptrec::peft::target_path: unknown target");
}

// Accepts the short names users write ("query", "value", "intermediate") and
// the full paths above.
inline LinearTarget target_from_name(std::string_view name) {
  for (LinearTarget t : all_linear_targets) {
    const std::string_view path = target_path(t);
    const std::string_view last = path.substr(path.rfind('.') + 1);
    if (name == path) return t;
    if (t != LinearTarget::attention_output && t != LinearTarget::intermediate &&
        t != LinearTarget::output && name == last)
      return t;
  }
  if (name == "attention_output") return LinearTarget::attention_output;
  if (name == "intermediate") return LinearTarget::intermediate;
  if (name == "output") return LinearTarget::output;
  throw invalid_argument("adaptrec::peft::target_from_name: unknown target '" + std::string(name) +
                         "'; expected query, key, value, attention_output, intermediate, output "
                         "or a path such as attention.self.query");
}

template <class T>
layers::Linear<T>& target_linear(encoders::Bert<T>& bert, std::size_t layer, LinearTarget target) {
  auto& l = bert.layer(layer);
  switch (target) {
    case LinearTarget::query: return l.attention().query();
    case LinearTarget::key: return l.attention().key();
    case LinearTarget::value: return l.attention().value();
    case LinearTarget::attention_output: return l.attention().output();
    case LinearTarget::intermediate: return l.intermediate();
    case LinearTarget::output: return l.output();
  }
  throw invalid_argument("adaptrec::peft::target_linear: unknown target");
}

// One adapted linear layer: where it sits and its full parameter name.
struct LinearSite {
  std::size_t layer;
  LinearTarget target;
  std::string name() const {
    return "encoder.layer." + std::to_string(layer) + "." + std::string(target_path(target));
  }
};

// Every (layer, target) pair; `layers` empty means all of the model's layers.
// Out-of-range layers throw naming the layer.
inline std::vector<LinearSite> linear_sites(std::size_t num_layers,
                                            const std::vector<std::size_t>& layers,
                                            const std::vector<LinearTarget>& targets,
                                            std::string_view method) {
  if (targets.empty())
    throw invalid_argument("adaptrec::peft::" + std::string(method) + ": no target layers chosen");
  std::vector<std::size_t> chosen = layers;
  if (chosen.empty())
    for (std::size_t i = 0; i < num_layers; ++i) chosen.push_back(i);
  std::vector<LinearSite> sites;
  for (std::size_t l : chosen) {
    if (l >= num_layers)
      throw index_error("adaptrec::peft::" + std::string(method) + ": layer " + std::to_string(l) +
                        " does not exist (the model has " + std::to_string(num_layers) + ")");
    for (LinearTarget t : targets) sites.push_back({l, t});
  }
  return sites;
}

}  // namespace adaptrec::peft
