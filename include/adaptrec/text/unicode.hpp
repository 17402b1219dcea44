#pragma once
// The Unicode character properties and normalizations the BERT tokenizer needs,
// over code point sequences: general category classes, Python's str.isspace()
// and str.lower(), canonical decomposition (NFD) and composition (NFC).
//
// The data is generated into detail/unicode_tables.hpp by
// scripts/generate_unicode_tables.py; the algorithms are those of the Unicode
// Standard 15.0, section 3.11 (canonical ordering, canonical composition) and
// section 3.12 (Hangul syllables), and of UAX #15.
#include <adaptrec/text/detail/unicode_tables.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

namespace adaptrec::text {

namespace detail {

namespace tables = unicode_tables;

// Index of the run that holds `c` in a table of run starts beginning at 0.
template <std::size_t N>
std::size_t run_index(const std::uint32_t (&starts)[N], char32_t c) {
  return static_cast<std::size_t>(std::upper_bound(std::begin(starts), std::end(starts), c) -
                                  std::begin(starts)) - 1;
}

// ASCII dominates real text: its properties come from a 128-entry table built
// from the generated runs at compile time.
inline constexpr auto ascii_properties = [] {
  std::array<std::uint8_t, 128> properties{};
  std::size_t run = 0;
  for (std::uint32_t c = 0; c < 128; ++c) {
    while (run + 1 < std::size(tables::property_starts) && tables::property_starts[run + 1] <= c) ++run;
    properties[c] = tables::property_values[run];
  }
  return properties;
}();

inline std::uint8_t properties_of(char32_t c) {
  if (c < 128) return ascii_properties[c];
  return tables::property_values[run_index(tables::property_starts, c)];
}

// Hangul syllable arithmetic (Unicode 15.0, section 3.12).
inline constexpr char32_t hangul_s_base = 0xAC00, hangul_l_base = 0x1100, hangul_v_base = 0x1161,
                          hangul_t_base = 0x11A7;
inline constexpr char32_t hangul_l_count = 19, hangul_v_count = 21, hangul_t_count = 28;
inline constexpr char32_t hangul_n_count = hangul_v_count * hangul_t_count;
inline constexpr char32_t hangul_s_count = hangul_l_count * hangul_n_count;

// No code point below U+00C0 has a canonical decomposition and none below
// U+0300 a nonzero combining class or a composition with a later one, so text
// below those bounds is already in NFD, respectively NFC (tests/text/unicode.cpp
// checks both bounds against the tables).
inline constexpr char32_t nfd_stable_below = 0xC0;
inline constexpr char32_t nfc_stable_below = 0x300;

inline bool all_below(std::u32string_view text, char32_t bound) {
  return std::all_of(text.begin(), text.end(), [bound](char32_t c) { return c < bound; });
}

// Sorts each run of non-starters in out[from..] by combining class, stably:
// the canonical ordering algorithm (Unicode 15.0, D109).
void canonical_order(std::u32string& out, std::size_t from);

}  // namespace detail

// General category C*, "Other": controls, format characters, surrogates,
// private use and unassigned code points.
inline bool is_other_category(char32_t c) {
  return detail::properties_of(c) & detail::tables::control;
}
inline bool is_space_separator(char32_t c) {
  return detail::properties_of(c) & detail::tables::space_separator;
}
inline bool is_punctuation_category(char32_t c) {
  return detail::properties_of(c) & detail::tables::punctuation;
}
inline bool is_nonspacing_mark(char32_t c) {
  return detail::properties_of(c) & detail::tables::nonspacing_mark;
}
// What Python's str.isspace() and str.split() treat as whitespace.
inline bool is_python_whitespace(char32_t c) {
  return detail::properties_of(c) & detail::tables::python_whitespace;
}

inline std::uint8_t canonical_combining_class(char32_t c) {
  if (c < detail::nfc_stable_below) return 0;
  return detail::tables::ccc_values[detail::run_index(detail::tables::ccc_starts, c)];
}

// Appends the full lower-case mapping of `c`, as Python's str.lower() applies
// it to a one-character string: SpecialCasing.txt's unconditional mappings
// (U+0130 becomes "i" U+0307), else UnicodeData's simple one.
inline void append_lowercase(std::u32string& out, char32_t c) {
  namespace tables = detail::tables;
  if (c < 128) {
    out.push_back(c >= U'A' && c <= U'Z' ? c + 32 : c);
    return;
  }
  const auto* run = std::upper_bound(std::begin(tables::lowercase_runs), std::end(tables::lowercase_runs), c,
                                     [](char32_t value, const tables::LowercaseRun& r) { return value < r.first; });
  if (run != std::begin(tables::lowercase_runs)) {
    --run;
    if (c <= run->last && (c - run->first) % run->stride == 0) {
      out.push_back(static_cast<char32_t>(static_cast<std::int64_t>(c) + run->delta));
      return;
    }
  }
  const auto* key = std::lower_bound(std::begin(tables::multi_lowercase_keys),
                                     std::end(tables::multi_lowercase_keys), c);
  if (key != std::end(tables::multi_lowercase_keys) && *key == c) {
    const auto i = static_cast<std::size_t>(key - std::begin(tables::multi_lowercase_keys));
    for (auto k = tables::multi_lowercase_offsets[i]; k < tables::multi_lowercase_offsets[i + 1]; ++k)
      out.push_back(tables::multi_lowercase_pool[k]);
    return;
  }
  out.push_back(c);
}

inline void append_lowercase(std::u32string& out, std::u32string_view text) {
  for (const char32_t c : text) append_lowercase(out, c);
}

// Appends the full canonical decomposition of one code point, not reordered.
inline void append_canonical_decomposition(std::u32string& out, char32_t c) {
  namespace tables = detail::tables;
  if (c < detail::nfd_stable_below) {
    out.push_back(c);
    return;
  }
  if (c >= detail::hangul_s_base && c < detail::hangul_s_base + detail::hangul_s_count) {
    const char32_t index = c - detail::hangul_s_base;
    out.push_back(detail::hangul_l_base + index / detail::hangul_n_count);
    out.push_back(detail::hangul_v_base + index % detail::hangul_n_count / detail::hangul_t_count);
    if (const char32_t t = index % detail::hangul_t_count; t != 0) out.push_back(detail::hangul_t_base + t);
    return;
  }
  const auto* key = std::lower_bound(std::begin(tables::decomposition_keys),
                                     std::end(tables::decomposition_keys), c);
  if (key == std::end(tables::decomposition_keys) || *key != c) {
    out.push_back(c);
    return;
  }
  const auto i = static_cast<std::size_t>(key - std::begin(tables::decomposition_keys));
  for (auto k = tables::decomposition_offsets[i]; k < tables::decomposition_offsets[i + 1]; ++k)
    out.push_back(tables::decomposition_pool[k]);
}

// Appends NFD(text): full canonical decomposition, then canonical ordering of
// the appended code points.
inline void append_nfd(std::u32string& out, std::u32string_view text) {
  if (detail::all_below(text, detail::nfd_stable_below)) {
    out.append(text);
    return;
  }
  const std::size_t from = out.size();
  for (const char32_t c : text) append_canonical_decomposition(out, c);
  detail::canonical_order(out, from);
}

// The primary composite of a starter and a following code point, or 0.
inline char32_t primary_composite(char32_t first, char32_t second) {
  using namespace detail;
  if (first >= hangul_l_base && first < hangul_l_base + hangul_l_count && second >= hangul_v_base &&
      second < hangul_v_base + hangul_v_count)
    return hangul_s_base + ((first - hangul_l_base) * hangul_v_count + (second - hangul_v_base)) * hangul_t_count;
  if (first >= hangul_s_base && first < hangul_s_base + hangul_s_count &&
      (first - hangul_s_base) % hangul_t_count == 0 && second > hangul_t_base &&
      second < hangul_t_base + hangul_t_count)
    return first + (second - hangul_t_base);
  const std::uint64_t key = (static_cast<std::uint64_t>(first) << 21) | second;
  const auto* found = std::lower_bound(std::begin(tables::composition_keys), std::end(tables::composition_keys), key);
  if (found == std::end(tables::composition_keys) || *found != key) return 0;
  return tables::composition_values[found - std::begin(tables::composition_keys)];
}

// Appends NFC(text): NFD, then the canonical composition algorithm (Unicode
// 15.0, D117): each code point joins the last starter when no code point
// between them blocks it (has class 0 or a class at least its own).
inline void append_nfc(std::u32string& out, std::u32string_view text) {
  if (detail::all_below(text, detail::nfc_stable_below)) {
    out.append(text);
    return;
  }
  const std::size_t from = out.size();
  append_nfd(out, text);
  constexpr std::size_t none = std::u32string::npos;
  std::size_t starter = none, write = from;
  std::uint8_t last_class = 0;
  for (std::size_t read = from; read < out.size(); ++read) {
    const char32_t c = out[read];
    const std::uint8_t klass = canonical_combining_class(c);
    if (starter != none) {
      const bool adjacent = write == starter + 1;
      if (adjacent || (last_class != 0 && last_class < klass)) {
        if (const char32_t composite = primary_composite(out[starter], c); composite != 0) {
          out[starter] = composite;
          continue;
        }
      }
    }
    if (klass == 0) starter = write;
    last_class = klass;
    out[write++] = c;
  }
  out.resize(write);
}

// Appends text without accents as BERT's BasicTokenizer strips them: NFD, then
// every nonspacing mark (category Mn) dropped.
inline void append_without_accents(std::u32string& out, std::u32string_view text) {
  if (detail::all_below(text, detail::nfd_stable_below)) {
    out.append(text);
    return;
  }
  const std::size_t from = out.size();
  append_nfd(out, text);
  const auto kept = std::remove_if(out.begin() + static_cast<std::ptrdiff_t>(from), out.end(), is_nonspacing_mark);
  out.erase(kept, out.end());
}

inline std::u32string lowercase(std::u32string_view text) {
  std::u32string out;
  append_lowercase(out, text);
  return out;
}
inline std::u32string nfd(std::u32string_view text) {
  std::u32string out;
  append_nfd(out, text);
  return out;
}
inline std::u32string nfc(std::u32string_view text) {
  std::u32string out;
  append_nfc(out, text);
  return out;
}
inline std::u32string strip_accents(std::u32string_view text) {
  std::u32string out;
  append_without_accents(out, text);
  return out;
}

inline void detail::canonical_order(std::u32string& out, std::size_t from) {
  // Insertion sort within runs: runs of marks are short (a few code points).
  for (std::size_t i = from + 1; i < out.size(); ++i) {
    const std::uint8_t klass = canonical_combining_class(out[i]);
    if (klass == 0) continue;
    const char32_t c = out[i];
    std::size_t j = i;
    while (j > from) {
      const std::uint8_t before = canonical_combining_class(out[j - 1]);
      if (before <= klass) break;
      out[j] = out[j - 1];
      --j;
    }
    out[j] = c;
  }
}

}  // namespace adaptrec::text
