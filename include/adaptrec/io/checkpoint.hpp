#pragma once
// Saving and loading a module's parameters as a safetensors file, under the
// dotted names visit_parameters gives them (`tower.0.weight`), which is what
// PyTorch's state_dict uses too. Saving only the trainable parameters gives
// adapter-only checkpoints (a few MB of LoRA weights beside a frozen model).
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/io/safetensors.hpp>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

namespace adaptrec::io {

enum class ParameterSelection { all, trainable };

struct LoadOptions {
  ParameterSelection which = ParameterSelection::all;
  bool strict = true;  // missing or unexpected tensors throw
};

struct LoadReport {
  std::vector<std::string> loaded;      // in the module's visiting order
  std::vector<std::string> missing;     // selected in the module, absent from the file
  std::vector<std::string> unexpected;  // in the file, not selected in the module
};

namespace detail {

// Written into every checkpoint's metadata, so a load that selects other
// parameters than the save did can say so.
inline constexpr const char* parameter_selection_key = "adaptrec.parameters";

inline const char* selection_name(ParameterSelection which) {
  return which == ParameterSelection::all ? "all" : "trainable";
}

template <class M>
auto selected_parameters(M& module, ParameterSelection which) {
  auto parameters = collect_parameters(module);
  if (which == ParameterSelection::trainable)
    std::erase_if(parameters, [](const auto& p) { return !p.parameter->trainable; });
  return parameters;
}

inline std::string quoted_list(const std::vector<std::string>& names) {
  constexpr std::size_t shown = 8;
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < shown; ++i)
    out += (i ? ", \"" : "\"") + names[i] + "\"";
  if (names.size() > shown) out += " and " + std::to_string(names.size() - shown) + " more";
  return out;
}

}  // namespace detail

// Stores the selected parameters' values in the module's scalar type (F32 for
// float, F64 for double). `metadata` goes into the file's __metadata__.
template <class M>
void save_checkpoint(M& module, const std::filesystem::path& path,
                     ParameterSelection which = ParameterSelection::all,
                     const std::map<std::string, std::string>& metadata = {}) {
  SafetensorsWriter writer;
  for (const auto& [name, parameter] : detail::selected_parameters(module, which))
    writer.add(name, parameter->value);
  for (const auto& [key, value] : metadata) writer.set_metadata(key, value);
  if (!metadata.count(detail::parameter_selection_key))
    writer.set_metadata(detail::parameter_selection_key, detail::selection_name(which));
  writer.write(path);
}

// Loads the selected parameters from `path`, converting the stored dtype
// (F32, F16, BF16, F64, integers) to the module's scalar type. A shape
// mismatch always throws; missing or unexpected tensors throw when
// options.strict. Every check runs before any parameter changes, so a failed
// load leaves the module as it was.
template <class M>
LoadReport load_checkpoint(M& module, const std::filesystem::path& path, LoadOptions options = {}) {
  static_assert(std::is_floating_point_v<typename M::scalar_type>,
                "adaptrec::io::load_checkpoint: parameters must be float or double, so that "
                "decoding after the checks cannot fail halfway");
  const SafetensorsFile file = SafetensorsFile::open(path);
  const auto parameters = detail::selected_parameters(module, options.which);

  LoadReport report;
  std::set<std::string, std::less<>> selected;
  for (const auto& [name, parameter] : parameters) {
    selected.insert(name);
    if (!file.contains(name)) {
      report.missing.push_back(name);
      continue;
    }
    const Shape stored = file.shape(name);
    if (!(stored == parameter->shape()))
      throw io_error(path.string() + ": tensor \"" + name + "\" has shape " + stored.to_string() +
                     " in the file but " + parameter->shape().to_string() + " in the module");
    report.loaded.push_back(name);
  }
  for (const std::string& name : file.names())
    if (!selected.count(name)) report.unexpected.push_back(name);

  if (options.strict && (!report.missing.empty() || !report.unexpected.empty())) {
    std::string reason = path.string() + ": the checkpoint does not match the module's " +
                         detail::selection_name(options.which) + " parameters:";
    if (!report.missing.empty()) reason += " missing " + detail::quoted_list(report.missing) + ";";
    if (!report.unexpected.empty())
      reason += " unexpected " + detail::quoted_list(report.unexpected) + ";";
    const auto saved = file.metadata().find(detail::parameter_selection_key);
    if (saved != file.metadata().end() && saved->second != detail::selection_name(options.which))
      reason += " the file was saved with the " + saved->second +
                " parameters selected (LoadOptions::which)";
    else
      reason += " pass strict = false to load the tensors that match";
    throw io_error(reason);
  }

  for (const auto& [name, parameter] : parameters)
    if (file.contains(name)) file.read_into(name, parameter->value);
  return report;
}

}  // namespace adaptrec::io
