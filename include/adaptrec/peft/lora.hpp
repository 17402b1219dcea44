#pragma once
// LoRA on a BERT-family backbone: one LoraLinear per chosen (layer, linear)
// site, attached to the frozen layers as hooks. The method owns its hooks;
// attach/detach only move pointers, so several LoRA sets made for one
// backbone (one per scenario, peft/scenario_adapters.hpp) switch cheaply.
#include <adaptrec/encoders/bert.hpp>
#include <adaptrec/io/json.hpp>
#include <adaptrec/layers/transformer_encoder_layer.hpp>
#include <adaptrec/peft/detail/hooked_sites.hpp>
#include <adaptrec/peft/lora_linear.hpp>
#include <adaptrec/peft/targets.hpp>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>
#include <memory>
#include <string>
#include <vector>

namespace adaptrec::peft {

struct LoraOptions {
  index_t rank = 8;
  double alpha = 8;  // the update is scaled by alpha / rank
  double dropout = 0;
  std::vector<LinearTarget> targets{LinearTarget::query, LinearTarget::value};
  std::vector<std::size_t> layers;  // empty: every layer
  std::uint64_t dropout_seed = 0;
};

// Options from an adapter_config.json written by save_adapter or by Hugging
// Face PEFT for a BertModel. target_modules may name full module paths
// ("encoder.layer.1.attention.self.query", what config_json writes) or
// suffixes ("query", "intermediate.dense") with optional layers_to_transform.
inline LoraOptions lora_options_from_json(const io::Json& config) {
  const std::string where = "adaptrec::peft::lora_options_from_json: ";
  const std::string type = config.at("peft_type").as_string();
  if (type != "LORA") throw io_error(where + "peft_type is \"" + type + "\", not \"LORA\"");
  LoraOptions o;
  o.rank = config.at("r").as_int();
  o.alpha = config.at("lora_alpha").as_double();
  if (const io::Json* d = config.find("lora_dropout")) o.dropout = d->as_double();
  o.targets.clear();
  std::vector<std::string> names;
  const io::Json& modules = config.at("target_modules");
  if (!modules.is_array())
    throw io_error(where + "target_modules must be a list of module names (a regular expression "
                   "is not supported)");
  for (const io::Json& t : modules.as_array()) names.push_back(t.as_string());
  std::set<std::size_t> layers;
  std::set<int> targets;
  for (const std::string& name : names) {
    constexpr std::string_view layer_prefix = "encoder.layer.";
    if (name.starts_with(layer_prefix)) {
      const std::size_t dot = name.find('.', layer_prefix.size());
      if (dot == std::string::npos)
        throw io_error(where + "target module \"" + name + "\" names no linear layer");
      layers.insert(std::stoul(name.substr(layer_prefix.size(), dot - layer_prefix.size())));
      targets.insert(static_cast<int>(target_from_name(name.substr(dot + 1))));
    } else {
      targets.insert(static_cast<int>(target_from_name(name)));
    }
  }
  for (int t : targets) o.targets.push_back(static_cast<LinearTarget>(t));
  o.layers.assign(layers.begin(), layers.end());
  if (const io::Json* l = config.find("layers_to_transform"); l && !l->is_null()) {
    if (!o.layers.empty())
      throw io_error(where + "both full module paths and layers_to_transform are given");
    if (l->is_array())
      for (const io::Json& v : l->as_array()) o.layers.push_back(static_cast<std::size_t>(v.as_int()));
    else
      o.layers.push_back(static_cast<std::size_t>(l->as_int()));
  }
  // Full paths must name every (layer, target) pair: LoraOptions is a product.
  if (!layers.empty() && layers.size() * targets.size() != std::set<std::string>(names.begin(), names.end()).size())
    throw io_error(where + "target_modules names " + std::to_string(names.size()) +
                   " modules, not every chosen linear layer in every chosen Transformer layer");
  return o;
}

template <class T = float>
class Lora {
 public:
  using scalar_type = T;
  using options_type = LoraOptions;

  // Sizes every hook for `backbone`; nothing is attached yet.
  Lora(encoders::Bert<T>& backbone, const LoraOptions& options, Rng& rng)
      : options_(options),
        sites_(linear_sites(backbone.num_layers(), options.layers, options.targets, "Lora"),
               "Lora") {
    for (std::size_t i = 0; i < sites_.size(); ++i) {
      const auto& site = sites_.sites()[i];
      auto& linear = target_linear(backbone, site.layer, site.target);
      sites_.add(std::make_unique<LoraLinear<T>>(
          linear.in_features(), linear.out_features(), options.rank, T(options.alpha),
          T(options.dropout), rng, layers::detail::dropout_stream_seed(options.dropout_seed, i)));
    }
  }

  const LoraOptions& options() const { return options_; }
  const std::vector<LinearSite>& sites() const { return sites_.sites(); }
  LoraLinear<T>& hook(std::size_t i) { return sites_.hook(i); }

  void attach(encoders::Bert<T>& backbone) { sites_.attach(backbone); }
  // Unmerges first, so the backbone is left exactly as it was.
  void detach(encoders::Bert<T>& backbone) { sites_.detach(backbone); }
  bool attached_to(encoders::Bert<T>& backbone) { return sites_.attached_to(backbone); }

  // Serving: fold every update into its weight, so forward costs what the
  // plain backbone costs; unmerge() before training again.
  void merge(encoders::Bert<T>& backbone) { sites_.merge(backbone); }
  void unmerge(encoders::Bert<T>& backbone) { sites_.unmerge(backbone); }

  // The method's own parameters under their in-model names
  // (`encoder.layer.0.attention.self.query.lora_A.weight`), attached or not.
  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    sites_.visit_parameters(f, prefix);
  }
  void train(bool on = true) {
    training_ = on;
    sites_.train(on);
  }
  bool is_training() const { return training_; }

  // Hugging Face PEFT's adapter_config.json fields for this method.
  io::Json config_json() const {
    io::Json c = io::Json::object();
    c.set("peft_type", "LORA");
    c.set("r", options_.rank);
    c.set("lora_alpha", options_.alpha);
    c.set("lora_dropout", options_.dropout);
    // Full module paths: PEFT matches a listed name as a suffix, and the
    // short "output.dense" would also match "attention.output.dense".
    io::Json modules = io::Json::array();
    for (const LinearSite& site : sites_.sites()) modules.push_back(site.name());
    c.set("target_modules", modules);
    c.set("bias", "none");
    return c;
  }

 private:
  LoraOptions options_;
  detail::HookedSites<T, LoraLinear<T>> sites_;
  bool training_ = true;
};

}  // namespace adaptrec::peft
