#pragma once
// Reading JSON: Hugging Face config.json and tokenizer.json files, safetensors
// headers. The value type adaptrec::io::Json and its dump() are in
// detail/json.hpp; the grammar in detail/json_parser.hpp.
#include <adaptrec/io/detail/file.hpp>
#include <adaptrec/io/detail/json.hpp>
#include <adaptrec/io/detail/json_parser.hpp>

#include <filesystem>
#include <string_view>

namespace adaptrec::io {

// Parses one JSON document; surrounding whitespace is allowed, anything else
// after the value is not. Errors are io_error "source:line:column: reason (byte
// offset N)".
inline Json parse_json(std::string_view text, std::string_view source_name_for_errors = {}) {
  return detail::JsonParser(text, source_name_for_errors).parse_document();
}

inline Json read_json_file(const std::filesystem::path& path) {
  const std::string text = detail::read_file_bytes(path);
  return parse_json(text, path.string());
}

}  // namespace adaptrec::io
