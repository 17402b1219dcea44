#pragma once
// adaptrec::io::Json, a JSON value (RFC 8259), and its writer. Numbers keep the
// distinction the text makes: an integer literal that fits in int64 stays an
// integer, anything else is a double. Object members keep the order of the text
// (safetensors headers list tensors in file order) with a sorted index beside
// them, so lookups stay logarithmic on objects of 10^5 members (tokenizer
// vocabularies). The parser is in json_parser.hpp; include adaptrec/io/json.hpp.
#include <adaptrec/core/error.hpp>
#include <adaptrec/io/detail/utf8.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace adaptrec::io {

class Json;

namespace detail {
class JsonParser;
}

class JsonObject {
 public:
  using member_type = std::pair<std::string, Json>;
  using const_iterator = std::vector<member_type>::const_iterator;

  std::size_t size() const { return members_.size(); }
  bool empty() const { return members_.empty(); }
  // Members in insertion (file) order. Keys are not mutable through iteration:
  // the index depends on them.
  const_iterator begin() const { return members_.begin(); }
  const_iterator end() const { return members_.end(); }

  const Json* find(std::string_view key) const;
  Json* find(std::string_view key);
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  // Throws io_error naming the key when it is absent.
  const Json& at(std::string_view key) const;
  Json& at(std::string_view key);

  // Adds `key` at the end, or replaces its value in place when present.
  Json& set(std::string key, Json value);

  // Equal when both have the same keys with equal values, in any order.
  friend bool operator==(const JsonObject& a, const JsonObject& b);

 private:
  friend class detail::JsonParser;

  // The first position in sorted_ whose key is not less than `key`.
  std::size_t lower_bound(std::string_view key) const;
  // Rebuilds sorted_ from members_; returns the index of a member whose key
  // repeats an earlier one, or npos.
  std::size_t rebuild_index();

  std::vector<member_type> members_;
  std::vector<std::size_t> sorted_;
};

class Json {
 public:
  using Array = std::vector<Json>;
  using Object = JsonObject;
  enum class Kind { null, boolean, integer, floating, string, array, object };

  Json() = default;
  Json(std::nullptr_t) {}
  Json(bool value) : value_(value) {}
  template <std::integral I>
    requires(!std::same_as<I, bool>)
  Json(I value) : value_(checked_int64(value)) {}
  template <std::floating_point F>
  Json(F value) : value_(static_cast<double>(value)) {}
  Json(std::string value) : value_(std::move(value)) {}
  Json(std::string_view value) : value_(std::string(value)) {}
  Json(const char* value) : value_(std::string(value)) {}
  Json(Array value) : value_(std::move(value)) {}
  Json(Object value) : value_(std::move(value)) {}

  static Json array(Array values = {}) { return Json(std::move(values)); }
  static Json object() { return Json(Object{}); }

  Kind kind() const { return static_cast<Kind>(value_.index()); }
  static const char* kind_name(Kind kind) {
    constexpr const char* names[] = {"null",   "a boolean", "an integer", "a non-integer number",
                                     "a string", "an array", "an object"};
    return names[static_cast<int>(kind)];
  }

  bool is_null() const { return kind() == Kind::null; }
  bool is_bool() const { return kind() == Kind::boolean; }
  bool is_int() const { return kind() == Kind::integer; }
  bool is_double() const { return kind() == Kind::floating; }
  bool is_number() const { return is_int() || is_double(); }
  bool is_string() const { return kind() == Kind::string; }
  bool is_array() const { return kind() == Kind::array; }
  bool is_object() const { return kind() == Kind::object; }

  // Typed access; each throws io_error naming both kinds on a mismatch. An
  // integer reads as a double, never the reverse: 2.0 is not silently an int.
  bool as_bool() const { return get<bool>(Kind::boolean); }
  std::int64_t as_int() const { return get<std::int64_t>(Kind::integer); }
  double as_double() const {
    if (is_int()) return static_cast<double>(std::get<std::int64_t>(value_));
    if (!is_double())
      throw io_error(std::string("adaptrec::io::Json: expected a number, got ") + kind_name(kind()));
    return std::get<double>(value_);
  }
  const std::string& as_string() const { return get<std::string>(Kind::string); }
  const Array& as_array() const { return get<Array>(Kind::array); }
  Array& as_array() { return get<Array>(Kind::array); }
  const Object& as_object() const { return get<Object>(Kind::object); }
  Object& as_object() { return get<Object>(Kind::object); }

  // Object shortcuts.
  const Json& at(std::string_view key) const { return as_object().at(key); }
  Json& at(std::string_view key) { return as_object().at(key); }
  const Json* find(std::string_view key) const { return as_object().find(key); }
  Json* find(std::string_view key) { return as_object().find(key); }
  bool contains(std::string_view key) const { return as_object().contains(key); }
  Json& set(std::string key, Json value) { return as_object().set(std::move(key), std::move(value)); }

  // Array shortcuts.
  const Json& at(std::size_t index) const {
    const Array& values = as_array();
    check_index(index, values.size());
    return values[index];
  }
  Json& at(std::size_t index) {
    Array& values = as_array();
    check_index(index, values.size());
    return values[index];
  }
  Json& push_back(Json value) { return as_array().emplace_back(std::move(value)); }

  // Members of an object or elements of an array.
  std::size_t size() const { return is_object() ? as_object().size() : as_array().size(); }

  // Compact with indent < 0, else one member per line indented by `indent`
  // spaces per level. Throws invalid_argument for NaN or infinity (JSON has no
  // spelling for them) and for strings that are not valid UTF-8.
  std::string dump(int indent = -1) const {
    std::string out;
    dump_to(out, indent, 0);
    return out;
  }

  friend bool operator==(const Json& a, const Json& b) { return a.value_ == b.value_; }
  friend std::ostream& operator<<(std::ostream& out, const Json& value) {
    return out << value.dump();
  }

 private:
  template <class I>
  static std::int64_t checked_int64(I value) {
    if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(std::int64_t)) {
      if (value > static_cast<std::make_unsigned_t<std::int64_t>>(
                      std::numeric_limits<std::int64_t>::max()))
        throw invalid_argument("adaptrec::io::Json: integer " + std::to_string(value) +
                               " does not fit in int64");
    }
    return static_cast<std::int64_t>(value);
  }

  template <class V>
  const V& get(Kind wanted) const {
    if (kind() != wanted) throw kind_mismatch(wanted);
    return std::get<V>(value_);
  }
  template <class V>
  V& get(Kind wanted) {
    if (kind() != wanted) throw kind_mismatch(wanted);
    return std::get<V>(value_);
  }
  io_error kind_mismatch(Kind wanted) const {
    return io_error(std::string("adaptrec::io::Json: expected ") + kind_name(wanted) + ", got " +
                    kind_name(kind()));
  }

  static void check_index(std::size_t index, std::size_t size) {
    if (index >= size)
      throw io_error("adaptrec::io::Json: index " + std::to_string(index) +
                     " out of range for an array of " + std::to_string(size));
  }

  static void dump_string(std::string& out, std::string_view text) {
    if (const std::size_t bad = detail::find_invalid_utf8(text); bad != std::string_view::npos)
      throw invalid_argument("adaptrec::io::Json: string is not valid UTF-8 at byte " +
                             std::to_string(bad));
    out.push_back('"');
    for (char c : text) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            constexpr char hex[] = "0123456789abcdef";
            out += "\\u00";
            out.push_back(hex[(c >> 4) & 0xF]);
            out.push_back(hex[c & 0xF]);
          } else {
            out.push_back(c);
          }
      }
    }
    out.push_back('"');
  }

  static void dump_double(std::string& out, double value) {
    if (!std::isfinite(value))
      throw invalid_argument("adaptrec::io::Json: " + std::to_string(value) +
                             " has no JSON representation");
    // Shortest text that reads back to the same double; a ".0" keeps it a
    // double when read back, so dump and parse round-trip the kind too.
    char buffer[32];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
    const std::string_view text(buffer, static_cast<std::size_t>(end - buffer));
    out += text;
    if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
  }

  static void newline(std::string& out, int indent, int level) {
    if (indent < 0) return;
    out.push_back('\n');
    out.append(static_cast<std::size_t>(indent) * static_cast<std::size_t>(level), ' ');
  }

  void dump_to(std::string& out, int indent, int level) const {
    switch (kind()) {
      case Kind::null: out += "null"; return;
      case Kind::boolean: out += as_bool() ? "true" : "false"; return;
      case Kind::integer: {
        char buffer[24];
        out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, as_int()).ptr);
        return;
      }
      case Kind::floating: dump_double(out, std::get<double>(value_)); return;
      case Kind::string: dump_string(out, as_string()); return;
      case Kind::array: {
        const Array& values = as_array();
        out.push_back('[');
        for (std::size_t i = 0; i < values.size(); ++i) {
          if (i) out.push_back(',');
          newline(out, indent, level + 1);
          values[i].dump_to(out, indent, level + 1);
        }
        if (!values.empty()) newline(out, indent, level);
        out.push_back(']');
        return;
      }
      case Kind::object: {
        const Object& members = as_object();
        out.push_back('{');
        bool first = true;
        for (const auto& [key, value] : members) {
          if (!first) out.push_back(',');
          first = false;
          newline(out, indent, level + 1);
          dump_string(out, key);
          out += indent < 0 ? ":" : ": ";
          value.dump_to(out, indent, level + 1);
        }
        if (!members.empty()) newline(out, indent, level);
        out.push_back('}');
        return;
      }
    }
  }

  std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, Array, Object> value_;
};

inline std::size_t JsonObject::lower_bound(std::string_view key) const {
  const auto it = std::lower_bound(
      sorted_.begin(), sorted_.end(), key,
      [&](std::size_t index, std::string_view k) { return members_[index].first < k; });
  return static_cast<std::size_t>(it - sorted_.begin());
}

inline const Json* JsonObject::find(std::string_view key) const {
  const std::size_t position = lower_bound(key);
  if (position == sorted_.size() || members_[sorted_[position]].first != key) return nullptr;
  return &members_[sorted_[position]].second;
}

inline Json* JsonObject::find(std::string_view key) {
  return const_cast<Json*>(static_cast<const JsonObject&>(*this).find(key));
}

inline const Json& JsonObject::at(std::string_view key) const {
  if (const Json* value = find(key)) return *value;
  throw io_error("adaptrec::io::Json: missing key \"" + std::string(key) + "\"");
}

inline Json& JsonObject::at(std::string_view key) {
  return const_cast<Json&>(static_cast<const JsonObject&>(*this).at(key));
}

inline Json& JsonObject::set(std::string key, Json value) {
  const std::size_t position = lower_bound(key);
  if (position < sorted_.size() && members_[sorted_[position]].first == key)
    return members_[sorted_[position]].second = std::move(value);
  sorted_.insert(sorted_.begin() + static_cast<std::ptrdiff_t>(position), members_.size());
  return members_.emplace_back(std::move(key), std::move(value)).second;
}

inline std::size_t JsonObject::rebuild_index() {
  sorted_.resize(members_.size());
  for (std::size_t i = 0; i < sorted_.size(); ++i) sorted_[i] = i;
  // Ties broken by position, so of two equal keys the later one is reported,
  // and of several repeated keys the one that repeats first in the text.
  std::sort(sorted_.begin(), sorted_.end(), [&](std::size_t a, std::size_t b) {
    const int order = members_[a].first.compare(members_[b].first);
    return order < 0 || (order == 0 && a < b);
  });
  std::size_t repeated = std::string::npos;
  for (std::size_t i = 1; i < sorted_.size(); ++i)
    if (members_[sorted_[i - 1]].first == members_[sorted_[i]].first)
      repeated = std::min(repeated, sorted_[i]);
  return repeated;
}

inline bool operator==(const JsonObject& a, const JsonObject& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [key, value] : a) {
    const Json* other = b.find(key);
    if (!other || !(*other == value)) return false;
  }
  return true;
}

}  // namespace adaptrec::io
