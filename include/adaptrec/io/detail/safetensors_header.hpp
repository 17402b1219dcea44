#pragma once
// Reading and validating a safetensors header (https://github.com/huggingface/
// safetensors, "Format"): an 8-byte little-endian length N, N bytes of JSON
// mapping tensor names to {dtype, shape, data_offsets} plus an optional
// "__metadata__" of strings, then the data section. Everything is checked
// against the actual byte count before anything is allocated, with the same
// rules as the reference implementation's validate(): known dtypes, sizes that
// match shapes, and tensors that tile the data section without gaps or overlaps.
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/shape.hpp>
#include <adaptrec/io/detail/json_parser.hpp>
#include <adaptrec/io/detail/tensor_codec.hpp>
#include <adaptrec/io/dtype.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace adaptrec::io::detail {

// The reference implementation's MAX_HEADER_SIZE: a bound on what a hostile
// header can make the JSON parser allocate.
inline constexpr std::uint64_t max_safetensors_header_bytes = 100'000'000;

struct SafetensorsEntry {
  std::string name;
  DType dtype;
  std::vector<index_t> dims;  // may exceed Shape::max_rank; checked on access
  std::size_t begin;          // byte offsets into the data section
  std::size_t end;
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> entries;  // in header order
  std::map<std::string, std::string> metadata;
  std::size_t data_start = 0;  // 8 + header length
};

inline std::string dims_to_string(const std::vector<index_t>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

class SafetensorsHeaderReader {
 public:
  SafetensorsHeaderReader(std::string_view file, std::string source)
      : file_(file), source_(std::move(source)) {}

  SafetensorsHeader read() {
    if (file_.size() < 8)
      fail(std::to_string(file_.size()) +
           " bytes is too short for a safetensors file, which starts with an 8-byte header length");
    const auto header_length = load_little_endian<std::uint64_t>(file_.data());
    if (header_length > max_safetensors_header_bytes)
      fail("header length " + std::to_string(header_length) + " exceeds the limit of " +
           std::to_string(max_safetensors_header_bytes) + " bytes");
    if (header_length > file_.size() - 8)
      fail("header length " + std::to_string(header_length) + " exceeds the " +
           std::to_string(file_.size() - 8) + " bytes after it");
    const std::string_view header_text = file_.substr(8, header_length);
    if (!header_text.starts_with('{')) fail("the header is not a JSON object (no '{' at byte 8)");

    SafetensorsHeader header;
    header.data_start = 8 + static_cast<std::size_t>(header_length);
    data_size_ = file_.size() - header.data_start;
    const Json json = JsonParser(header_text, source_ + " header").parse_document();
    for (const auto& [name, value] : json.as_object()) {
      if (name == "__metadata__")
        header.metadata = read_metadata(value);
      else
        header.entries.push_back(read_entry(name, value));
    }
    check_layout(header.entries);
    return header;
  }

 private:
  [[noreturn]] void fail(const std::string& reason) const {
    throw io_error(source_ + ": " + reason);
  }
  [[noreturn]] void fail(const std::string& tensor, const std::string& reason) const {
    throw io_error(source_ + ": tensor \"" + tensor + "\": " + reason);
  }

  std::map<std::string, std::string> read_metadata(const Json& value) const {
    if (!value.is_object())
      fail(std::string("__metadata__ must be an object of strings, not ") +
           Json::kind_name(value.kind()));
    std::map<std::string, std::string> metadata;
    for (const auto& [key, entry] : value.as_object()) {
      if (!entry.is_string())
        fail("__metadata__ entry \"" + key + "\" must be a string, not " +
             Json::kind_name(entry.kind()));
      metadata.emplace(key, entry.as_string());
    }
    return metadata;
  }

  // A non-negative integer field of a tensor entry.
  index_t read_count(const std::string& tensor, const char* field, const Json& value) const {
    if (!value.is_int() || value.as_int() < 0)
      fail(tensor, std::string(field) + " must hold non-negative integers, found " +
                       (value.is_number() ? value.dump() : Json::kind_name(value.kind())));
    return value.as_int();
  }

  SafetensorsEntry read_entry(const std::string& name, const Json& value) const {
    if (!value.is_object())
      fail(name, std::string("expected an object with dtype, shape and data_offsets, not ") +
                     Json::kind_name(value.kind()));
    for (const auto& [field, ignored] : value.as_object())
      if (field != "dtype" && field != "shape" && field != "data_offsets")
        fail(name, "unknown field \"" + field + "\"");
    const auto required = [&](const char* field) -> const Json& {
      const Json* found = value.find(field);
      if (!found) fail(name, std::string("missing field \"") + field + "\"");
      return *found;
    };

    SafetensorsEntry entry{name, DType::f32, {}, 0, 0};
    const Json& dtype = required("dtype");
    if (!dtype.is_string()) fail(name, "dtype must be a string");
    const auto parsed = parse_dtype(dtype.as_string());
    if (!parsed)
      fail(name, "unsupported dtype \"" + dtype.as_string() +
                     "\" (adaptrec reads F64, F32, F16, BF16, I64, I32, I16, I8, U8 and BOOL)");
    entry.dtype = *parsed;

    const Json& shape = required("shape");
    if (!shape.is_array()) fail(name, "shape must be an array");
    for (const Json& extent : shape.as_array()) entry.dims.push_back(read_count(name, "shape", extent));

    const Json& offsets = required("data_offsets");
    if (!offsets.is_array() || offsets.size() != 2)
      fail(name, "data_offsets must be an array [begin, end]");
    const index_t begin = read_count(name, "data_offsets", offsets.at(std::size_t{0}));
    const index_t end = read_count(name, "data_offsets", offsets.at(std::size_t{1}));
    const std::string span = "data_offsets [" + std::to_string(begin) + ", " +
                             std::to_string(end) + "]";
    if (begin > end) fail(name, span + " end before they begin");
    if (static_cast<std::uint64_t>(end) > data_size_)
      fail(name, span + " reach past the " + std::to_string(data_size_) +
                     "-byte data section");
    entry.begin = static_cast<std::size_t>(begin);
    entry.end = static_cast<std::size_t>(end);

    // The byte count must match the shape; checked without overflow, so a
    // hostile shape never turns into an allocation.
    const auto bytes_needed = byte_count(entry);
    if (!bytes_needed || *bytes_needed != entry.end - entry.begin)
      fail(name, "shape " + dims_to_string(entry.dims) + " of " +
                     std::string(dtype_name(entry.dtype)) + " needs " +
                     (bytes_needed ? std::to_string(*bytes_needed) : std::string("too many")) +
                     " bytes, but " + span + " span " + std::to_string(entry.end - entry.begin));
    return entry;
  }

  // numel * element size, or nothing when a running product leaves int64,
  // even if a later extent is 0: Shape::numel multiplies in the same order,
  // and the reference implementation rejects these shapes the same way.
  static std::optional<std::uint64_t> byte_count(const SafetensorsEntry& entry) {
    constexpr auto limit = static_cast<std::uint64_t>(std::numeric_limits<index_t>::max());
    std::uint64_t count = 1;
    for (index_t extent : entry.dims) {
      const auto factor = static_cast<std::uint64_t>(extent);
      if (factor != 0 && count > limit / factor) return std::nullopt;
      count *= factor;
    }
    if (count > limit / dtype_size(entry.dtype)) return std::nullopt;
    return count * dtype_size(entry.dtype);
  }

  // Sorted by offset, each tensor must begin where the previous one ended and
  // the last must end at the end of the file.
  void check_layout(const std::vector<SafetensorsEntry>& entries) const {
    std::vector<std::size_t> order(entries.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return std::pair(entries[a].begin, entries[a].end) <
             std::pair(entries[b].begin, entries[b].end);
    });
    std::size_t covered = 0;
    const SafetensorsEntry* previous = nullptr;
    for (std::size_t index : order) {
      const SafetensorsEntry& entry = entries[index];
      if (entry.begin < covered)
        fail(entry.name, "data overlaps tensor \"" + previous->name + "\" (bytes " +
                             std::to_string(entry.begin) + " to " + std::to_string(covered) +
                             " of the data section)");
      if (entry.begin > covered)
        fail(entry.name, "bytes " + std::to_string(covered) + " to " +
                             std::to_string(entry.begin) +
                             " of the data section before it belong to no tensor");
      covered = entry.end;
      previous = &entry;
    }
    if (covered != data_size_)
      fail("the last " + std::to_string(data_size_ - covered) +
           " bytes of the data section belong to no tensor");
  }

  std::string_view file_;
  std::string source_;
  std::size_t data_size_ = 0;
};

}  // namespace adaptrec::io::detail
