#pragma once
// Loading and saving a module's parameters under the names a pretrained
// checkpoint uses (Hugging Face's state_dict names), for any module whose
// visit_parameters already gives those names.
//
// Unlike load_checkpoint (checkpoint.hpp), which reads adaptrec's own files,
// this side meets checkpoints written by other tools, so it maps names:
//  - an optional prefix on every checkpoint name (`bert.` when a task model
//    such as BertForMaskedLM saved its encoder);
//  - legacy LayerNorm names `gamma` / `beta` for `weight` / `bias` (TensorFlow
//    ports; transformers renames them the same way when loading);
//  - tensors that are no parameters are skipped: task heads under an ignored
//    prefix (`cls.`) and index buffers such as `embeddings.position_ids`.
// Every problem (missing, wrongly shaped, unexpected, non-floating) is
// collected and reported in one exception, and nothing is written to the
// module unless all checks pass.
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/io/dtype.hpp>
#include <adaptrec/io/safetensors.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace adaptrec::io {

struct PretrainedLoadOptions {
  // Prepended to each of the module's names to find its tensor ("bert.").
  std::string prefix;
  // Checkpoint tensors whose full name starts with one of these are skipped.
  std::vector<std::string> ignored_prefixes;
  // Unclaimed checkpoint tensors whose last name component is one of these
  // are skipped: Hugging Face's registered index buffers, which older
  // versions saved with the weights.
  std::vector<std::string> buffer_names = {"position_ids", "token_type_ids"};
  bool accept_legacy_layer_norm_names = true;
};

struct PretrainedLoadReport {
  // (module name, checkpoint name), in the module's visiting order.
  std::vector<std::pair<std::string, std::string>> loaded;
  std::vector<std::string> ignored;  // checkpoint names skipped on purpose
};

namespace detail {

inline bool starts_with_any(std::string_view name, const std::vector<std::string>& prefixes) {
  for (const std::string& p : prefixes)
    if (name.starts_with(p)) return true;
  return false;
}

inline std::string_view last_component(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

// `x.LayerNorm.weight` -> `x.LayerNorm.gamma`, `.bias` -> `.beta`; empty otherwise.
inline std::string legacy_layer_norm_name(std::string_view name) {
  const std::string_view last = last_component(name);
  const std::string_view head = name.substr(0, name.size() - last.size());
  if (last == "weight") return std::string(head) + "gamma";
  if (last == "bias") return std::string(head) + "beta";
  return {};
}

// Up to `shown` entries, one per line, then how many more.
inline std::string problem_list(const std::vector<std::string>& entries) {
  constexpr std::size_t shown = 20;
  std::string out;
  for (std::size_t i = 0; i < entries.size() && i < shown; ++i) out += "\n  " + entries[i];
  if (entries.size() > shown)
    out += "\n  ... and " + std::to_string(entries.size() - shown) + " more";
  return out;
}

// When a missing name is stored under some other prefix, says which one: the
// usual cause is a task model's `bert.` (or its absence).
inline std::string prefix_hint(const std::vector<std::string>& missing_module_names,
                               const SafetensorsFile& file, const std::string& prefix) {
  if (missing_module_names.empty()) return {};
  const std::string& probe = missing_module_names.front();
  for (const std::string& stored : file.names()) {
    if (stored.size() <= probe.size() || !std::string_view(stored).ends_with(probe)) continue;
    const std::string other = stored.substr(0, stored.size() - probe.size());
    if (other.back() == '.')
      return "\n(\"" + probe + "\" is stored as \"" + stored + "\": use the prefix \"" + other +
             "\" instead of \"" + prefix + "\")";
  }
  if (!prefix.empty() && file.contains(probe))
    return "\n(\"" + probe + "\" is stored without the prefix \"" + prefix + "\")";
  return {};
}

// What a load found wrong, as entries ready for the message.
struct LoadProblems {
  std::vector<std::string> missing, wrong_shape, wrong_dtype, unexpected;
  std::vector<std::string> missing_module_names;  // for prefix_hint

  bool any() const {
    return !missing.empty() || !wrong_shape.empty() || !wrong_dtype.empty() || !unexpected.empty();
  }

  std::string message(const SafetensorsFile& file, const std::string& prefix) const {
    std::string reason = file.source() + ": the checkpoint does not match the model:";
    const auto section = [&](const char* title, const std::vector<std::string>& entries) {
      if (!entries.empty())
        reason += std::string("\n") + title + " (" + std::to_string(entries.size()) +
                  "):" + problem_list(entries);
    };
    section("missing tensors", missing);
    section("wrongly shaped tensors", wrong_shape);
    section("non-floating tensors", wrong_dtype);
    section("unexpected tensors", unexpected);
    return reason + prefix_hint(missing_module_names, file, prefix);
  }
};

}  // namespace detail

// Copies every parameter of `module` from `file`, converting the stored
// floating-point type (F32, F16, BF16, F64) to the module's. Throws io_error
// naming the file and listing every missing, wrongly shaped, non-floating
// and unexpected tensor; the module is unchanged then.
template <class M>
PretrainedLoadReport load_named_parameters(M& module, const SafetensorsFile& file,
                                           const PretrainedLoadOptions& options = {}) {
  static_assert(std::is_floating_point_v<typename M::scalar_type>,
                "adaptrec::io::load_named_parameters: parameters must be float or double");
  const auto parameters = collect_parameters(module);

  PretrainedLoadReport report;
  detail::LoadProblems problems;
  std::set<std::string, std::less<>> claimed;
  for (const auto& [name, parameter] : parameters) {
    std::string stored = options.prefix + name;
    if (!file.contains(stored) && options.accept_legacy_layer_norm_names) {
      const std::string legacy = detail::legacy_layer_norm_name(stored);
      if (!legacy.empty() && file.contains(legacy)) stored = legacy;
    }
    if (!file.contains(stored)) {
      problems.missing.push_back("\"" + options.prefix + name + "\" (shape " +
                                 parameter->shape().to_string() + ")");
      problems.missing_module_names.push_back(name);
      continue;
    }
    claimed.insert(stored);
    const Shape found = file.shape(stored);
    if (!(found == parameter->shape()))
      problems.wrong_shape.push_back("\"" + stored + "\": expected " +
                                     parameter->shape().to_string() + ", found " +
                                     found.to_string());
    else if (!is_floating(file.dtype(stored)))
      problems.wrong_dtype.push_back("\"" + stored + "\": dtype " +
                                     std::string(dtype_name(file.dtype(stored))) +
                                     ", expected a floating-point type");
    else
      report.loaded.emplace_back(name, stored);
  }

  for (const std::string& stored : file.names()) {
    if (claimed.count(stored)) continue;
    const bool buffer = std::find(options.buffer_names.begin(), options.buffer_names.end(),
                                  detail::last_component(stored)) != options.buffer_names.end();
    if (buffer || detail::starts_with_any(stored, options.ignored_prefixes))
      report.ignored.push_back(stored);
    else
      problems.unexpected.push_back("\"" + stored + "\" (shape " + file.shape(stored).to_string() +
                                    ")");
  }
  if (problems.any()) throw io_error(problems.message(file, options.prefix));

  // With no problem found, every parameter was loaded, in visiting order.
  for (std::size_t i = 0; i < parameters.size(); ++i)
    file.read_into(report.loaded[i].second, parameters[i].parameter->value);
  return report;
}

// Writes every parameter of `module` as `prefix + name` in `stored_as`
// (float32 by default, what Hugging Face writes), with {"format": "pt"} in the
// metadata as transformers' save_pretrained does, plus `metadata`.
template <class M>
void save_named_parameters(M& module, const std::filesystem::path& path,
                           const std::string& prefix = {},
                           const std::map<std::string, std::string>& metadata = {},
                           DType stored_as = DType::f32) {
  if (!is_floating(stored_as))
    throw invalid_argument("adaptrec::io::save_named_parameters: " + path.string() +
                           ": parameters are stored as a floating-point type, not " +
                           std::string(dtype_name(stored_as)));
  SafetensorsWriter writer;
  for (const auto& [name, parameter] : collect_parameters(module))
    writer.add(prefix + name, parameter->value, stored_as);
  writer.set_metadata("format", "pt");
  for (const auto& [key, value] : metadata) writer.set_metadata(key, value);
  writer.write(path);
}

}  // namespace adaptrec::io
