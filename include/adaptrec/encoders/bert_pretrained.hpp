#pragma once
// BERT checkpoints in the Hugging Face folder layout: `config.json` and
// `model.safetensors` (plus tokenizer files, which text/ reads).
//
// load_bert accepts a bare BertModel (`embeddings.word_embeddings.weight`)
// and a task model's encoder (`bert.embeddings...`, as BertForMaskedLM or
// BertForSequenceClassification save it), telling them apart by the names.
// save_bert writes a folder that transformers' BertModel.from_pretrained (and
// load_bert) read back, in either naming.
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/encoders/bert.hpp>
#include <adaptrec/encoders/bert_config.hpp>
#include <adaptrec/io/dtype.hpp>
#include <adaptrec/io/pretrained.hpp>
#include <adaptrec/io/safetensors.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace adaptrec::encoders {

enum class NamePrefix { bare, bert };

inline const char* name_prefix(NamePrefix names) {
  return names == NamePrefix::bert ? "bert." : "";
}

struct BertLoadOptions {
  // Build the pooler: by default when the checkpoint has its weights.
  std::optional<bool> with_pooler;
  // Checkpoint tensors to skip: task heads. Anything else the model does not
  // use throws, since it usually means the wrong architecture.
  std::vector<std::string> ignored_prefixes = {"cls."};
  std::uint64_t dropout_seed = 0;
};

struct BertSaveOptions {
  NamePrefix names = NamePrefix::bare;
  // float32 is what Hugging Face writes; the model's own type keeps a double
  // model bit-exact.
  io::DType dtype = io::DType::f32;
  // When set, vocab.txt and the tokenizer files found there are copied along.
  std::filesystem::path tokenizer_source;
};

namespace detail {

inline std::string detect_bert_prefix(const io::SafetensorsFile& file) {
  for (const std::string& name : file.names())
    if (name.starts_with("bert.")) return "bert.";
  return {};
}

inline std::filesystem::path weights_path(const std::filesystem::path& dir) {
  const auto path = dir / "model.safetensors";
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return path;
  if (std::filesystem::exists(dir / "pytorch_model.bin", ec))
    throw io_error(path.string() + " not found: " + (dir / "pytorch_model.bin").string() +
                   " is a pickled PyTorch file, which adaptrec does not read; convert it with "
                   "transformers' save_pretrained(..., safe_serialization=True)");
  throw io_error(path.string() +
                 " not found (a Hugging Face checkpoint folder holds "
                 "config.json and model.safetensors)");
}

inline const std::vector<std::string>& tokenizer_files() {
  static const std::vector<std::string> files = {
      "vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"};
  return files;
}

}  // namespace detail

// Reads dir/config.json and dir/model.safetensors. Throws io_error naming the
// file and every missing, unexpected or wrongly shaped tensor.
template <class T = float>
Bert<T> load_bert(const std::filesystem::path& dir, const BertLoadOptions& options = {}) {
  const BertConfig config = BertConfig::from_file(dir / "config.json");
  const io::SafetensorsFile file = io::SafetensorsFile::open(detail::weights_path(dir));

  io::PretrainedLoadOptions load;
  load.prefix = detail::detect_bert_prefix(file);
  load.ignored_prefixes = options.ignored_prefixes;
  const bool stored_pooler = file.contains(load.prefix + "pooler.dense.weight");
  const bool with_pooler = options.with_pooler.value_or(stored_pooler);
  if (!with_pooler) load.ignored_prefixes.push_back(load.prefix + "pooler.");

  // Every weight is overwritten below; the generator only serves the layers'
  // constructors meanwhile.
  Rng rng(0);
  Bert<T> model(config, rng, with_pooler, options.dropout_seed, WeightInit::deferred);
  io::load_named_parameters(model, file, load);
  return model;
}

namespace detail {

// The torch_dtype a Hugging Face config.json names for the stored weights.
inline const char* torch_dtype_name(io::DType dtype) {
  switch (dtype) {
    case io::DType::f64: return "float64";
    case io::DType::f16: return "float16";
    case io::DType::bf16: return "bfloat16";
    default: return "float32";
  }
}

// Creates dir and writes dir/config.json: `config` plus the stored dtype.
inline void write_checkpoint_config(const std::filesystem::path& dir, io::Json config,
                                    io::DType dtype) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw io_error("cannot create " + dir.string() + ": " + ec.message());
  config.set("torch_dtype", torch_dtype_name(dtype));
  const std::string text = config.dump(2) + "\n";
  io::detail::write_file_atomically(dir / "config.json", [&](std::FILE* f) {
    io::detail::write_bytes(f, text.data(), text.size(), dir / "config.json");
  });
}

// Copies the tokenizer files that exist in `source` (none when empty) into dir.
inline void copy_tokenizer_files(const std::filesystem::path& source,
                                 const std::filesystem::path& dir) {
  if (source.empty()) return;
  std::error_code ec;
  for (const std::string& name : tokenizer_files()) {
    const auto from = source / name;
    if (!std::filesystem::exists(from, ec) || std::filesystem::equivalent(from, dir / name, ec))
      continue;
    std::filesystem::copy_file(from, dir / name, std::filesystem::copy_options::overwrite_existing,
                               ec);
    if (ec)
      throw io_error("cannot copy " + from.string() + " to " + dir.string() + ": " + ec.message());
  }
}

}  // namespace detail

// Writes dir/config.json and dir/model.safetensors (dir is created).
template <class T>
void save_bert(Bert<T>& model, const std::filesystem::path& dir,
               const BertSaveOptions& options = {}) {
  detail::write_checkpoint_config(dir, model.config().to_json(), options.dtype);
  io::save_named_parameters(model, dir / "model.safetensors", name_prefix(options.names), {},
                            options.dtype);
  detail::copy_tokenizer_files(options.tokenizer_source, dir);
}

template <class T>
void save_bert(Bert<T>& model, const std::filesystem::path& dir, NamePrefix names) {
  BertSaveOptions options;
  options.names = names;
  save_bert(model, dir, options);
}

}  // namespace adaptrec::encoders
