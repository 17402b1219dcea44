#pragma once
// An in-memory copy of a module's parameter values, for best-epoch restore
// without touching the disk.
#include <adaptrec/core/module.hpp>

#include <string>
#include <vector>

namespace adaptrec::train {

template <class T>
class ParameterSnapshot {
 public:
  ParameterSnapshot() = default;

  template <class M>
  static ParameterSnapshot take(M& module) {
    ParameterSnapshot s;
    module.visit_parameters(
        [&](const std::string& name, Parameter<T>& p) {
          s.names_.push_back(name);
          s.values_.push_back(p.value);
        },
        std::string{});
    return s;
  }

  // Copies the saved values back; the module must have the same parameters.
  template <class M>
  void restore(M& module) const {
    std::size_t i = 0;
    module.visit_parameters(
        [&](const std::string& name, Parameter<T>& p) {
          if (i >= names_.size() || names_[i] != name || !(values_[i].shape() == p.shape()))
            throw error("adaptrec::train::ParameterSnapshot: parameter '" + name +
                        "' does not match the snapshot");
          p.value = values_[i++];
        },
        std::string{});
    if (i != names_.size())
      throw error("adaptrec::train::ParameterSnapshot: the module has fewer parameters (" +
                  std::to_string(i) + ") than the snapshot (" + std::to_string(names_.size()) +
                  ")");
  }

  bool empty() const { return names_.empty(); }

 private:
  std::vector<std::string> names_;
  std::vector<Tensor<T>> values_;
};

}  // namespace adaptrec::train
