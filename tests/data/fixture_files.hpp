#pragma once
// Scratch folders, message checks and the fuzz harness every data-parser test
// uses: an input must parse or throw adaptrec::error.
#include <adaptrec/core/error.hpp>

#include <support/expect_throw.hpp>
#include <support/temp_dir.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace adaptrec_test {

// Runs `parse`; passes if it returns or throws an adaptrec::error, fails the
// test on any other exception. (A crash fails the whole run.)
template <class Parse>
void expect_parses_or_throws_adaptrec_error(Parse&& parse, const std::string& input_name) {
  try {
    parse();
  } catch (const adaptrec::error&) {
  } catch (const std::exception& e) {
    BOOST_ERROR("input " << input_name << " threw a non-adaptrec exception: " << e.what());
  }
}

inline std::string random_bytes(std::mt19937_64& rng, std::size_t max_length) {
  std::string bytes(rng() % (max_length + 1), '\0');
  for (char& c : bytes) c = static_cast<char>(rng() & 0xFF);
  return bytes;
}

// `valid` with a few bytes overwritten, inserted or deleted: closer to real
// corruption than pure noise, so it reaches deeper into the parser.
inline std::string mutate(std::mt19937_64& rng, std::string valid) {
  // Structural characters make mutations hit separators and quotes often.
  static constexpr std::string_view interesting = "|:\t,\"\n\r0123456789-. \xE9\xFF";
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    const std::size_t at = valid.empty() ? 0 : rng() % valid.size();
    const char c = rng() % 2 ? interesting[rng() % interesting.size()]
                             : static_cast<char>(rng() & 0xFF);
    switch (rng() % 3) {
      case 0:
        if (!valid.empty()) valid[at] = c;
        break;
      case 1: valid.insert(valid.begin() + static_cast<std::ptrdiff_t>(at), c); break;
      default:
        if (!valid.empty()) valid.erase(at, 1 + rng() % 8);
        break;
    }
  }
  return valid;
}

}  // namespace adaptrec_test
