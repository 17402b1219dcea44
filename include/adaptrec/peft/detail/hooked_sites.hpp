#pragma once
// The bookkeeping every linear-hook method shares: which (layer, linear)
// sites it adapts, the hook it owns for each, and attaching, detaching,
// merging and visiting them. LoRA, AdaLoRA and bottleneck adapters differ only
// in the hook.
#include <adaptrec/encoders/bert.hpp>
#include <adaptrec/peft/targets.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace adaptrec::peft::detail {

template <class T, class Hook>
class HookedSites {
 public:
  HookedSites(std::vector<LinearSite> sites, std::string method)
      : sites_(std::move(sites)), method_(std::move(method)) {}

  const std::vector<LinearSite>& sites() const { return sites_; }
  std::size_t size() const { return sites_.size(); }
  Hook& hook(std::size_t i) { return *hooks_.at(i); }
  void add(std::unique_ptr<Hook> hook) { hooks_.push_back(std::move(hook)); }

  void attach(encoders::Bert<T>& backbone) {
    for (std::size_t i = 0; i < sites_.size(); ++i) {
      auto& linear = target_linear(backbone, sites_[i].layer, sites_[i].target);
      if (linear.in_features() != hooks_[i]->in_features() ||
          linear.out_features() != hooks_[i]->out_features())
        throw shape_error("adaptrec::peft::" + method_ + ": " + sites_[i].name() + " is [" +
                          std::to_string(linear.out_features()) + ", " +
                          std::to_string(linear.in_features()) + "], the method was made for [" +
                          std::to_string(hooks_[i]->out_features()) + ", " +
                          std::to_string(hooks_[i]->in_features()) + "]");
      if (linear.hook() && linear.hook() != hooks_[i].get())
        throw invalid_argument("adaptrec::peft::" + method_ + ": " + sites_[i].name() +
                               " already has a hook attached (another method or scenario's "
                               "set); detach that first");
    }
    for (std::size_t i = 0; i < sites_.size(); ++i)
      target_linear(backbone, sites_[i].layer, sites_[i].target).attach_hook(hooks_[i].get());
  }

  // Unmerges first, so the backbone is left exactly as it was.
  void detach(encoders::Bert<T>& backbone) {
    for (std::size_t i = 0; i < sites_.size(); ++i) {
      auto& linear = target_linear(backbone, sites_[i].layer, sites_[i].target);
      if (linear.hook() != hooks_[i].get()) continue;
      linear.unmerge_hook();
      linear.detach_hook();
    }
  }

  bool attached_to(encoders::Bert<T>& backbone) {
    for (std::size_t i = 0; i < sites_.size(); ++i)
      if (target_linear(backbone, sites_[i].layer, sites_[i].target).hook() != hooks_[i].get())
        return false;
    return !sites_.empty();
  }

  void merge(encoders::Bert<T>& backbone) {
    for (std::size_t i = 0; i < sites_.size(); ++i) attached_linear(backbone, i).merge_hook();
  }
  void unmerge(encoders::Bert<T>& backbone) {
    for (std::size_t i = 0; i < sites_.size(); ++i) attached_linear(backbone, i).unmerge_hook();
  }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    for (std::size_t i = 0; i < sites_.size(); ++i)
      hooks_[i]->visit_parameters([&f](const std::string& n, Parameter<T>& p) { f(n, p); },
                                  join_name(prefix, sites_[i].name()));
  }
  void train(bool on) {
    for (auto& h : hooks_) h->train(on);
  }

 private:
  layers::Linear<T>& attached_linear(encoders::Bert<T>& backbone, std::size_t i) {
    auto& linear = target_linear(backbone, sites_[i].layer, sites_[i].target);
    if (linear.hook() != hooks_[i].get())
      throw invalid_argument("adaptrec::peft::" + method_ + ": " + sites_[i].name() +
                             " does not carry this method's hook; attach() it first");
    return linear;
  }

  std::vector<LinearSite> sites_;
  std::string method_;
  std::vector<std::unique_ptr<Hook>> hooks_;
};

}  // namespace adaptrec::peft::detail
