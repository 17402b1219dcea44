#pragma once
// AdaLoRA on a BERT-family backbone (Zhang et al., "Adaptive Budget Allocation
// for Parameter-Efficient Fine-Tuning", ICLR 2023): one AdaLoraLinear per
// chosen (layer, linear) site, attached to the frozen layers as hooks, and a
// rank allocator that moves the rank budget to the sites that matter.
//
// A training step, in Hugging Face PEFT's order:
//   model.forward; loss; model.backward;
//   adalora.regularize();            // + orth_reg_weight * sum of R(P, Q)
//   optimizer.step();
//   adalora.update_and_allocate(step);
//   optimizer.zero_grad();
#include <adaptrec/encoders/bert.hpp>
#include <adaptrec/io/json.hpp>
#include <adaptrec/layers/transformer_encoder_layer.hpp>
#include <adaptrec/peft/adalora_allocator.hpp>
#include <adaptrec/peft/adalora_linear.hpp>
#include <adaptrec/peft/detail/hooked_sites.hpp>
#include <adaptrec/peft/targets.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace adaptrec::peft {

// Defaults are PEFT's AdaLoraConfig (and LoraConfig's lora_alpha), with its
// default BERT targets; total_step has no default there either.
struct AdaLoraOptions {
  index_t init_r = 12;   // triplets per site at the start
  index_t target_r = 8;  // average triplets per site at the end
  double alpha = 8;      // the update is scaled by alpha / init_r
  double dropout = 0;
  std::vector<LinearTarget> targets{LinearTarget::query, LinearTarget::value};
  std::vector<std::size_t> layers;  // empty: every layer
  std::uint64_t dropout_seed = 0;
  index_t total_step = 0;  // training steps; required
  index_t tinit = 0;       // warm-up steps at the initial budget
  index_t tfinal = 0;      // final steps at the fixed target pattern
  index_t delta_t = 1;     // steps between allocations
  double beta1 = 0.85;     // sensitivity smoothing
  double beta2 = 0.85;     // uncertainty smoothing
  double orth_reg_weight = 0.5;
};

template <class T = float>
class AdaLora {
 public:
  using scalar_type = T;
  using options_type = AdaLoraOptions;

  // Sizes every hook for `backbone`; nothing is attached yet.
  AdaLora(encoders::Bert<T>& backbone, const AdaLoraOptions& options, Rng& rng)
      : options_(validated(options)),
        sites_(make_sites(backbone, options_, rng)),
        allocator_(
            allocator_sites(sites_),
            AdaLoraSchedule(options_.init_r * static_cast<index_t>(sites_.size()),
                            options_.target_r * static_cast<index_t>(sites_.size()), options_.tinit,
                            options_.tfinal, options_.total_step, options_.delta_t),
            options_.beta1, options_.beta2) {}

  const AdaLoraOptions& options() const { return options_; }
  const std::vector<LinearSite>& sites() const { return sites_.sites(); }
  AdaLoraLinear<T>& hook(std::size_t i) { return sites_.hook(i); }
  const AdaLoraSchedule& schedule() const { return allocator_.schedule(); }
  AdaLoraRankAllocator<T>& allocator() { return allocator_; }

  void attach(encoders::Bert<T>& backbone) { sites_.attach(backbone); }
  // Unmerges first, so the backbone is left exactly as it was.
  void detach(encoders::Bert<T>& backbone) { sites_.detach(backbone); }
  bool attached_to(encoders::Bert<T>& backbone) { return sites_.attached_to(backbone); }

  // Serving: fold every update into its weight; unmerge() before training again.
  void merge(encoders::Bert<T>& backbone) { sites_.merge(backbone); }
  void unmerge(encoders::Bert<T>& backbone) { sites_.unmerge(backbone); }

  // Parameters under their in-model names
  // (`encoder.layer.0.attention.self.query.lora_E`), attached or not.
  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    sites_.visit_parameters(f, prefix);
  }
  void train(bool on = true) {
    training_ = on;
    sites_.train(on);
  }
  bool is_training() const { return training_; }

  // Sum over sites of R(P, Q) (eq. 4), as the paper's training objective
  // adds it (sec. 3.1: C + gamma * sum_k R(P_k, Q_k)).
  T orthogonal_regularization() {
    T total = T(0);
    for (std::size_t i = 0; i < sites_.size(); ++i)
      total += sites_.hook(i).orthogonal_regularization();
    return total;
  }
  // Adds weight * d(sum R) to the gradients of every P and Q and returns the
  // penalty weight * sum R, the term the loss gains.
  T regularize(T weight) {
    T total = T(0);
    for (std::size_t i = 0; i < sites_.size(); ++i)
      total += sites_.hook(i).add_orthogonal_regularization_gradient(weight);
    return weight * total;
  }
  T regularize() { return regularize(T(options_.orth_reg_weight)); }

  // The budget step; see AdaLoraRankAllocator::update_and_allocate for when
  // to call it. Returns the step's total rank budget.
  index_t update_and_allocate(index_t step) { return allocator_.update_and_allocate(step); }

  // Kept triplets of every site, in sites() order, and their sum.
  std::vector<index_t> rank_pattern() const { return allocator_.rank_pattern(); }
  index_t total_rank() const {
    index_t total = 0;
    for (index_t r : rank_pattern()) total += r;
    return total;
  }

  // Hugging Face PEFT's adapter_config.json fields for this method; once a
  // step has pruned, rank_pattern maps each `<site>.lora_E` to its kept flags.
  io::Json config_json() const {
    io::Json c = io::Json::object();
    c.set("peft_type", "ADALORA");
    c.set("init_r", options_.init_r);
    c.set("target_r", options_.target_r);
    c.set("lora_alpha", options_.alpha);
    c.set("lora_dropout", options_.dropout);
    c.set("tinit", options_.tinit);
    c.set("tfinal", options_.tfinal);
    c.set("deltaT", options_.delta_t);
    c.set("beta1", options_.beta1);
    c.set("beta2", options_.beta2);
    c.set("orth_reg_weight", options_.orth_reg_weight);
    c.set("total_step", options_.total_step);
    io::Json targets = io::Json::array();
    for (LinearTarget t : options_.targets) targets.push_back(std::string(target_path(t)));
    c.set("target_modules", targets);
    if (!options_.layers.empty()) {
      io::Json layers = io::Json::array();
      for (std::size_t l : options_.layers) layers.push_back(l);
      c.set("layers_to_transform", layers);
    }
    c.set("bias", "none");
    io::Json pattern;
    if (allocator_.has_masked()) {
      pattern = io::Json::object();
      for (const auto& site : allocator_.sites()) {
        io::Json kept = io::Json::array();
        for (bool k : site.hook->kept_triplets()) kept.push_back(k);
        pattern.set(site.name + ".lora_E", kept);
      }
    }
    c.set("rank_pattern", pattern);
    return c;
  }

 private:
  using Sites = detail::HookedSites<T, AdaLoraLinear<T>>;

  static AdaLoraOptions validated(const AdaLoraOptions& o) {
    const std::string where = "adaptrec::peft::AdaLora: ";
    if (o.init_r <= 0 || o.target_r < 0 || o.target_r > o.init_r)
      throw invalid_argument(where + "init_r=" + std::to_string(o.init_r) +
                             " and target_r=" + std::to_string(o.target_r) +
                             " must satisfy 0 <= target_r <= init_r, "
                             "init_r > 0");
    if (!std::isfinite(o.alpha))
      throw invalid_argument(where + "alpha=" + std::to_string(o.alpha) + " is not finite");
    if (!(o.orth_reg_weight >= 0) || !std::isfinite(o.orth_reg_weight))
      throw invalid_argument(where + "orth_reg_weight=" + std::to_string(o.orth_reg_weight) +
                             " must be finite and non-negative");
    return o;
  }

  static Sites make_sites(encoders::Bert<T>& backbone, const AdaLoraOptions& o, Rng& rng) {
    Sites sites(linear_sites(backbone.num_layers(), o.layers, o.targets, "AdaLora"), "AdaLora");
    for (std::size_t i = 0; i < sites.size(); ++i) {
      const LinearSite& site = sites.sites()[i];
      auto& linear = target_linear(backbone, site.layer, site.target);
      sites.add(std::make_unique<AdaLoraLinear<T>>(
          linear.in_features(), linear.out_features(), o.init_r, T(o.alpha), T(o.dropout), rng,
          layers::detail::dropout_stream_seed(o.dropout_seed, i)));
    }
    return sites;
  }

  // The hooks live behind unique_ptrs, so these pointers survive moves of
  // the method object.
  static std::vector<typename AdaLoraRankAllocator<T>::Site> allocator_sites(Sites& sites) {
    std::vector<typename AdaLoraRankAllocator<T>::Site> out;
    for (std::size_t i = 0; i < sites.size(); ++i)
      out.push_back({sites.sites()[i].name(), &sites.hook(i)});
    return out;
  }

  AdaLoraOptions options_;
  Sites sites_;
  AdaLoraRankAllocator<T> allocator_;
  bool training_ = true;
};

}  // namespace adaptrec::peft
