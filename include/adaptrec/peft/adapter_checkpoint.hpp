#pragma once
// Adapter-only checkpoints: the few tensors a parameter-efficient method
// trained, without the frozen backbone they adapt. A folder holds
// `adapter_model.safetensors` and `adapter_config.json`, the files and names
// Hugging Face PEFT uses (tensor names carry its `base_model.model.` prefix),
// so the base checkpoint plus the adapter folder rebuild the model:
//
//   auto bert = encoders::load_bert<float>(base_dir);
//   peft::Lora<float> lora(bert, peft::lora_options_from_json(
//                                    peft::read_adapter_config(adapter_dir)), rng);
//   peft::load_adapter(lora, adapter_dir);
//   lora.attach(bert);
//
// For methods without a method object (BitFit, partial fine-tuning),
// trainable_parameters(model) views just the trainable tensors of a model, and
// the same two functions save and load them.
#include <adaptrec/core/module.hpp>
#include <adaptrec/io/detail/file.hpp>
#include <adaptrec/io/json.hpp>
#include <adaptrec/io/pretrained.hpp>

#include <algorithm>
#include <filesystem>
#include <vector>
#include <string>

namespace adaptrec::peft {

inline constexpr const char* adapter_weights_file = "adapter_model.safetensors";
inline constexpr const char* adapter_config_file = "adapter_config.json";
inline constexpr const char* adapter_name_prefix = "base_model.model.";

// The trainable parameters of `model`, as a module of their own (same names).
template <class M>
class TrainableParameters {
 public:
  using scalar_type = typename M::scalar_type;
  explicit TrainableParameters(M& model) : model_(&model) {}

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    model_->visit_parameters(
        [&f](const std::string& name, Parameter<scalar_type>& p) {
          if (p.trainable) f(name, p);
        },
        prefix);
  }
  io::Json config_json() const {
    io::Json c = io::Json::object();
    c.set("peft_type", "TRAINABLE_SUBSET");
    return c;
  }

 private:
  M* model_;
};

template <class M>
TrainableParameters<M> trainable_parameters(M& model) {
  return TrainableParameters<M>(model);
}

namespace detail {
// Lists compare as sets: PEFT stores target_modules from a Python set, in no
// fixed order.
// Numbers compare by value (PEFT writes lora_alpha 8 where we write 8.0).
inline std::string canonical(const io::Json& value) {
  if (value.is_number()) return io::Json(value.as_double()).dump();
  if (!value.is_array()) return value.dump();
  std::vector<std::string> items;
  for (const io::Json& v : value.as_array()) items.push_back(canonical(v));
  std::sort(items.begin(), items.end());
  std::string out = "[";
  for (const auto& item : items) out += item + ",";
  return out + "]";
}
}  // namespace detail

inline io::Json read_adapter_config(const std::filesystem::path& dir) {
  return io::read_json_file(dir / adapter_config_file);
}

// Writes the method's tensors (float32) and its config. `extra_config`
// fields (e.g. base_model_name_or_path) are added to the config.
template <class Method>
void save_adapter(Method& method, const std::filesystem::path& dir,
                  const io::Json& extra_config = io::Json::object()) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw io_error("adaptrec::peft::save_adapter: cannot create " + dir.string() + ": " +
                         ec.message());
  io::Json config = method.config_json();
  for (const auto& [key, value] : extra_config.as_object()) config.set(key, value);
  io::save_named_parameters(method, dir / adapter_weights_file, adapter_name_prefix);
  const std::string text = config.dump(2) + "\n";
  io::detail::write_file_atomically(dir / adapter_config_file, [&](std::FILE* f) {
    io::detail::write_bytes(f, text.data(), text.size(), dir / adapter_config_file);
  });
}

// Reads the tensors saved by save_adapter into `method`, which must have been
// built with the same options: every field of method.config_json() must equal
// the saved config's (the error names the first that differs), and every
// tensor must be present with its shape (io::load_named_parameters' checks).
template <class Method>
void load_adapter(Method& method, const std::filesystem::path& dir) {
  const io::Json saved = read_adapter_config(dir);
  const io::Json expected = method.config_json();
  for (const auto& [key, value] : expected.as_object()) {
    const io::Json* found = saved.find(key);
    if (!found || detail::canonical(*found) != detail::canonical(value))
      throw io_error((dir / adapter_config_file).string() + ": \"" + key + "\" is " +
                     (found ? found->dump() : std::string("missing")) + ", the model's is " +
                     value.dump() + "; build the method with the saved options");
  }
  const io::SafetensorsFile file = io::SafetensorsFile::open(dir / adapter_weights_file);
  io::PretrainedLoadOptions options;
  options.prefix = adapter_name_prefix;
  options.buffer_names = {};
  io::load_named_parameters(method, file, options);
}

}  // namespace adaptrec::peft
