#pragma once
// Tensors in the safetensors format, the one Hugging Face checkpoints use:
// SafetensorsFile reads and validates a file, SafetensorsWriter writes one.
//
// The reader loads the whole file into memory at open(). Unlike a memory map,
// the copy stays valid when another program truncates or rewrites the file
// (a mapped page of a truncated file faults with SIGBUS), and tensor() can be
// called from several threads.
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/shape.hpp>
#include <adaptrec/core/tensor.hpp>
#include <adaptrec/io/detail/file.hpp>
#include <adaptrec/io/detail/json.hpp>
#include <adaptrec/io/detail/safetensors_header.hpp>
#include <adaptrec/io/detail/tensor_codec.hpp>
#include <adaptrec/io/detail/utf8.hpp>
#include <adaptrec/io/dtype.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace adaptrec::io {

class SafetensorsFile {
 public:
  // Throws io_error naming the file (and the tensor, where one is at fault)
  // unless the whole file is well formed.
  static SafetensorsFile open(const std::filesystem::path& path) {
    return from_bytes(detail::read_file_bytes(path), path.string());
  }

  // The same checks on bytes already in memory; `source_name` stands for the
  // file name in error messages.
  static SafetensorsFile from_bytes(std::string bytes, std::string source_name) {
    SafetensorsFile file;
    file.bytes_ = std::make_shared<const std::string>(std::move(bytes));
    detail::SafetensorsHeader header =
        detail::SafetensorsHeaderReader(*file.bytes_, source_name).read();
    file.source_ = std::move(source_name);
    file.data_start_ = header.data_start;
    file.entries_ = std::move(header.entries);
    file.metadata_ = std::move(header.metadata);
    for (std::size_t i = 0; i < file.entries_.size(); ++i)
      file.index_.emplace(file.entries_[i].name, i);
    return file;
  }

  const std::string& source() const { return source_; }
  std::size_t size() const { return entries_.size(); }

  // Tensor names in header order.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    out.reserve(entries_.size());
    for (const auto& entry : entries_) out.push_back(entry.name);
    return out;
  }
  bool contains(std::string_view name) const { return index_.find(name) != index_.end(); }

  // Throws io_error for a stored tensor of more than Shape::max_rank dimensions.
  Shape shape(std::string_view name) const { return shape_of(entry(name)); }
  DType dtype(std::string_view name) const { return entry(name).dtype; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // The tensor converted to T. Floating-point data (F64, F32, F16, BF16)
  // converts to float or double; integer and BOOL data to any T, range-checked
  // for integer T; floating-point data to an integer T throws.
  template <class T>
  Tensor<T> tensor(std::string_view name) const {
    const auto& found = entry(name);
    Tensor<T> out(shape_of(found));
    decode(found, out.data());
    return out;
  }

  // Like tensor(), into existing storage whose shape must match.
  template <class T>
  void read_into(std::string_view name, Tensor<T>& out) const {
    const auto& found = entry(name);
    const Shape stored = shape_of(found);
    if (!(out.shape() == stored) || out.size() != stored.numel())
      throw shape_error(prefix(found) + "stored shape " + stored.to_string() +
                        " does not match the destination shape " + out.shape().to_string());
    decode(found, out.data());
  }

 private:
  SafetensorsFile() = default;

  std::string prefix(const detail::SafetensorsEntry& entry) const {
    return source_ + ": tensor \"" + entry.name + "\": ";
  }

  const detail::SafetensorsEntry& entry(std::string_view name) const {
    const auto found = index_.find(name);
    if (found == index_.end())
      throw io_error(source_ + ": no tensor named \"" + std::string(name) + "\"");
    return entries_[found->second];
  }

  Shape shape_of(const detail::SafetensorsEntry& entry) const {
    if (entry.dims.size() > static_cast<std::size_t>(Shape::max_rank))
      throw io_error(prefix(entry) + "shape " + detail::dims_to_string(entry.dims) + " has rank " +
                     std::to_string(entry.dims.size()) + "; adaptrec tensors have at most " +
                     std::to_string(Shape::max_rank) + " dimensions");
    Shape shape;
    for (index_t extent : entry.dims) shape.push_back(extent);
    return shape;
  }

  template <class T>
  void decode(const detail::SafetensorsEntry& entry, T* out) const {
    const std::size_t count = (entry.end - entry.begin) / dtype_size(entry.dtype);
    try {
      detail::decode_elements(entry.dtype, bytes_->data() + data_start_ + entry.begin, count, out);
    } catch (const io_error& e) {
      throw io_error(prefix(entry) + "cannot read " + std::string(dtype_name(entry.dtype)) +
                     " data as " + std::string(dtype_name(dtype_of<T>())) + ": " + e.what());
    }
  }

  std::string source_;
  std::shared_ptr<const std::string> bytes_;
  std::size_t data_start_ = 0;
  std::vector<detail::SafetensorsEntry> entries_;
  std::map<std::string, std::size_t, std::less<>> index_;
  std::map<std::string, std::string> metadata_;
};

class SafetensorsWriter {
 public:
  // Stores `tensor` in its own element type: F32 for float, F64 for double,
  // I64 for int64, I32 for int32, and so on.
  template <class T>
  void add(std::string name, const Tensor<T>& tensor) {
    add(std::move(name), tensor, dtype_of<T>());
  }

  // Stores `tensor` converted to `stored_as` (F16 and BF16 round to nearest
  // even). Throws invalid_argument for a repeated or reserved name, or values
  // that do not fit (floating point into an integer dtype, out-of-range ints).
  template <class T>
  void add(std::string name, const Tensor<T>& tensor, DType stored_as) {
    const std::string where = "adaptrec::io::SafetensorsWriter: tensor \"" + name + "\": ";
    if (name == "__metadata__") throw invalid_argument(where + "the name is reserved");
    if (detail::find_invalid_utf8(name) != std::string::npos)
      throw invalid_argument(where + "the name is not valid UTF-8");
    if (names_.count(name)) throw invalid_argument(where + "added twice");
    if (tensor.size() != tensor.shape().numel())
      throw invalid_argument(where + "shape " + tensor.shape().to_string() +
                             " but no storage (a default-constructed or moved-from tensor)");
    std::string bytes(static_cast<std::size_t>(tensor.size()) * dtype_size(stored_as), '\0');
    try {
      detail::encode_elements(stored_as, tensor.data(), static_cast<std::size_t>(tensor.size()),
                              bytes.data());
    } catch (const invalid_argument& e) {
      throw invalid_argument(where + e.what());
    }
    names_.insert(name);
    entries_.push_back({std::move(name), stored_as, tensor.shape(), std::move(bytes)});
  }

  // Free-form strings stored under "__metadata__"; a repeated key overwrites.
  void set_metadata(std::string key, std::string value) {
    metadata_[std::move(key)] = std::move(value);
  }

  std::size_t size() const { return entries_.size(); }
  bool contains(std::string_view name) const { return names_.find(name) != names_.end(); }

  // Writes `path.tmp`, flushes it to disk and renames it to `path`, so a crash
  // never leaves a partial file under `path`.
  void write(const std::filesystem::path& path) const {
    detail::write_file_atomically(path, [&](std::FILE* file) {
      emit([&](const char* data, std::size_t size) { detail::write_bytes(file, data, size, path); });
    });
  }

  // The file's bytes, as write() would store them.
  std::string to_bytes() const {
    std::string out;
    emit([&](const char* data, std::size_t size) { out.append(data, size); });
    return out;
  }

 private:
  struct Entry {
    std::string name;
    DType dtype;
    Shape shape;
    std::string bytes;
  };

  // The reference writer's order: by dtype, widest first, then by name.
  static int layout_rank(DType dtype) {
    switch (dtype) {
      case DType::i64: return 0;
      case DType::f64: return 1;
      case DType::f32: return 2;
      case DType::i32: return 3;
      case DType::bf16: return 4;
      case DType::f16: return 5;
      case DType::i16: return 6;
      case DType::i8: return 7;
      case DType::u8: return 8;
      case DType::boolean: return 9;
    }
    return 10;
  }

  // The same bytes as the reference implementation's serialize(): data in
  // layout_rank order and the header padded with spaces to a multiple of 8,
  // so every tensor starts at a multiple of its element size and readers that
  // map the file can use the data in place. The header lists tensors in data
  // order, after __metadata__.
  template <class Sink>
  void emit(Sink&& sink) const {
    std::vector<std::size_t> order(entries_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      const int rank_a = layout_rank(entries_[a].dtype);
      const int rank_b = layout_rank(entries_[b].dtype);
      return rank_a != rank_b ? rank_a < rank_b : entries_[a].name < entries_[b].name;
    });

    Json header = Json::object();
    if (!metadata_.empty()) {
      Json metadata = Json::object();
      for (const auto& [key, value] : metadata_) metadata.set(key, value);
      header.set("__metadata__", std::move(metadata));
    }
    std::size_t offset = 0;
    for (std::size_t index : order) {
      const Entry& entry = entries_[index];
      Json::Array shape;
      for (int d = 0; d < entry.shape.rank(); ++d) shape.emplace_back(entry.shape[d]);
      Json info = Json::object();
      info.set("dtype", std::string(dtype_name(entry.dtype)));
      info.set("shape", Json(std::move(shape)));
      info.set("data_offsets", Json::array({offset, offset + entry.bytes.size()}));
      header.set(entry.name, std::move(info));
      offset += entry.bytes.size();
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');

    char length[8];
    detail::store_little_endian<std::uint64_t>(length, text.size());
    sink(length, sizeof length);
    sink(text.data(), text.size());
    for (std::size_t index : order) sink(entries_[index].bytes.data(), entries_[index].bytes.size());
  }

  std::vector<Entry> entries_;
  std::set<std::string, std::less<>> names_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace adaptrec::io
