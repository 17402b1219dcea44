#pragma once
// Scratch folders and file writers for the data tests, and the fuzz harness
// every parser test uses: an input must parse or throw adaptrec::error.
#include <adaptrec/core/error.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <unistd.h>

namespace adaptrec_test {

// A fresh directory under the system temp folder, removed with its contents.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("adaptrec-data-test-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

  // Writes `contents` byte for byte (no newline translation).
  std::filesystem::path write(const std::string& name, std::string_view contents) const {
    const auto file = path_ / name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    if (!out) throw std::runtime_error("cannot write test fixture " + file.string());
    return file;
  }

 private:
  std::filesystem::path path_;
};

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

inline bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// Runs `f`, which must throw `Error`, and returns the message.
template <class Error, class F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  BOOST_ERROR("expected an exception");
  return {};
}

}  // namespace adaptrec_test
